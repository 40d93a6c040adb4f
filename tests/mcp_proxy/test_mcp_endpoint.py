"""End to end: the SDK's Streamable HTTP client against Preloop served by daphne."""

import asyncio

import httpx2
import pytest
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS
from rest_framework_simplejwt.tokens import RefreshToken

from apps.accounts.models import Scope
from apps.issues.models import Issue
from apps.mcp_proxy.models import ToolCall
from tests.mcp_proxy.client import mcp_session
from tests.mcp_proxy.conftest import SIX_TOOLS, key_for
from tests.trackers.factories import tracker_for

pytestmark = pytest.mark.django_db(transaction=True)


def run(coroutine):
    return asyncio.run(coroutine)


async def tool_names(url, token):
    async with mcp_session(url, token) as session:
        return [tool.name for tool in (await session.list_tools()).tools]


async def call(url, token, name, arguments):
    """The tool's result, or the MCPError (JSON-RPC error) the server answered with."""
    async with mcp_session(url, token) as session:
        try:
            return await session.call_tool(name, arguments)
        except MCPError as error:
            return error


def test_it_initializes_and_names_itself(server, alice):
    token = key_for(alice)

    async def flow():
        async with mcp_session(server.mcp_url, token) as session:
            return await session.initialize()

    result = run(flow())
    assert result.server_info.name == "preloop" and result.protocol_version == "2025-11-25"
    assert "PROJ-123" in result.instructions


def test_a_user_without_a_tracker_sees_no_tools(server, alice):
    assert run(tool_names(server.mcp_url, key_for(alice))) == []


def test_a_user_with_a_tracker_sees_the_six_tools(server, alice, synced_github):
    assert run(tool_names(server.mcp_url, key_for(alice))) == SIX_TOOLS


def test_get_issue_returns_the_issue_and_its_comments(server, alice, synced_github):
    result = run(call(server.mcp_url, key_for(alice), "get_issue", {"issue": "acme/api#1"}))
    assert not result.is_error, result
    issue = result.structured_content["issue"]
    assert issue["title"] == "Login fails on Safari" and issue["reference"] == "acme/api#1"
    assert [c["body"] for c in issue["comments"]] == ["Seen on 17.2 too"]
    assert "Seen on 17.2 too" in result.content[0].text
    row = ToolCall.objects.get(tool_name="get_issue")
    assert (row.user, row.outcome, row.client_name, row.transport) == (alice, "success", "preloop-tests", "mcp")
    assert row.arguments == {"issue": "acme/api#1"} and len(row.arguments_digest) == 64 and row.session_id


def test_create_issue_writes_to_the_tracker(server, alice, fake_github, synced_github):
    arguments = {"project": "acme/api", "title": "Dark mode", "description": "Please.", "labels": ["enhancement"]}
    result = run(call(server.mcp_url, key_for(alice), "create_issue", arguments))
    assert not result.is_error, result.content[0].text
    issue = result.structured_content["issue"]
    assert issue["reference"] == "acme/api#2" and issue["labels"] == ["enhancement"]
    assert fake_github.issue("acme", "api", 2)["title"] == "Dark mode"
    assert Issue.objects.get(number=2, project__identifier="api").title == "Dark mode"


def test_update_issue_closes_relabels_and_comments(server, alice, fake_github, synced_github):
    issue = Issue.objects.get(title="Login fails on Safari")
    arguments = {"issue": issue.url, "state": "closed", "labels": ["bug"], "comment": "Fixed in 2.1"}
    result = run(call(server.mcp_url, key_for(alice), "update_issue", arguments))
    assert not result.is_error, result.content[0].text
    remote = fake_github.issue("acme", "api", 1)
    assert remote["state"] == "closed" and [label["name"] for label in remote["labels"]] == ["bug"]
    assert [c["body"] for c in fake_github.comments("acme", "api", 1)][-1] == "Fixed in 2.1"
    assert result.structured_content["issue"]["state"] == "closed"
    assert result.structured_content["issue"]["comments"][-1]["body"] == "Fixed in 2.1"


def test_an_issue_can_be_named_by_its_preloop_id(server, alice, synced_github):
    issue = Issue.objects.get(title="Login fails on Safari")
    result = run(call(server.mcp_url, key_for(alice), "get_issue", {"issue": str(issue.id)}))
    assert result.structured_content["issue"]["id"] == str(issue.id)


def test_bad_arguments_are_a_tool_error_and_the_call_is_denied(server, alice, synced_github):
    result = run(call(server.mcp_url, key_for(alice), "get_issue", {"issue": 42, "extra": True}))
    assert result.is_error and "Invalid arguments" in result.content[0].text
    row = ToolCall.objects.get(tool_name="get_issue")
    assert row.outcome == "denied" and "42 is not of type 'string'" in row.error_message


def test_a_tracker_refusal_is_a_tool_error(server, alice, synced_github):
    result = run(call(server.mcp_url, key_for(alice), "update_issue", {"issue": "acme/api#1", "status": "someday"}))
    assert result.is_error and "open or closed" in result.content[0].text
    assert ToolCall.objects.get(tool_name="update_issue").outcome == "tool_error"


def test_another_users_issue_is_not_found(server, bob, fake_github, synced_github):
    tracker_for(bob, url=fake_github.url, api_token=fake_github.token)
    result = run(call(server.mcp_url, key_for(bob), "get_issue", {"issue": "acme/api#1"}))
    assert result.is_error and "No issue 'acme/api#1'" in result.content[0].text
    update = run(call(server.mcp_url, key_for(bob), "update_issue", {"issue": "acme/api#1", "title": "Mine"}))
    assert update.is_error and fake_github.issue("acme", "api", 1)["title"] == "Login fails on Safari"


