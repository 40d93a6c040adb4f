"""Property test: random sequences of decisions (REST or link), expiries, cancellations and call-again consumes,
checked against a small model of the rules. Whatever the order, an ended request never changes, approval needs
the quorum before the timeout, and an approval is consumed at most once, and only when approved."""

from __future__ import annotations

import uuid

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.approvals.errors import ApprovalError
from apps.approvals.models import ApprovalRequest, ApprovalStatus
from apps.approvals.services import (
    approval_consume,
    approval_request_cancel,
    approval_request_decide,
    approval_requests_expire,
    approval_token_decide,
)
from tests.approvals.conftest import policy_for, request_for, resolved
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

STEP = st.one_of(
    st.tuples(st.just("decide"), st.integers(0, 3), st.booleans(), st.sampled_from(["api", "link"])),
    st.tuples(st.just("expire")),
    st.tuples(st.just("cancel")),
    st.tuples(st.just("consume")),
)


@pytest.fixture
def people(db):
    return [make_user(f"person{index}@example.com") for index in range(5)]  # requester, 3 approvers, outsider


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(required=st.integers(1, 3), steps=st.lists(STEP, max_size=8))
def test_no_sequence_breaks_the_rules(people, required, steps):
    requester, approvers, outsider = people[0], people[1:4], people[4]
    policy = policy_for(requester, approver_user_ids=[user.pk for user in approvers], approvals_required=required)
    # Examples share the database: arguments of their own keep each example's approvals apart (bound by digest).
    arguments = {"issue": "acme/web#7", "example": str(uuid.uuid4())}
    request, tokens = request_for(requester, policy=resolved(requester, policy), arguments=arguments)
    deciders = [*approvers, outsider]
    model = {"status": ApprovalStatus.PENDING, "approvals": set(), "decided": set(), "timed_out": False,
             "used": False}  # fmt: skip
    consumed = 0
    for step in steps:
        before = ApprovalRequest.objects.get(pk=request.pk)
        if step[0] == "decide":
            _, index, approve, via = step
            person = deciders[index]
            open_for_it = (model["status"] == ApprovalStatus.PENDING and person in approvers
                           and person.pk not in model["decided"])  # fmt: skip
            try:
                if via == "link" and person.pk in tokens:
                    approval_token_decide(request_id=request.id, raw_token=tokens[person.pk], approve=approve)
                else:
                    approval_request_decide(request=request, approver=person, approve=approve)
                recorded = True
            except ApprovalError:
                recorded = False
            assert recorded == open_for_it, (step, model)
            if recorded:
                model["decided"].add(person.pk)
                if not approve:
                    model["status"] = ApprovalStatus.DECLINED
                else:
                    model["approvals"].add(person.pk)
                    if len(model["approvals"]) >= required:
                        model["status"] = ApprovalStatus.APPROVED
        elif step[0] == "expire":
            if not model["timed_out"]:  # the timeout passes now (for an approved request too: its use window ends)
                model["timed_out"] = timezone.now()
                ApprovalRequest.objects.filter(pk=request.pk).update(expires_at=model["timed_out"])
            approval_requests_expire()
            if model["status"] == ApprovalStatus.PENDING:
                model["status"] = ApprovalStatus.EXPIRED
        elif step[0] == "cancel":
            approval_request_cancel(request=request, reason="client gone")
            if model["status"] == ApprovalStatus.PENDING:
                model["status"] = ApprovalStatus.CANCELLED
        else:
            used = approval_consume(user=requester, tool_source=request.tool_source,
                                    tool_name_at_source=request.tool_name_at_source,
                                    arguments_digest=request.arguments_digest)  # fmt: skip
            expected = model["status"] == ApprovalStatus.APPROVED and not model["used"] and not model["timed_out"]
            assert (used is not None) == expected, (step, model)
            if used is not None:
                consumed += 1
                model["used"] = True
        after = ApprovalRequest.objects.get(pk=request.pk)
        assert after.status == model["status"], (step, model)
        if before.status != ApprovalStatus.PENDING:  # an ended request never changes again
            assert (after.status, after.decided_at, after.decision_reason) == (
                before.status, before.decided_at, before.decision_reason)  # fmt: skip
        if after.status == ApprovalStatus.APPROVED:  # only with the quorum, decided before the timeout
            assert after.decisions.filter(approve=True).count() >= required
            assert after.decided_at <= after.expires_at
            assert not model["timed_out"] or after.decided_at < model["timed_out"]
        assert consumed <= 1 and (consumed == 0 or after.status == ApprovalStatus.APPROVED)
