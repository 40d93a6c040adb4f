"""The periodic sweep (expiry, escalation), the announce hook, and the call-again mode's single-use approvals."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from apps.approvals import hooks
from apps.approvals.errors import ApprovalAlreadyFinished
from apps.approvals.models import ApprovalRequest, ApprovalStatus, ApprovalToken
from apps.approvals.services import (
    approval_consume,
    approval_request_decide,
    approval_requests_escalate,
    approval_requests_expire,
    approval_token_check,
)
from apps.mcp_proxy.audit import arguments_digest
from apps.system.schedule import PERIODIC_JOBS
from tests.approvals.conftest import ARGUMENTS, policy_for, request_for, resolved

pytestmark = pytest.mark.django_db


def later(seconds: int) -> dt.datetime:
    return timezone.now() + dt.timedelta(seconds=seconds)


@pytest.fixture
def announced():
    """Every announcement the hook hands to channels, through the real registry."""
    calls = []

    def record(request, tokens, channels):
        calls.append((request.id, dict(tokens), list(channels)))

    hooks.ANNOUNCERS.append(record)
    yield calls
    hooks.ANNOUNCERS.remove(record)


def test_the_sweep_expires_only_pending_requests_past_their_timeout(alice):
    due, _ = request_for(alice)
    fresh, _ = request_for(alice)
    decided, _ = request_for(alice)
    approval_request_decide(request=decided, approver=alice, approve=True)
    assert approval_requests_expire(now=later(601)) == 2
    assert ApprovalRequest.objects.get(pk=due.pk).status == ApprovalStatus.EXPIRED
    assert ApprovalRequest.objects.get(pk=decided.pk).status == ApprovalStatus.APPROVED
    assert approval_requests_expire(now=later(601)) == 0  # nothing twice
    assert ApprovalRequest.objects.get(pk=fresh.pk).decision_reason == "Nobody decided before the timeout."


def test_the_waiting_call_expires_its_own_request_only_once_due(alice):
    from apps.approvals.services import approval_request_expire_due

    request, _ = request_for(alice)
    assert approval_request_expire_due(request=request).status == ApprovalStatus.PENDING  # not yet due
    ApprovalRequest.objects.filter(pk=request.pk).update(expires_at=timezone.now())
    assert approval_request_expire_due(request=request).status == ApprovalStatus.EXPIRED
    decided, _ = request_for(alice)
    approval_request_decide(request=decided, approver=alice, approve=True)
    ApprovalRequest.objects.filter(pk=decided.pk).update(expires_at=timezone.now())
    assert approval_request_expire_due(request=decided).status == ApprovalStatus.APPROVED  # the decision stands


def test_an_expired_request_cannot_be_approved_afterwards(alice):
    request, _ = request_for(alice)
    ApprovalRequest.objects.filter(pk=request.pk).update(expires_at=timezone.now())
    approval_requests_expire()
    with pytest.raises(ApprovalAlreadyFinished):
        approval_request_decide(request=request, approver=alice, approve=True)


def test_the_sweep_runs_often_from_the_scheduler():
    [job] = [job for job in PERIODIC_JOBS if job.name == "approval_requests_sweep"]
    assert job.actor_path == "apps.approvals.tasks.approval_requests_sweep" and job.interval_seconds == 15


def test_creating_a_request_announces_it_with_the_raw_tokens_after_commit(alice, bob, announced,
                                                                          django_capture_on_commit_callbacks):  # fmt: skip
    policy = policy_for(alice, approver_user_ids=[bob.pk], notification_channels=["email", "push"])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        request, tokens = request_for(alice, policy=resolved(alice, policy))
        assert announced == []  # not before the commit
    for callback in callbacks:
        callback()
    assert announced == [(request.id, tokens, ["email", "push"])]
    assert approval_token_check(request_id=request.id, raw_token=tokens[bob.pk]) == (request, bob)


def test_a_failing_announcer_does_not_stop_the_others(alice, announced, django_capture_on_commit_callbacks):
    def broken(request, tokens, channels):
        raise RuntimeError("the SMTP server is on fire")

    hooks.ANNOUNCERS.insert(0, broken)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            request, _ = request_for(alice)
    finally:
        hooks.ANNOUNCERS.remove(broken)
    assert [call[0] for call in announced] == [request.id]


def test_escalation_adds_approvers_with_their_own_tokens_and_announces_on_its_channels(
    alice, bob, charlie, announced, django_capture_on_commit_callbacks
):
    policy = policy_for(alice, approver_user_ids=[bob.pk], timeout_seconds=600, escalation_after_seconds=120,
                        escalation_approver_user_ids=[charlie.pk], escalation_channels=["slack"])  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        request, _ = request_for(alice, policy=resolved(alice, policy))
        assert approval_requests_escalate(now=later(60)) == 0  # not yet
        assert approval_requests_escalate(now=later(121)) == 1
        assert approval_requests_escalate(now=later(122)) == 0  # once
    escalated = ApprovalRequest.objects.get(pk=request.pk)
    assert escalated.approver_ids == [bob.pk, charlie.pk] and escalated.escalated_at is not None
    (_, first_tokens, _), (_, tokens, channels) = announced
    assert set(first_tokens) == {bob.pk} and set(tokens) == {charlie.pk} and channels == ["slack"]
    assert ApprovalToken.objects.filter(request=request).count() == 2
    assert approval_request_decide(request=request, approver=charlie, approve=True).status == "approved"


def test_a_decided_request_does_not_escalate(alice, bob, charlie):
    policy = policy_for(alice, escalation_after_seconds=60, escalation_approver_user_ids=[charlie.pk])
    request, _ = request_for(alice, policy=resolved(alice, policy))
    approval_request_decide(request=request, approver=alice, approve=True)
    assert approval_requests_escalate(now=later(61)) == 0


def consume(user, arguments=None):
    return approval_consume(user=user, tool_source="preloop_builtin", tool_name_at_source="update_issue",
                            arguments_digest=arguments_digest(ARGUMENTS if arguments is None else arguments))  # fmt: skip


def test_an_approval_is_consumed_once(alice):
    request, _ = request_for(alice)
    assert consume(alice) is None  # pending: nothing to use
    approval_request_decide(request=request, approver=alice, approve=True)
    used = consume(alice)
    assert used is not None and used.pk == request.pk and used.used_at is not None
    assert consume(alice) is None


def test_an_approval_binds_to_the_same_arguments_tool_and_user(alice, bob):
    request, _ = request_for(alice)
    approval_request_decide(request=request, approver=alice, approve=True)
    assert consume(alice, {**ARGUMENTS, "title": "Something else"}) is None
    assert consume(bob) is None
    other_tool = approval_consume(user=alice, tool_source="preloop_builtin", tool_name_at_source="create_issue",
                                  arguments_digest=arguments_digest(ARGUMENTS))  # fmt: skip
    assert other_tool is None
    assert consume(alice).pk == request.pk


def test_declined_and_expired_approvals_are_never_consumed(alice):
    declined, _ = request_for(alice)
    approval_request_decide(request=declined, approver=alice, approve=False)
    approved, _ = request_for(alice)
    approval_request_decide(request=approved, approver=alice, approve=True)
    ApprovalRequest.objects.filter(pk=approved.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert consume(alice) is None