def test_an_unknown_tool_is_a_protocol_error_and_audited_as_denied(server, alice, synced_github):
    refused = run(call(server.mcp_url, key_for(alice), "drop_database", {}))
    assert isinstance(refused, MCPError) and refused.code == INVALID_PARAMS
    assert "Unknown tool: drop_database" in refused.message
    assert ToolCall.objects.get(tool_name="drop_database").outcome == "denied"


def test_a_hidden_tool_cannot_be_called_by_name(server, alice):
    refused = run(call(server.mcp_url, key_for(alice), "get_issue", {"issue": "acme/api#1"}))
    assert isinstance(refused, MCPError) and refused.code == INVALID_PARAMS
    assert ToolCall.objects.get(tool_name="get_issue").outcome == "denied"


def test_a_jwt_is_accepted(server, alice, synced_github):
    token = str(RefreshToken.for_user(alice).access_token)
    assert run(tool_names(server.mcp_url, token)) == SIX_TOOLS


INITIALIZE = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "curl", "version": "1"}}}  # fmt: skip
ACCEPT = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def test_no_credentials_is_a_401_with_a_bearer_challenge(server):
    response = httpx2.post(server.mcp_url, json=INITIALIZE, headers=ACCEPT)
    assert response.status_code == 401 and response.headers["www-authenticate"].startswith("Bearer ")
    assert "Bearer" in response.json()["error_description"]


def test_a_wrong_token_is_a_401(server):
    response = httpx2.post(server.mcp_url, json=INITIALIZE, headers={**ACCEPT, "Authorization": "Bearer pl_nope"})
    assert response.status_code == 401 and 'error="invalid_token"' in response.headers["www-authenticate"]
    assert "Invalid" in response.json()["detail"]


def test_an_api_key_without_the_mcp_scope_is_refused(server, alice):
    headers = {**ACCEPT, "Authorization": f"Bearer {key_for(alice, scopes=(Scope.API,))}"}
    response = httpx2.post(server.mcp_url, json=INITIALIZE, headers=headers)
    assert response.status_code == 403 and 'error="insufficient_scope"' in response.headers["www-authenticate"]
    assert "'mcp' scope" in response.json()["detail"]


def test_a_foreign_browser_origin_is_refused(server, alice):
    headers = {**ACCEPT, "Authorization": f"Bearer {key_for(alice)}", "Origin": "http://evil.example"}
    assert httpx2.post(server.mcp_url, json=INITIALIZE, headers=headers).status_code == 403
    rebound = {**headers, "Host": "evil.example"}  # DNS rebinding: the attacker's name now points here
    assert httpx2.post(server.mcp_url, json=INITIALIZE, headers=rebound).status_code == 403
    local = {**headers, "Origin": "http://localhost:6274"}  # a local inspector talking to a local server
    assert httpx2.post(server.mcp_url, json=INITIALIZE, headers=local).status_code == 200


@pytest.mark.parametrize("version", ["2025-03-26", "2025-06-18", "2025-11-25"])
def test_it_speaks_each_handshake_protocol_revision(server, alice, version):
    headers = {**ACCEPT, "Authorization": f"Bearer {key_for(alice)}"}
    body = {**INITIALIZE, "params": {**INITIALIZE["params"], "protocolVersion": version}}
    response = httpx2.post(server.mcp_url, json=body, headers=headers)
    assert response.status_code == 200 and response.headers["mcp-session-id"]
    assert f'"protocolVersion":"{version}"' in response.text.replace(" ", "")


def test_it_speaks_2026_07_28_without_handshake_or_session(server, alice, synced_github):
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client
    from mcp_types import Implementation

    token = key_for(alice)

    async def flow():
        async with (
            httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30) as http,
            streamable_http_client(server.mcp_url, http_client=http) as (read, write),
            ClientSession(read, write, client_info=Implementation(name="modern-client", version="9")) as session,
        ):
            session.adopt(await session.discover())
            tools = [tool.name for tool in (await session.list_tools()).tools]
            return tools, await session.call_tool("get_issue", {"issue": "acme/api#1"})

    tools, result = run(flow())
    assert tools == SIX_TOOLS and not result.is_error
    row = ToolCall.objects.get()
    assert (row.protocol_version, row.client_name, row.session_id) == ("2026-07-28", "modern-client", "")


def test_each_call_is_announced_on_the_users_activity_topic(server, alice, synced_github):
    from channels.layers import get_channel_layer

    from apps.notifications.topics import user_group

    token, group = key_for(alice), user_group(alice.pk)

    async def flow():
        layer = get_channel_layer()
        inbox = await layer.new_channel()
        await layer.group_add(group, inbox)
        try:
            await call(server.mcp_url, token, "get_issue", {"issue": "acme/api#1"})
            return await asyncio.wait_for(layer.receive(inbox), timeout=10)
        finally:
            await layer.group_discard(group, inbox)

    event = run(flow())["event"]
    assert (event["topic"], event["event"]) == ("activity", "tool_call")
    assert event["data"]["tool_name"] == "get_issue" and event["data"]["outcome"] == "success"
    assert event["data"]["tool_call_id"] == str(ToolCall.objects.get().id)


def test_another_users_session_id_is_not_found(server, alice, bob):
    opened = httpx2.post(
        server.mcp_url, json=INITIALIZE, headers={**ACCEPT, "Authorization": f"Bearer {key_for(alice)}"}
    )
    hijack = {**ACCEPT, "Authorization": f"Bearer {key_for(bob)}", "Mcp-Session-Id": opened.headers["mcp-session-id"],
              "MCP-Protocol-Version": "2025-06-18"}  # fmt: skip
    response = httpx2.post(server.mcp_url, json={"jsonrpc": "2.0", "id": 2, "method": "tools/list"}, headers=hijack)
    assert response.status_code == 404
