"""Tool configurations through real MCP: Preloop under daphne, the SDK's client, the fake GitHub behind it."""

import asyncio

import pytest
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS

from apps.mcp_proxy.audit import arguments_digest
from apps.mcp_proxy.configurations.services import RuleInput, tool_configuration_create
from apps.mcp_proxy.models import ToolCall
from apps.mcp_proxy.server import APPROVAL_REQUIRED, REFUSED
from tests.conftest import client_for
from tests.mcp_proxy.client import mcp_session
from tests.mcp_proxy.conftest import SIX_TOOLS, key_for

pytestmark = pytest.mark.django_db(transaction=True)


def assert_never_sent(fake_github):
    """acme/api still has only its seeded issue #1: no create_issue reached GitHub."""
    with pytest.raises(KeyError):
        fake_github.issue("acme", "api", 2)


def configure(user, tool_name, *rules: tuple[str, str], **fields):
    return tool_configuration_create(owner=user, tool_source="preloop_builtin", tool_name=tool_name,
                                     rules=[RuleInput(condition=c, action=a) for c, a in rules], **fields)  # fmt: skip


async def _list_and_call(url, token, name, arguments):
    async with mcp_session(url, token) as session:
        tools = (await session.list_tools()).tools
        try:
            result = await session.call_tool(name, arguments)
        except MCPError as error:
            result = error
        return tools, result


def list_and_call(server, user, name, arguments):
    """The tools/list answer, then the tools/call result or the MCPError the server answered with."""
    return asyncio.run(_list_and_call(server.mcp_url, key_for(user), name, arguments))


def test_a_disabled_tool_vanishes_from_tools_list_and_is_refused_by_name(server, alice, synced_github):
    configure(alice, "get_issue", is_enabled=False)
    tools, refused = list_and_call(server, alice, "get_issue", {"issue": "acme/api#1"})
    assert [tool.name for tool in tools] == [name for name in SIX_TOOLS if name != "get_issue"]
    assert isinstance(refused, MCPError) and refused.code == INVALID_PARAMS
    assert "Unknown tool: get_issue" in refused.message
    assert ToolCall.objects.get().outcome == "denied"


def test_a_deny_rule_refuses_the_call_and_audits_the_decision_and_rule(server, alice, synced_github):
    configuration = configure(alice, "get_issue", ('args.issue.startsWith("acme/")', "deny"))
    _, refused = list_and_call(server, alice, "get_issue", {"issue": "acme/api#1"})
    assert isinstance(refused, MCPError) and refused.code == REFUSED
    assert refused.message == 'Denied by your rule #1 (args.issue.startsWith("acme/")).'
    row = ToolCall.objects.get()
    assert (row.outcome, row.decision, row.decision_rule) == ("denied", "deny", configuration.rules.get().id)
    assert row.decision_rule_condition == 'args.issue.startsWith("acme/")' and row.transport == "mcp"


def test_require_approval_refuses_with_its_own_code_and_the_tool_never_runs(server, alice, fake_github,
                                                                             synced_github):  # fmt: skip
    configure(alice, "create_issue", ('args.project == "acme/api"', "require_approval"))
    _, refused = list_and_call(server, alice, "create_issue", {"project": "acme/api", "title": "Never sent"})
    assert isinstance(refused, MCPError) and refused.code == APPROVAL_REQUIRED
    assert "Approval required by your rule #1" in refused.message and "not run" in refused.message
    assert_never_sent(fake_github)
    row = ToolCall.objects.get()
    assert (row.outcome, row.decision, row.tool_name) == ("denied", "require_approval", "create_issue")


def test_approval_required_over_rest_is_a_403_that_says_so(alice, fake_github, synced_github):
    configure(alice, "create_issue", ("true", "require_approval"))
    response = client_for(alice).post("/api/v1/mcp/create_issue", {"project": "acme/api", "title": "No"},
                                      format="json")  # fmt: skip
    assert response.status_code == 403 and response.json()["reason"] == "approval_required"
    assert_never_sent(fake_github)


def test_a_configuration_naming_an_approval_policy_holds_unmatched_calls(alice, fake_github, synced_github):
    from apps.approvals.policies import approval_policy_create

    policy = approval_policy_create(owner=alice, name="Critical operations")
    configure(alice, "create_issue", ('args.title == "Allowed"', "allow"), approval_policy_id=policy.id)
    response = client_for(alice).post("/api/v1/mcp/create_issue", {"project": "acme/api", "title": "No rule"},
                                      format="json")  # fmt: skip
    assert response.status_code == 403 and response.json()["reason"] == "approval_required"
    assert_never_sent(fake_github)
    row = ToolCall.objects.get()
    assert (row.decision, row.decision_rule) == ("require_approval", None)


def test_justification_is_listed_required_refused_when_missing_stripped_and_stored(server, alice, fake_github,
                                                                                   synced_github):  # fmt: skip
    configure(alice, "create_issue", justification_required=True)
    tools, missing = list_and_call(server, alice, "create_issue", {"project": "acme/api", "title": "Unjustified"})
    [listed] = [tool for tool in tools if tool.name == "create_issue"]
    assert "justification" in listed.input_schema["required"]
    assert listed.input_schema["properties"]["justification"]["type"] == "string"
    [get_issue] = [tool for tool in tools if tool.name == "get_issue"]
    assert "justification" not in get_issue.input_schema.get("properties", {})
    assert missing.is_error and "requires a `justification`" in missing.content[0].text

    arguments = {"project": "acme/api", "title": "Justified", "justification": "The customer asked for it"}
    _, created = list_and_call(server, alice, "create_issue", arguments)
    assert not created.is_error, created.content[0].text
    issue = fake_github.issue("acme", "api", 2)
    assert issue["title"] == "Justified" and "customer" not in (issue.get("body") or "")
    row = ToolCall.objects.get(outcome="success")
    assert row.justification == "The customer asked for it"
    assert "justification" not in row.arguments
    assert row.arguments_digest == arguments_digest({"project": "acme/api", "title": "Justified"})


def test_a_proxied_tools_rules_are_keyed_by_its_own_name_and_survive_a_new_prefix(server, alice, weather_upstream):
    from apps.mcp_proxy import services as server_services

    upstream = server_services.mcp_server_create(owner=alice, name="Weather", url=weather_upstream.url)
    assert server_services.mcp_server_scan(server=upstream), upstream.last_error
    tool_configuration_create(owner=alice, tool_source=str(upstream.id), tool_name="get_weather",
                              rules=[RuleInput('args.city == "Oslo" && server.slug == "weather"', "deny")])  # fmt: skip
    tool_configuration_create(owner=alice, tool_source=str(upstream.id), tool_name="echo", is_enabled=False)
    tools, refused = list_and_call(server, alice, "weather__get_weather", {"city": "Oslo"})
    assert "weather__echo" not in [tool.name for tool in tools] and "weather__get_weather" in [t.name for t in tools]
    assert isinstance(refused, MCPError) and refused.code == REFUSED and "rule #1" in refused.message
    _, allowed = list_and_call(server, alice, "weather__get_weather", {"city": "Bergen"})
    assert not allowed.is_error

    server_services.mcp_server_update(server=upstream, tool_prefix="wx")
    _, still_refused = list_and_call(server, alice, "wx__get_weather", {"city": "Oslo"})
    assert isinstance(still_refused, MCPError) and still_refused.code == REFUSED
    row = ToolCall.objects.filter(tool_name="wx__get_weather").get()
    assert (row.source, row.decision, row.decision_rule_condition) == (
        str(upstream.id), "deny", 'args.city == "Oslo" && server.slug == "weather"')  # fmt: skip
