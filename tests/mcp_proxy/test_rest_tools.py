"""The same tools over plain HTTP: POST /api/v1/mcp/{tool_name}, through the same pipeline."""

import pytest

from apps.accounts.models import Scope
from apps.mcp_proxy.models import ToolCall
from tests.conftest import client_for
from tests.mcp_proxy.conftest import SIX_TOOLS

# Tool handlers run in a worker thread with its own connection: the data they read must be committed.
pytestmark = pytest.mark.django_db(transaction=True)


def test_a_tool_is_called_with_its_arguments_as_the_body(alice, synced_github):
    response = client_for(alice).post("/api/v1/mcp/get_issue", {"issue": "acme/api#1"}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["outcome"] == "success" and body["structured"]["issue"]["title"] == "Login fails on Safari"
    assert "Seen on 17.2 too" in body["text"]
    row = ToolCall.objects.get(id=body["tool_call_id"])
    assert (row.transport, row.outcome, row.user) == ("rest", "success", alice)


def test_create_issue_over_rest_writes_to_the_tracker(alice, fake_github, synced_github):
    response = client_for(alice).post("/api/v1/mcp/create_issue", {"project": "acme/api", "title": "From REST"},
                                      format="json")  # fmt: skip
    assert response.status_code == 200, response.json()
    assert fake_github.issue("acme", "api", 2)["title"] == "From REST"


def test_it_needs_the_mcp_scope(alice, synced_github):
    response = client_for(alice, scopes=(Scope.API,)).post("/api/v1/mcp/get_issue", {"issue": "acme/api#1"},
                                                           format="json")  # fmt: skip
    assert response.status_code == 403 and "'mcp' scope" in response.json()["detail"]
    assert not ToolCall.objects.exists()


def test_anonymous_callers_are_refused(anon_client):
    assert anon_client.post("/api/v1/mcp/get_issue", {"issue": "x"}, format="json").status_code == 401


def test_an_unknown_or_hidden_tool_is_a_404_and_audited(alice, bob, synced_github):
    assert client_for(alice).post("/api/v1/mcp/nope", {}, format="json").status_code == 404
    hidden = client_for(bob).post("/api/v1/mcp/get_issue", {"issue": "acme/api#1"}, format="json")  # bob: no tracker
    assert hidden.status_code == 404 and hidden.json()["detail"] == "Unknown tool: get_issue"
    assert sorted(ToolCall.objects.values_list("tool_name", "outcome")) == [("get_issue", "denied"), ("nope", "denied")]


def test_invalid_arguments_are_a_400_naming_them(alice, synced_github):
    response = client_for(alice).post("/api/v1/mcp/create_issue", {"project": "acme/api"}, format="json")
    assert response.status_code == 400
    assert "'title' is a required property" in response.json()["errors"]["arguments"][0]
    assert ToolCall.objects.get().outcome == "denied"


def test_a_tool_error_is_a_400_with_the_tools_message(alice, synced_github):
    response = client_for(alice).post("/api/v1/mcp/get_issue", {"issue": "acme/api#99"}, format="json")
    assert response.status_code == 400 and "No issue 'acme/api#99'" in response.json()["errors"]["tool"][0]
    assert ToolCall.objects.get().outcome == "tool_error"


def test_the_tool_listing_shows_the_visible_tools_with_their_schemas(alice, bob, synced_github):
    tools = client_for(alice).get("/api/v1/mcp/tools").json()
    assert [tool["name"] for tool in tools] == SIX_TOOLS
    get_issue = tools[0]
    assert get_issue["inputSchema"]["required"] == ["issue"] and get_issue["annotations"]["readOnlyHint"] is True
    assert tools[2]["annotations"]["destructiveHint"] is True
    assert client_for(bob).get("/api/v1/mcp/tools").json() == []


def test_tool_calls_are_listed_for_their_own_user_only(alice, bob, synced_github):
    client_for(alice).post("/api/v1/mcp/get_issue", {"issue": "acme/api#1", "api_token": "ghp_" + "x" * 30},
                           format="json")  # fmt: skip
    listed = client_for(alice).get("/api/v1/tool-calls").json()
    assert listed["count"] == 1 and listed["results"][0]["tool_name"] == "get_issue"
    assert listed["results"][0]["arguments"]["api_token"] == "[REDACTED]"
    assert client_for(bob).get("/api/v1/tool-calls").json()["count"] == 0
