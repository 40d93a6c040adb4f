"""`/api/v1/approval-policies`: CRUD, isolation, validation and the one default per user."""

from __future__ import annotations

import pytest

from apps.approvals.models import ApprovalPolicy
from apps.mcp_proxy.configurations.services import tool_configuration_create
from tests.approvals.conftest import policy_for
from tests.crud import OwnedResourceContract

pytestmark = pytest.mark.django_db
POLICIES = "/api/v1/approval-policies"


class TestApprovalPolicyCrud(OwnedResourceContract):
    collection = POLICIES
    required_fields = ("name",)

    def make(self, user):
        return policy_for(user, name=f"Policy of {user.email}")

    def create_payload(self, user) -> dict:
        return {"name": "Critical Operations", "description": "Require approval for critical issue operations",
                "is_default": False, "approver_user_ids": [str(user.pk)], "approvals_required": 1,
                "timeout_seconds": 600, "notification_channels": ["email"]}  # fmt: skip

    def update_payload(self) -> dict:
        return {"description": "Changed", "timeout_seconds": 900}


def test_approvers_default_to_the_owner_and_channels_to_console_and_email(alice_client, alice):
    response = alice_client.post(POLICIES, {"name": "Mine"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["approver_user_ids"] == [str(alice.pk)]
    assert body["notification_channels"] == ["console", "email"]
    assert (body["approvals_required"], body["timeout_seconds"], body["is_default"]) == (1, 600, False)


def test_the_seed_example_with_two_approvers_is_accepted(alice_client, alice, bob):
    payload = {"name": "Critical Operations", "approver_user_ids": [str(alice.pk), str(bob.pk)],
               "approvals_required": 2, "timeout_seconds": 600, "notification_channels": ["email", "slack"]}  # fmt: skip
    response = alice_client.post(POLICIES, payload, format="json")
    assert response.status_code == 201
    assert sorted(response.json()["approver_user_ids"]) == sorted([str(alice.pk), str(bob.pk)])


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"approvals_required": 2}, "approvals_required"),  # one approver (the owner) cannot give two approvals
        ({"approvals_required": 0}, "approvals_required"),
        ({"approver_user_ids": ["00000000-0000-0000-0000-000000000001"]}, "approver_user_ids"),
        ({"approver_user_ids": ["not-a-uuid"]}, "approver_user_ids"),
        ({"timeout_seconds": 5}, "timeout_seconds"),
        ({"timeout_seconds": 10**9}, "timeout_seconds"),
        ({"notification_channels": ["carrier-pigeon"]}, "notification_channels"),
        ({"escalation_after_seconds": 600, "escalation_channels": ["slack"]}, "escalation_after_seconds"),
        ({"escalation_channels": ["slack"]}, "escalation_after_seconds"),
        ({"escalation_after_seconds": 60}, "escalation_approver_user_ids"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(alice_client, payload, field):
    response = alice_client.post(POLICIES, {"name": "Bad", **payload}, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["errors"] and response.json()["detail"]
    assert not ApprovalPolicy.objects.exists()


def test_an_inactive_user_cannot_be_an_approver(alice_client, bob):
    bob.is_active = False
    bob.save()
    response = alice_client.post(POLICIES, {"name": "P", "approver_user_ids": [str(bob.pk)]}, format="json")
    assert response.status_code == 400 and "approver_user_ids" in response.json()["errors"]


def test_a_new_default_replaces_the_old_one(alice_client, alice, bob):
    first = alice_client.post(POLICIES, {"name": "First", "is_default": True}, format="json").json()
    second = alice_client.post(POLICIES, {"name": "Second", "is_default": True}, format="json").json()
    policy_for(bob, name="Bob's", is_default=True)
    defaults = ApprovalPolicy.objects.filter(is_default=True)
    assert {(policy.owner_id, policy.name) for policy in defaults} == {(alice.pk, "Second"), (bob.pk, "Bob's")}
    assert alice_client.get(f"{POLICIES}/{first['id']}").json()["is_default"] is False
    assert alice_client.get(f"{POLICIES}/{second['id']}").json()["is_default"] is True
    alice_client.patch(f"{POLICIES}/{first['id']}", {"is_default": True}, format="json")
    assert ApprovalPolicy.objects.get(owner=alice, is_default=True).name == "First"


def test_the_database_keeps_one_default_per_owner(alice):
    from django.db import IntegrityError, transaction

    policy_for(alice, name="One", is_default=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        ApprovalPolicy.objects.create(owner=alice, name="Two", is_default=True)


def test_reducing_approvers_below_the_quorum_is_refused(alice_client, alice, bob):
    policy = policy_for(alice, approver_user_ids=[alice.pk, bob.pk], approvals_required=2)
    response = alice_client.put(f"{POLICIES}/{policy.id}", {"approver_user_ids": [str(bob.pk)]}, format="json")
    assert response.status_code == 400 and "approvals_required" in response.json()["errors"]
    assert policy.approvers.count() == 2


def test_a_policy_in_use_by_a_tool_configuration_cannot_be_deleted(alice_client, alice):
    policy = policy_for(alice)
    tool_configuration_create(owner=alice, tool_source="preloop_builtin", tool_name="update_issue",
                              approval_policy_id=policy.id)  # fmt: skip
    response = alice_client.delete(f"{POLICIES}/{policy.id}")
    assert response.status_code == 409 and "tool configuration" in response.json()["detail"]
    assert ApprovalPolicy.objects.filter(pk=policy.pk).exists()


def test_the_endpoints_are_documented(client):
    schema = client.get("/openapi.json").json()
    paths = schema["paths"]
    assert set(paths["/api/v1/approval-policies"]) >= {"get", "post"}
    assert set(paths["/api/v1/approval-policies/{policy_id}"]) >= {"get", "put", "patch", "delete"}
    assert set(paths["/api/v1/approval-requests"]) == {"get"}
    for action in ("approve", "decline", "decide"):
        responses = paths[f"/api/v1/approval-requests/{{request_id}}/{action}"]["post"]["responses"]
        assert {"200", "403", "409"} <= set(responses)
    assert {"200", "400", "403", "410"} <= set(paths["/approval/{request_id}/data"]["get"]["responses"])
    assert {"200", "400", "403", "409", "410"} <= set(paths["/approval/{request_id}/decide"]["post"]["responses"])
    components = schema["components"]["schemas"]
    assert {"approve", "comment"} <= set(components["DecideRequest"]["properties"])
    assert "approver_user_ids" in components["ApprovalPolicyInputRequest"]["properties"]
