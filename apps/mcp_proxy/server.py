"""The MCP server: the SDK's low-level `Server` whose tools/list and tools/call go through the pipeline."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import mcp_types
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import Server
from mcp.shared.exceptions import MCPError

from apps.mcp_proxy.models import ToolCallTransport
from apps.mcp_proxy.pipeline import CallContext, ToolCallRefused, ToolNotVisible, tool_call_execute
from apps.mcp_proxy.registry import tools_visible
from apps.mcp_proxy.threads import in_thread

# Application error codes (JSON-RPC leaves -32000…-32099 to servers): a refused call, and one that needs approval.
CALL_DENIED = -32001
APPROVAL_REQUIRED = -32003
INSTRUCTIONS = (
    "Preloop gives you the issues of the user's GitHub, GitLab and Jira trackers. Address an issue as "
    "`organization/project#number`, a Jira key such as `PROJ-123`, its URL, or its Preloop id. Every call is "
    "checked against the user's policies and audited."
)


@dataclass(frozen=True)
class McpRelay:
    """How a running call reaches its MCP client: the SDK's per-request session (progress, logs, elicitation)."""

    session: Any


def call_context(ctx: ServerRequestContext) -> CallContext:
    """Who is calling: the user the endpoint authenticated, and what the client declared (session or `_meta`)."""
    scope = ctx.request.scope if ctx.request is not None else {}
    user = scope.get("preloop.user")
    if user is None:  # the endpoint authenticates every request; reaching here without a user is a wiring bug
        raise MCPError(code=mcp_types.INTERNAL_ERROR, message="Not authenticated")
    params = ctx.session.client_params
    info = params.client_info if params is not None else None
    capabilities = ctx.session.client_capabilities
    return CallContext(
        user=user,
        credential_id=scope.get("preloop.credential_id", ""),
        client_name=info.name if info else "",
        client_version=info.version if info else "",
        client_capabilities=capabilities.model_dump(by_alias=True, exclude_none=True) if capabilities else {},
        protocol_version=ctx.protocol_version,
        session_id=scope.get("preloop.session_id"),
        relay=McpRelay(session=ctx.session),
        transport=ToolCallTransport.MCP,
    )


async def tools_list(ctx: ServerRequestContext, params: mcp_types.PaginatedRequestParams | None):
    context = call_context(ctx)
    specs = await in_thread(tools_visible, user=context.user)
    return mcp_types.ListToolsResult(tools=[spec.as_mcp_tool() for spec in specs])


async def tools_call(ctx: ServerRequestContext, params: mcp_types.CallToolRequestParams):
    context = call_context(ctx)
    try:
        result = await tool_call_execute(context=context, tool_name=params.name, arguments=params.arguments or {})
    except ToolNotVisible as refusal:
        raise MCPError(code=mcp_types.INVALID_PARAMS, message=str(refusal)) from None
    except ToolCallRefused as refusal:
        codes = {"internal_error": mcp_types.INTERNAL_ERROR, "approval_required": APPROVAL_REQUIRED}
        raise MCPError(code=codes.get(refusal.reason, CALL_DENIED), message=str(refusal)) from None
    return mcp_types.CallToolResult(
        content=[mcp_types.TextContent(type="text", text=result.text)],
        structured_content=result.structured,
        is_error=result.is_error,
    )


def server_build() -> Server:
    from importlib.metadata import version

    return Server(
        "preloop",
        version=version("preloop"),
        title="Preloop",
        instructions=INSTRUCTIONS,
        on_list_tools=tools_list,
        on_call_tool=tools_call,
    )
