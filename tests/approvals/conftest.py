"""Approval fixtures: a third persona and helpers that make policies and requests through the services."""

from __future__ import annotations

import pytest

from apps.approvals.policies import ResolvedPolicy, approval_policy_create, approval_policy_resolve
from apps.approvals.services import approval_request_create
from tests.conftest import make_user

ARGUMENTS = {"issue": "acme/web#7", "title": "Ship it", "api_token": "pl_abcdefghijklmnopqrstuvwxyz"}


@pytest.fixture
def charlie(db):
    return make_user("charlie@example.com", full_name="Charlie Chen")


def policy_for(owner, **fields):
    fields.setdefault("name", "Critical operations")
    return approval_policy_create(owner=owner, **fields)


def resolved(owner, policy=None) -> ResolvedPolicy:
    return approval_policy_resolve(user=owner, rule_policy_id=policy.id if policy else None,
                                   configuration_policy_id=None)  # fmt: skip


def request_for(user, *, policy: ResolvedPolicy | None = None, arguments: dict | None = None,
                tool_name: str = "update_issue"):  # fmt: skip
    """A pending request of `user` for a built-in tool call; returns (request, {approver_id: raw token})."""
    return approval_request_create(
        user=user, tool_name=tool_name, tool_source="preloop_builtin", tool_name_at_source=tool_name,
        arguments=ARGUMENTS if arguments is None else arguments, justification="The release is due today.",
        client_name="claude-code", session_id="s-1", transport="mcp", policy=policy or resolved(user),
    )  # fmt: skip


def quorum_of_two(requester, first, second):
    """A request of `requester` that needs both `first` and `second` to approve."""
    policy = policy_for(requester, approver_user_ids=[first.pk, second.pk], approvals_required=2)
    return request_for(requester, policy=resolved(requester, policy))
