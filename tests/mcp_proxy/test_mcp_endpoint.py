"""End to end: the SDK's Streamable HTTP client against Preloop served by daphne."""

import asyncio

import pytest

from apps.mcp_proxy.models import ToolCall
from tests.mcp_proxy.client import mcp_session
from tests.mcp_proxy.conftest import key_for

pytestmark = pytest.mark.django_db(transaction=True)


def run(coroutine):
    return asyncio.run(coroutine)


async def tool_names(url, token):
    async with mcp_session(url, token) as session:
        return [tool.name for tool in (await session.list_tools()).tools]


async def call(url, token, name, arguments):
    async with mcp_session(url, token) as session:
        return await session.call_tool(name, arguments)


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


def test_a_user_with_a_tracker_sees_the_issue_tools(server, alice, synced_github):
    assert run(tool_names(server.mcp_url, key_for(alice))) == ["get_issue", "create_issue", "update_issue"]


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
