"""The pipeline never runs a call it could not check, and audits the refusal."""

import pytest

from apps.mcp_proxy.models import ToolCall
from apps.mcp_proxy.registry import ToolOutput, ToolSpec, tool_register, tool_unregister
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def ran():
    return []


@pytest.fixture
def broken_tool(ran):
    """A tool whose argument schema is itself broken, so deciding on a call raises."""

    def handler(*, user, arguments, context):
        ran.append(arguments)
        return ToolOutput(structured={}, text="ran")

    spec = tool_register(ToolSpec(name="broken_tool", title="Broken", description="A test tool.",
                                  input_schema={"type": 12}, handler=handler))  # fmt: skip
    yield spec
    tool_unregister(spec.name)


def test_a_failure_while_deciding_refuses_the_call_and_audits_it(alice, synced_github, broken_tool, ran):
    response = client_for(alice).post("/api/v1/mcp/broken_tool", {"anything": 1}, format="json")
    assert response.status_code == 503 and "not run" in response.json()["detail"]
    assert ran == []
    row = ToolCall.objects.get()
    assert row.outcome == "denied" and "internal error while deciding" in row.error_message


def test_a_tool_is_listed_once_registered_and_gone_once_unregistered(alice, synced_github, broken_tool):
    assert "broken_tool" in [tool["name"] for tool in client_for(alice).get("/api/v1/mcp/tools").json()]
    tool_unregister("broken_tool")
    assert "broken_tool" not in [tool["name"] for tool in client_for(alice).get("/api/v1/mcp/tools").json()]
