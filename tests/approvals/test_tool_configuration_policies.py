"""Tool configurations and rules name approval policies; the decision and the resolution follow decision 2."""

from __future__ import annotations

import pytest

from apps.approvals.policies import approval_policy_resolve
from apps.mcp_proxy.configurations.policy import tool_call_policy_decide, tool_policies_load, tool_policy_for
from apps.mcp_proxy.configurations.services import RuleInput, tool_configuration_create
from apps.mcp_proxy.models import ToolRuleAction
from tests.approvals.conftest import policy_for
from tests.conftest import client_for

pytestmark = pytest.mark.django_db
CONFIGURATIONS = "/api/v1/tool-configurations"
TOOL = "update_issue"


def configure(user, **fields):
    return tool_configuration_create(owner=user, tool_source="preloop_builtin", tool_name=TOOL, **fields)


def decide(user, arguments=None):
    policy = tool_policy_for(user=user, source="preloop_builtin", tool_name=TOOL)
    return tool_call_policy_decide(policy=policy, arguments=arguments or {}, tool_name=TOOL, user=user)


def test_a_configuration_with_a_policy_needs_approval_when_no_rule_matches(alice):
    policy = policy_for(alice)
    configure(alice, approval_policy_id=policy.id, rules=[RuleInput("args.amount > 5", "deny")])
    decision = decide(alice, {"amount": 1})
    assert decision.action == ToolRuleAction.REQUIRE_APPROVAL and decision.rule_id is None
    assert (decision.rule_policy_id, decision.configuration_policy_id) == (None, policy.id)
    assert decide(alice, {"amount": 9}).action == ToolRuleAction.DENY


def test_without_a_policy_an_unmatched_call_is_allowed(alice):
    configure(alice, rules=[RuleInput("args.amount > 5", "deny")])
    assert decide(alice, {"amount": 1}).action == ToolRuleAction.ALLOW


def test_an_allow_rule_still_lets_the_call_through_when_the_configuration_names_a_policy(alice):
    configure(alice, approval_policy_id=policy_for(alice).id, rules=[RuleInput("true", "allow")])
    assert decide(alice).action == ToolRuleAction.ALLOW


def test_a_require_approval_rule_names_its_own_policy(alice):
    rule_policy, configuration_policy = policy_for(alice, name="Rule"), policy_for(alice, name="Configuration")
    configure(alice, approval_policy_id=configuration_policy.id,
              rules=[RuleInput("true", "require_approval", approval_policy_id=rule_policy.id)])  # fmt: skip
    decision = decide(alice)
    assert (decision.rule_policy_id, decision.configuration_policy_id) == (rule_policy.id, configuration_policy.id)
    # The catalog's loader carries the same ids as the single-tool read.
    loaded = tool_policies_load(user=alice)[("preloop_builtin", TOOL)]
    assert loaded.approval_policy_id == configuration_policy.id
    assert loaded.rules[0].approval_policy_id == rule_policy.id


def test_resolution_order_rule_then_configuration_then_default_then_the_owner_alone(alice, bob):
    rule_policy = policy_for(alice, name="Rule", approver_user_ids=[bob.pk], timeout_seconds=60)
    configuration_policy = policy_for(alice, name="Configuration", timeout_seconds=120)
    default = policy_for(alice, name="Default", is_default=True, timeout_seconds=300)

    def resolve(rule, configuration):
        return approval_policy_resolve(user=alice, rule_policy_id=rule, configuration_policy_id=configuration)

    first = resolve(rule_policy.id, configuration_policy.id)
    assert (first.source, first.policy_id, first.approver_ids, first.timeout_seconds) == (
        "rule", rule_policy.id, (bob.pk,), 60)  # fmt: skip
    assert resolve(None, configuration_policy.id).policy_id == configuration_policy.id
    assert resolve(None, None).policy_id == default.id
    default.delete()
    fallback = resolve(None, None)
    assert (fallback.source, fallback.policy_id, fallback.approver_ids, fallback.approvals_required) == (
        "fallback", None, (alice.pk,), 1)  # fmt: skip
    assert fallback.timeout_seconds == 600


def test_resolution_ignores_another_users_policy(alice, bob):
    bobs = policy_for(bob, name="Bob's", approver_user_ids=[bob.pk])
    resolved = approval_policy_resolve(user=alice, rule_policy_id=bobs.id, configuration_policy_id=None)
    assert resolved.source == "fallback" and resolved.approver_ids == (alice.pk,)


def test_the_rest_api_sets_and_shows_the_policy_of_a_configuration_and_of_its_rules(alice):
    policy = policy_for(alice)
    payload = {"tool_source": "preloop_builtin", "tool_name": TOOL, "approval_policy_id": str(policy.id),
               "rules": [{"condition": "args.amount > 5", "action": "require_approval",
                          "approval_policy_id": str(policy.id)}]}  # fmt: skip
    response = client_for(alice).post(CONFIGURATIONS, payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["approval_policy_id"] == str(policy.id)
    assert body["rules"][0]["approval_policy_id"] == str(policy.id)
    cleared = client_for(alice).patch(f"{CONFIGURATIONS}/{body['id']}", {"approval_policy_id": None}, format="json")
    assert cleared.status_code == 200 and cleared.json()["approval_policy_id"] is None


def test_another_users_policy_is_a_400_naming_the_field(alice, bob):
    bobs = policy_for(bob)
    client = client_for(alice)
    response = client.post(CONFIGURATIONS, {"tool_source": "preloop_builtin", "tool_name": TOOL,
                                            "approval_policy_id": str(bobs.id)}, format="json")  # fmt: skip
    assert response.status_code == 400 and "approval_policy_id" in response.json()["errors"]
    response = client.post(CONFIGURATIONS, {"tool_source": "preloop_builtin", "tool_name": TOOL, "rules": [
        {"condition": "true", "action": "require_approval", "approval_policy_id": str(bobs.id)}]}, format="json")  # fmt: skip
    assert response.status_code == 400 and "approval_policy_id" in str(response.json()["errors"]["rules"])


def test_only_a_require_approval_rule_names_a_policy(alice):
    policy = policy_for(alice)
    response = client_for(alice).post(CONFIGURATIONS, {"tool_source": "preloop_builtin", "tool_name": TOOL, "rules": [
        {"condition": "true", "action": "deny", "approval_policy_id": str(policy.id)}]}, format="json")  # fmt: skip
    assert response.status_code == 400 and "rules" in response.json()["errors"]


def test_the_console_edit_page_saves_the_policies(alice, client):
    from tests.conftest import PASSWORD
    from tests.trackers.factories import tracker_for

    tracker_for(alice)  # built-in tools are visible (and configurable) with a tracker
    policy = policy_for(alice, name="Critical operations")
    client.login(email=alice.email, password=PASSWORD)
    page = client.get(f"/tool-configurations/preloop_builtin/{TOOL}")
    assert page.status_code == 200 and "Critical operations" in page.content.decode()
    response = client.post(f"/tool-configurations/preloop_builtin/{TOOL}", {
        "is_enabled": "on", "approval_policy": str(policy.id), "condition": ["args.amount > 5"],
        "action": ["require_approval"], "description": [""], "rule_approval_policy": [str(policy.id)]})  # fmt: skip
    assert response.status_code == 302
    configuration = alice.tool_configurations.get()
    assert configuration.approval_policy_id == policy.id
    assert configuration.rules.get().approval_policy_id == policy.id
