"""Reads of tool-call audit rows and external MCP servers, always the requesting user's own."""

from apps.mcp_proxy.models import ExternalMcpServer, ToolCall


def tool_call_list(*, user, tool_name: str | None = None, outcome: str | None = None):
    calls = ToolCall.objects.filter(user=user)
    if tool_name:
        calls = calls.filter(tool_name=tool_name)
    if outcome:
        calls = calls.filter(outcome=outcome)
    return calls.order_by("-created_at")


def mcp_server_list(*, user):
    return ExternalMcpServer.objects.filter(owner=user)


def mcp_server_get(*, user, server_id) -> ExternalMcpServer:
    return mcp_server_list(user=user).get(id=server_id)


def mcp_server_tools(*, server: ExternalMcpServer) -> list[dict]:
    """The tools the last scan found, each with the name clients will call it by."""
    return [{**tool, "name": server.proxied_name(tool["name"]), "upstreamName": tool["name"]} for tool in server.tools]
