"""Requests passed on to a user's upstream MCP server over its link: tool calls (the pipeline's handler for
proxied tools), prompts, resources, completions and subscriptions.

A link that turns out broken (the upstream restarted, its connection dropped) is opened again once and the
request retried; anything else comes back as an error naming the server and what to check.
"""

from __future__ import annotations

import logging
import time
from typing import Any, TypeVar

import anyio
import httpx2
import mcp_types
import pydantic
from mcp.shared.exceptions import MCPError

from apps.mcp_proxy.links import UpstreamLink, link_drop, link_for
from apps.mcp_proxy.models import ExternalMcpServer
from apps.mcp_proxy.registry import ToolError, ToolOutput
from apps.mcp_proxy.relay import McpRelay
from apps.mcp_proxy.upstream import UpstreamError, upstream_error_explain

log = logging.getLogger(__name__)
ResultT = TypeVar("ResultT")
# Errors that mean the link itself is gone, not that the upstream refused the request.
LINK_BROKEN = (anyio.ClosedResourceError, anyio.BrokenResourceError, anyio.EndOfStream, httpx2.TransportError)


class UpstreamUnavailable(ToolError):
    """The upstream could not be reached or did not answer; the message says which server and what to check."""


def _link_broken(error: BaseException) -> bool:
    if isinstance(error, MCPError):
        # An HTTP upstream that restarted forgot our session: its 404 reaches us as "Session not found"/"terminated".
        session_lost = error.error.code == mcp_types.INVALID_REQUEST and "session" in error.error.message.lower()
        return session_lost or error.error.code == mcp_types.CONNECTION_CLOSED
    if isinstance(error, BaseExceptionGroup):
        return any(_link_broken(inner) for inner in error.exceptions)
    return isinstance(error, LINK_BROKEN)


async def upstream_request(server: ExternalMcpServer, relay: McpRelay | None, request: Any, result_type: type[ResultT],
                           **options: Any) -> ResultT:  # fmt: skip
    """Send one request to `server` over this client's link; retried once on a fresh link if the link broke.

    Raises UpstreamUnavailable when the server cannot be reached, and the upstream's MCPError as it is.
    """
    for attempt in (1, 2):
        try:
            link: UpstreamLink = await link_for(server, relay)
        except UpstreamError as error:
            raise UpstreamUnavailable(f"The MCP server {server.name!r} is unavailable: {error}") from error
        session = link.session
        try:
            if session is None:
                raise anyio.ClosedResourceError
            with link.serving(relay):
                return await session.send_request(request, result_type,
                                                  request_read_timeout_seconds=float(server.timeout_seconds),
                                                  **options)  # fmt: skip
        except MCPError as error:
            if not _link_broken(error):
                if error.error.code == mcp_types.REQUEST_TIMEOUT:
                    raise UpstreamUnavailable(f"The MCP server {server.name!r} did not answer within "
                                              f"{server.timeout_seconds} s.") from error  # fmt: skip
                raise
            failure: BaseException = error
        except TimeoutError as error:
            raise UpstreamUnavailable(f"The MCP server {server.name!r} did not answer within "
                                      f"{server.timeout_seconds} s.") from error  # fmt: skip
        except Exception as error:
            if not _link_broken(error):
                raise
            failure = error
        await link_drop(link, relay)
        if attempt == 1:
            log.info("the link to MCP server %s broke (%s); opening a new one", server.name, failure)
    explanation = upstream_error_explain(server, failure)
    raise UpstreamUnavailable(f"The MCP server {server.name!r} dropped the connection: {explanation}") from failure


def _as_relay(context: Any) -> McpRelay | None:
    relay = getattr(context, "relay", None)
    return relay if isinstance(relay, McpRelay) else None


async def upstream_tool_call(*, user, arguments: dict, context, server: ExternalMcpServer,
                             upstream_name: str) -> ToolOutput:  # fmt: skip
    """The pipeline's handler for a proxied tool: call it upstream, relaying progress, and pass its result on."""
    relay = _as_relay(context)
    request = mcp_types.CallToolRequest(params=mcp_types.CallToolRequestParams(name=upstream_name, arguments=arguments))
    started = time.monotonic()
    try:
        result = await upstream_request(server, relay, request, mcp_types.CallToolResult,
                                        progress_callback=relay.progress if relay else None)  # fmt: skip
    except MCPError as error:
        raise ToolError(f"The MCP server {server.name!r} refused the call: {error.error.message} "
                        f"(JSON-RPC error {error.error.code}).") from error  # fmt: skip
    except pydantic.ValidationError as error:
        raise ToolError(f"The MCP server {server.name!r} answered with a malformed result, which Preloop does not "
                        f"pass on: {error.errors()[0]['msg']} at {error.errors()[0]['loc']}.") from error  # fmt: skip
    latency_ms = round((time.monotonic() - started) * 1000)
    data = result.model_dump(by_alias=True, mode="json", exclude_none=True)
    content = data.get("content", [])
    text = "\n".join(block.get("text", "") for block in content if block.get("type") == "text")
    return ToolOutput(structured=result.structured_content, text=text, content=content,
                      is_error=bool(result.is_error), meta=data.get("_meta"),
                      upstream_latency_ms=latency_ms)  # fmt: skip
