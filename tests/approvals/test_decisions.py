"""Deciding on approval requests: who may, the quorum, and that an ended request never changes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from apps.approvals.errors import ApprovalAlreadyFinished, ApprovalNotAnApprover
from apps.approvals.models import ApprovalRequest, ApprovalStatus, ApprovalToken
from apps.approvals.services import approval_request_cancel, approval_request_decide
from apps.mcp_proxy.audit import arguments_digest
from tests.approvals.conftest import ARGUMENTS, policy_for, quorum_of_two, request_for, resolved
from tests.conftest import client_for

pytestmark = pytest.mark.django_db
REQUESTS = "/api/v1/approval-requests"


def test_a_request_stores_redacted_arguments_their_digest_and_one_hashed_token_per_approver(alice, bob):
    request, tokens = quorum_of_two(alice, alice, bob)
    assert request.status == ApprovalStatus.PENDING
    assert request.arguments["api_token"] == "[REDACTED]" and request.arguments["title"] == "Ship it"
    assert request.arguments_digest == arguments_digest(ARGUMENTS)
    assert set(tokens) == {alice.pk, bob.pk}
    stored = set(ApprovalToken.objects.filter(request=request).values_list("token_hash", flat=True))
    assert len(stored) == 2 and not stored & set(tokens.values())  # only hashes are kept
    assert request.expires_at - request.created_at == dt.timedelta(seconds=600)


def test_a_policy_deleted_after_resolution_still_applies_by_its_snapshot(alice, bob):
    policy = policy_for(alice, approver_user_ids=[bob.pk])
    snapshot = resolved(alice, policy)
    policy.delete()
    request, tokens = request_for(alice, policy=snapshot)
    assert (request.policy_id, request.policy_name, request.approver_ids) == (None, "Critical operations", [bob.pk])
    assert set(tokens) == {bob.pk}


def test_the_owner_alone_approves_by_default(alice):
    request, _ = request_for(alice)
    assert request.approver_ids == [alice.pk] and request.policy_id is None
    assert approval_request_decide(request=request, approver=alice, approve=True).status == ApprovalStatus.APPROVED


def test_quorum_of_two_approve_then_approve_is_approved(alice, bob, charlie):
    request, _ = quorum_of_two(alice, bob, charlie)
    assert approval_request_decide(request=request, approver=bob, approve=True).status == ApprovalStatus.PENDING
    decided = approval_request_decide(request=request, approver=charlie, approve=True, comment="fine")
    assert decided.status == ApprovalStatus.APPROVED and decided.decided_at is not None
    assert "charlie@example.com" in decided.decision_reason and "fine" in decided.decision_reason


def test_quorum_of_two_approve_then_decline_is_declined(alice, bob, charlie):
    request, _ = quorum_of_two(alice, bob, charlie)
    approval_request_decide(request=request, approver=bob, approve=True)
    decided = approval_request_decide(request=request, approver=charlie, approve=False, comment="not on Fridays")
    assert decided.status == ApprovalStatus.DECLINED
    assert decided.decision_reason == "Declined by charlie@example.com: not on Fridays"


def test_quorum_of_two_a_first_decline_ends_it_at_once(alice, bob, charlie):
    request, _ = quorum_of_two(alice, bob, charlie)
    assert approval_request_decide(request=request, approver=bob, approve=False).status == ApprovalStatus.DECLINED
    with pytest.raises(ApprovalAlreadyFinished) as finished:
        approval_request_decide(request=request, approver=charlie, approve=True)
    assert finished.value.request.status == ApprovalStatus.DECLINED


def test_a_policy_whose_approvers_left_cannot_be_approved_and_is_declined_at_once(alice, bob, charlie):
    policy = policy_for(alice, approver_user_ids=[bob.pk, charlie.pk], approvals_required=2)
    charlie.is_active = False
    charlie.save()
    request, tokens = request_for(alice, policy=resolved(alice, policy))
    assert request.status == ApprovalStatus.DECLINED and tokens == {}


def test_a_deactivated_sole_approver_is_not_replaced_by_the_requester(alice, bob):
    policy = policy_for(alice, approver_user_ids=[bob.pk])
    bob.is_active = False
    bob.save()
    request, _ = request_for(alice, policy=resolved(alice, policy))
    assert request.approver_ids == [] and request.status == ApprovalStatus.DECLINED
    with pytest.raises(ApprovalNotAnApprover):
        approval_request_decide(request=request, approver=alice, approve=True)


def test_the_request_links_to_the_audit_row_of_its_call(alice):
    from apps.approvals.selectors import approval_request_of
    from apps.approvals.services import approval_request_link_tool_call
    from tests.mcp_proxy.factories import tool_call_for

    request, _ = request_for(alice)
    call = tool_call_for(alice, tool_name="update_issue")
    approval_request_link_tool_call(request=request, tool_call=call)
    assert approval_request_of(user=alice, request_id=request.id).tool_call_id == call.id


def test_someone_who_is_not_an_approver_cannot_decide(alice, bob):
    request, _ = request_for(alice)
    with pytest.raises(ApprovalNotAnApprover):
        approval_request_decide(request=request, approver=bob, approve=True)
    assert ApprovalRequest.objects.get(pk=request.pk).status == ApprovalStatus.PENDING


def test_deciding_twice_is_refused_with_the_current_state(alice, bob, charlie):
    request, _ = quorum_of_two(alice, bob, charlie)
    approval_request_decide(request=request, approver=bob, approve=True)
    with pytest.raises(ApprovalAlreadyFinished) as again:
        approval_request_decide(request=request, approver=bob, approve=False)
    assert again.value.request.status == ApprovalStatus.PENDING
    assert request.decisions.count() == 1


def test_deciding_after_the_timeout_expires_it_and_never_approves(alice):
    request, _ = request_for(alice)
    ApprovalRequest.objects.filter(pk=request.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    with pytest.raises(ApprovalAlreadyFinished) as late:
        approval_request_decide(request=request, approver=alice, approve=True)
    assert late.value.request.status == ApprovalStatus.EXPIRED
    assert ApprovalRequest.objects.get(pk=request.pk).status == ApprovalStatus.EXPIRED
    assert not request.decisions.exists()


def test_cancelling_ends_a_pending_request_and_leaves_an_ended_one(alice):
    pending, _ = request_for(alice)
    assert approval_request_cancel(request=pending, reason="The client went away.").status == "cancelled"
    approved, _ = request_for(alice)
    approval_request_decide(request=approved, approver=alice, approve=True)
    assert approval_request_cancel(request=approved, reason="gone").status == ApprovalStatus.APPROVED


# REST


def test_the_list_shows_requests_i_made_and_requests_addressed_to_me_only(alice, bob, charlie):
    mine, _ = request_for(alice)
    for_bob, _ = request_for(charlie, policy=resolved(charlie, policy_for(charlie, approver_user_ids=[bob.pk])))
    others, _ = request_for(charlie)
    ids = {item["id"] for item in client_for(bob).get(REQUESTS).json()["results"]}
    assert ids == {str(for_bob.id)}
    assert {item["id"] for item in client_for(alice).get(REQUESTS).json()["results"]} == {str(mine.id)}
    assert client_for(bob).get(f"{REQUESTS}/{others.id}").status_code == 404
    assert client_for(bob).post(f"{REQUESTS}/{others.id}/approve").status_code == 404


def test_the_list_filters_by_status(alice):
    approved, _ = request_for(alice)
    approval_request_decide(request=approved, approver=alice, approve=True)
    pending, _ = request_for(alice)
    body = client_for(alice).get(REQUESTS, {"status": "pending"}).json()
    assert [item["id"] for item in body["results"]] == [str(pending.id)]
    bad = client_for(alice).get(REQUESTS, {"status": "maybe"})
    assert bad.status_code == 400 and "status" in bad.json()["errors"]


def test_approve_decline_and_decide_over_rest(alice, bob, charlie):
    request, _ = quorum_of_two(alice, bob, charlie)
    response = client_for(bob).post(f"{REQUESTS}/{request.id}/approve", {"comment": "ok"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "pending"
    assert response.json()["decisions"][0]["approver_email"] == "bob@example.com"
    assert response.json()["can_decide"] is False
    response = client_for(charlie).post(f"{REQUESTS}/{request.id}/decide", {"approve": True}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "approved"
    other, _ = request_for(alice)
    response = client_for(alice).post(f"{REQUESTS}/{other.id}/decline", {"comment": "no"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "declined"


def test_a_requester_who_is_not_an_approver_gets_403(alice, bob):
    request, _ = request_for(alice, policy=resolved(alice, policy_for(alice, approver_user_ids=[bob.pk])))
    response = client_for(alice).post(f"{REQUESTS}/{request.id}/approve")
    assert response.status_code == 403 and response.json()["detail"]
    assert ApprovalRequest.objects.get(pk=request.pk).status == ApprovalStatus.PENDING


def test_deciding_an_ended_or_expired_request_over_rest_is_409_with_its_state(alice):
    request, _ = request_for(alice)
    client = client_for(alice)
    client.post(f"{REQUESTS}/{request.id}/approve")
    response = client.post(f"{REQUESTS}/{request.id}/decline")
    assert response.status_code == 409
    assert response.json()["status"] == "approved" and response.json()["approval_request"]["status"] == "approved"
    late, _ = request_for(alice)
    ApprovalRequest.objects.filter(pk=late.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = client.post(f"{REQUESTS}/{late.id}/decide", {"approve": True}, format="json")
    assert response.status_code == 409 and response.json()["status"] == "expired"


def test_decide_needs_a_boolean(alice):
    request, _ = request_for(alice)
    response = client_for(alice).post(f"{REQUESTS}/{request.id}/decide", {"approve": "perhaps"}, format="json")
    assert response.status_code == 400 and "approve" in response.json()["errors"]
    assert client_for(alice).post(f"{REQUESTS}/{request.id}/decide", {}, format="json").status_code == 400
