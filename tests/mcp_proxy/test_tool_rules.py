"""Tool rules decide each call: every action alone, the order of restrictiveness, the deciding rule, fail closed.

Calls go through the real pipeline over `POST /api/v1/mcp/{tool}` to a test tool registered as a built-in,
whose handler records what it received.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.mcp_proxy.audit import arguments_digest
from apps.mcp_proxy.configurations.policy import tool_call_policy_decide, tool_policy_for
from apps.mcp_proxy.configurations.services import RuleInput, tool_configuration_create, tool_configuration_update
from apps.mcp_proxy.models import ToolCall, ToolRule
from apps.mcp_proxy.registry import ToolOutput, ToolSpec, tool_register, tool_unregister, tools_visible
from apps.mcp_proxy.rules import condition_compile
from tests.conftest import client_for
from tests.trackers.factories import tracker_for

pytestmark = pytest.mark.django_db
TOOL = "transfer_funds"
SCHEMA = {"type": "object", "properties": {"amount": {"type": "number"}, "env": {"type": "array"},
                                           "path": {"type": "string"}}, "required": ["amount"]}  # fmt: skip


@pytest.fixture
def ran():
    return []


@pytest.fixture
def transfer_tool(alice, ran):
    """A built-in tool alice sees (she has a tracker) that records the arguments it ran with."""
    tracker_for(alice)

    def handler(*, user, arguments, context):
        ran.append(arguments)
        return ToolOutput(structured={"done": True}, text="transferred")

    spec = tool_register(ToolSpec(name=TOOL, title="Transfer", description="Moves money.", input_schema=SCHEMA,
                                  handler=handler))  # fmt: skip
    yield spec
    tool_unregister(spec.name)


def configure(user, *rules: tuple[str, str], **fields):
    return tool_configuration_create(owner=user, tool_source="preloop_builtin", tool_name=TOOL,
                                     rules=[RuleInput(condition=c, action=a) for c, a in rules], **fields)  # fmt: skip


def call(user, **arguments):
    return client_for(user).post(f"/api/v1/mcp/{TOOL}", arguments, format="json")


def rule_at(configuration, number: int) -> ToolRule:
    return configuration.rules.order_by("position")[number - 1]


def test_an_allow_rule_alone_lets_the_call_run_and_is_audited(alice, transfer_tool, ran):
    configuration = configure(alice, ("args.amount < 100", "allow"))
    response = call(alice, amount=5)
    assert response.status_code == 200, response.json()
    assert ran == [{"amount": 5}]
    row = ToolCall.objects.get()
    assert (row.outcome, row.decision, row.decision_rule) == ("success", "allow", rule_at(configuration, 1).id)
    assert row.decision_rule_condition == "args.amount < 100"


def test_a_deny_rule_refuses_the_call_naming_the_rule(alice, transfer_tool, ran):
    configuration = configure(alice, ("args.amount < 10", "allow"), ("args.amount > 1000", "deny"))
    response = call(alice, amount=5000)
    assert response.status_code == 403
    assert response.json() == {"detail": "Denied by your rule #2 (args.amount > 1000).", "errors": {},
                               "reason": "denied"}  # fmt: skip
    assert ran == []
    row = ToolCall.objects.get()
    assert (row.outcome, row.decision, row.decision_rule) == ("denied", "deny", rule_at(configuration, 2).id)
    assert row.decision_rule_condition == "args.amount > 1000" and "rule #2" in row.error_message


def test_require_approval_refuses_with_the_approval_required_error_and_never_runs(alice, transfer_tool, ran):
    configure(alice, ('"prod" in args.env', "require_approval"))
    response = call(alice, amount=1, env=["prod", "eu"])
    assert response.status_code == 403 and response.json()["reason"] == "approval_required"
    assert "Approval required by your rule #1" in response.json()["detail"]
    assert "approvals are not available" in response.json()["detail"] and "not run" in response.json()["detail"]
    assert ran == []
    assert ToolCall.objects.get().decision == "require_approval"


@pytest.mark.parametrize(("rules", "expected"), [
    ([("true", "allow"), ("true", "require_approval"), ("true", "deny")], "deny"),
    ([("true", "deny"), ("true", "require_approval"), ("true", "allow")], "deny"),
    ([("true", "allow"), ("true", "require_approval")], "require_approval"),
    ([("true", "require_approval"), ("true", "allow")], "require_approval"),
    ([("false", "deny"), ("true", "allow")], "allow"),
])  # fmt: skip
def test_the_most_restrictive_matching_action_wins(alice, transfer_tool, ran, rules, expected):
    configure(alice, *rules)
    response = call(alice, amount=1)
    assert ToolCall.objects.get().decision == expected
    assert response.status_code == (200 if expected == "allow" else 403)
    assert bool(ran) == (expected == "allow")


def test_the_deciding_rule_is_the_first_of_the_winning_action_in_the_users_order(alice, transfer_tool):
    configuration = configure(alice, ("true", "allow"), ("args.amount > 10", "deny"), ("true", "deny"))
    call(alice, amount=50)
    call(alice, amount=5)
    first, second = ToolCall.objects.order_by("created_at")
    assert first.decision_rule == rule_at(configuration, 2).id
    assert second.decision_rule == rule_at(configuration, 3).id


def test_reordering_the_rules_changes_the_deciding_rule(alice, transfer_tool):
    configuration = configure(alice, ("args.amount > 1", "deny"), ("args.amount > 2", "deny"))
    tool_configuration_update(configuration=configuration, rules=[RuleInput("args.amount > 2", "deny"),
                                                                  RuleInput("args.amount > 1", "deny")])  # fmt: skip
    response = call(alice, amount=5)
    assert response.json()["detail"] == "Denied by your rule #1 (args.amount > 2)."


def test_no_matching_rule_allows_the_call(alice, transfer_tool, ran):
    configure(alice, ("args.amount > 1000", "deny"), ("args.amount > 500", "require_approval"))
    assert call(alice, amount=5).status_code == 200
    row = ToolCall.objects.get()
    assert ran and (row.decision, row.decision_rule, row.decision_rule_condition) == ("allow", None, "")


def test_a_condition_that_errs_denies_the_call_and_is_audited(alice, transfer_tool, ran, caplog):
    configuration = configure(alice, ('args.currency == "EUR"', "allow"))
    response = call(alice, amount=5)
    assert response.status_code == 403
    detail = response.json()["detail"]
    assert detail.startswith('Denied: your rule #1 (args.currency == "EUR") could not be evaluated')
    assert "currency" in detail and ran == []
    row = ToolCall.objects.get()
    assert (row.decision, row.decision_rule) == ("deny", rule_at(configuration, 1).id)
    assert any("failed for user" in record.getMessage() for record in caplog.records)


def test_a_condition_that_is_not_a_bool_denies_the_call(alice, transfer_tool, ran):
    configure(alice, ("args.amount", "allow"))
    response = call(alice, amount=5)
    assert response.status_code == 403 and "gave 5, not true or false" in response.json()["detail"]
    assert ran == []


def test_conditions_see_the_tool_server_user_and_time(alice, transfer_tool, ran):
    configure(alice, (
        'tool == "transfer_funds" && server.id == "preloop_builtin" && server.name == "Preloop" '
        '&& user.email == "alice@example.com" && user.id != "" && hour >= 0 && hour < 24 && weekday <= 6 '
        '&& now > timestamp("2020-01-01T00:00:00Z") && has(args.path) && args.path.startsWith("/etc")',
        "deny",
    ))  # fmt: skip
    assert call(alice, amount=1, path="/home/alice").status_code == 200
    assert call(alice, amount=1, path="/etc/passwd").status_code == 403


def test_a_disabled_tool_is_hidden_and_refused(alice, transfer_tool, ran):
    configure(alice, is_enabled=False)
    assert TOOL not in [spec.name for spec in tools_visible(user=alice)]
    response = call(alice, amount=1)
    assert response.status_code == 404 and ran == []
    assert ToolCall.objects.get().outcome == "denied"


def test_another_users_configuration_does_not_apply(alice, bob, transfer_tool, ran):
    tracker_for(bob)
    configure(bob, ("true", "deny"))
    assert call(alice, amount=1).status_code == 200


def test_justification_is_required_stripped_and_stored(alice, transfer_tool, ran):
    configure(alice, ("args.amount > 100 && !has(args.justification)", "deny"), justification_required=True)
    [listed] = [tool for tool in client_for(alice).get("/api/v1/mcp/tools").json() if tool["name"] == TOOL]
    assert "justification" in listed["inputSchema"]["required"] and "amount" in listed["inputSchema"]["required"]
    assert listed["inputSchema"]["properties"]["justification"] == {
        "type": "string", "minLength": 1,
        "description": "Why you are making this call; shown to the people who review it.",
    }  # fmt: skip
    missing = call(alice, amount=5)
    assert missing.status_code == 400 and "requires a `justification`" in missing.json()["detail"]
    blank = call(alice, amount=5, justification="   ")
    assert blank.status_code == 400 and ran == []
    given = call(alice, amount=500, justification="Paying the March invoice")
    assert given.status_code == 403  # the rule saw args without the justification
    assert call(alice, amount=5, justification="Paying the March invoice").status_code == 200
    assert ran == [{"amount": 5}]
    row = ToolCall.objects.order_by("-created_at").first()
    assert row.justification == "Paying the March invoice" and row.arguments == {"amount": 5}
    assert row.arguments_digest == arguments_digest({"amount": 5})


def test_a_call_reads_its_configuration_in_one_query(alice, transfer_tool, django_assert_num_queries):
    configure(alice, ("args.amount > 1", "deny"), ("args.amount > 2", "allow"), ("true", "require_approval"))
    with django_assert_num_queries(1):
        policy = tool_policy_for(user=alice, source="preloop_builtin", tool_name=TOOL)
    assert [rule.condition for rule in policy.rules] == ["args.amount > 1", "args.amount > 2", "true"]


def configuration_queries(queries) -> int:
    return sum('"mcp_proxy_toolconfiguration"' in query["sql"] for query in queries.captured_queries)


def test_the_listing_reads_configurations_once_whatever_their_number_then_only_checks_their_version(
    alice, transfer_tool
):
    configure(alice, justification_required=True)
    with CaptureQueriesContext(connection) as queries:
        first = tools_visible(user=alice)
    assert configuration_queries(queries) == 2  # their version (in the visibility query), then all of them
    with CaptureQueriesContext(connection) as queries:
        assert tools_visible(user=alice) == first
    assert len(queries.captured_queries) == 1  # nothing changed: the one visibility query, nothing else
    tool_configuration_create(owner=alice, tool_source="preloop_builtin", tool_name="search", is_enabled=False)
    tool_configuration_create(owner=alice, tool_source="preloop_builtin", tool_name="get_issue")
    with CaptureQueriesContext(connection) as queries:
        second = tools_visible(user=alice)
    assert configuration_queries(queries) == 2
    assert "search" in [spec.name for spec in first] and "search" not in [spec.name for spec in second]
    [before] = [spec for spec in first if spec.name == TOOL]
    [after] = [spec for spec in second if spec.name == TOOL]
    assert before.input_schema is after.input_schema  # derived once, so the validator cache keeps hitting


def test_a_call_never_parses_a_condition_again(alice, transfer_tool):
    configure(alice, ("args.amount > 999", "deny"))
    call(alice, amount=1)
    parsed = condition_compile.cache_info().misses
    call(alice, amount=2)
    call(alice, amount=3)
    assert condition_compile.cache_info().misses == parsed


def test_the_audit_api_shows_the_decision_rule_and_justification(alice, transfer_tool):
    configuration = configure(alice, ("args.amount > 10", "deny"), justification_required=True)
    call(alice, amount=50, justification="Quarterly payout")
    [row] = client_for(alice).get("/api/v1/tool-calls").json()["results"]
    assert (row["decision"], row["decision_rule"]) == ("deny", str(rule_at(configuration, 1).id))
    assert (row["decision_rule_condition"], row["justification"]) == ("args.amount > 10", "Quarterly payout")
    assert row["arguments"] == {"amount": 50} and row["upstream_latency_ms"] is None


def test_a_deleted_rule_keeps_its_audit(alice, transfer_tool):
    configuration = configure(alice, ("true", "deny"))
    call(alice, amount=1)
    rule_id = rule_at(configuration, 1).id
    configuration.delete()
    row = ToolCall.objects.get()
    assert (row.decision_rule, row.decision_rule_condition) == (rule_id, "true")


def test_an_upstream_tools_rules_see_its_server(alice):
    from apps.mcp_proxy import services as server_services

    server = server_services.mcp_server_create(owner=alice, name="Weather", url="http://127.0.0.1:9/mcp")
    server.tools = [{"name": "get_weather", "inputSchema": {"type": "object"}}]
    server.save(update_fields=["tools"])
    tool_configuration_create(owner=alice, tool_source=str(server.id), tool_name="get_weather", rules=[
        RuleInput('server.slug == "weather" && server.name == "Weather" && tool == "get_weather"', "deny")])  # fmt: skip
    policy = tool_policy_for(user=alice, source=str(server.id), tool_name="get_weather")
    assert policy.server == {"id": str(server.id), "name": "Weather", "slug": "weather"}
    assert tool_policy_for(user=alice, source="preloop_builtin", tool_name="get_weather") is None
    decision = tool_call_policy_decide(policy=policy, arguments={}, tool_name="get_weather", user=alice)
    assert (decision.action, decision.rule_id) == ("deny", policy.rules[0].id)


def test_a_disabled_configuration_denies_even_a_call_that_got_past_the_listing(alice, transfer_tool):
    configure(alice, ("true", "allow"), is_enabled=False)
    policy = tool_policy_for(user=alice, source="preloop_builtin", tool_name=TOOL)
    decision = tool_call_policy_decide(policy=policy, arguments={"amount": 1}, tool_name=TOOL, user=alice)
    assert decision.action == "deny" and "disabled" in decision.reason
