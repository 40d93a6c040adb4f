"""How a running call reaches its MCP client, and what Preloop keeps per client session.

`McpRelay` is one request's way back: progress for its progress token, log messages and server-to-client
requests (sampling, elicitation, roots) on that request's own response stream. `ClientChannel` is one
client session's state: what the client declared, its log level, and the upstream sessions opened for it
(ARCHITECTURE decision 4); it lives in the SDK connection's state and closes with it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import mcp_types
from mcp.server.context import ServerRequestContext
from mcp.server.session import ServerSession
from mcp.shared.exceptions import MCPError
from mcp.shared.message import ServerMessageMetadata

log = logging.getLogger(__name__)
CHANNEL_STATE_KEY = "preloop.channel"
# The capability a server-to-client request needs from the calling client.
REQUEST_CAPABILITY = {"sampling/createMessage": "sampling", "elicitation/create": "elicitation",
                      "roots/list": "roots"}  # fmt: skip


class ClientCannotAnswer(Exception):
    """The upstream asked the client something it cannot be asked (undeclared capability, no session)."""


def _declares(capabilities: mcp_types.ClientCapabilities | None, capability: str) -> bool:
    return capabilities is not None and getattr(capabilities, capability, None) is not None


@dataclass(eq=False)
class ClientChannel:
    """One MCP client session as Preloop keeps it: where standalone notifications go, and its upstreams."""

    session: ServerSession  # any request's session of this connection: its standalone channel is the connection's
    user_id: Any
    client_name: str = ""
    log_level: str | None = None
    links: dict[str, Any] = field(default_factory=dict)  # server id → UpstreamLink
    opening: dict[str, Any] = field(default_factory=dict)  # server id → the lock of a link being opened

    @property
    def capabilities(self) -> mcp_types.ClientCapabilities | None:
        return self.session.client_capabilities

    async def notify(self, notification: mcp_types.ServerNotification) -> None:
        """Send on the client's standalone stream; a client that left is not an error."""
        try:
            await self.session.send_notification(notification)
        except Exception as error:  # the stream is gone or the client never opened one
            log.debug("could not notify MCP client %s: %s", self.client_name, error)

    async def request(self, method: str, params: dict[str, Any] | None) -> dict[str, Any]:
        """A server-to-client request outside any call (the upstream asked between calls)."""
        return await _ask(self.session, self.capabilities, self.client_name, method, params, related_request_id=None)

    async def close(self) -> None:
        links, self.links = list(self.links.values()), {}
        for link in links:
            await link.close()


@dataclass(frozen=True, eq=False)
class McpRelay:
    """One MCP request's way back to its client while Preloop works on it."""

    session: ServerSession
    request_id: Any
    channel: ClientChannel | None  # None: no client session (2026-07-28 requests, stateless)

    @property
    def capabilities(self) -> mcp_types.ClientCapabilities | None:
        return self.session.client_capabilities

    @property
    def client_name(self) -> str:
        return self.channel.client_name if self.channel else ""

    async def progress(self, progress: float, total: float | None, message: str | None) -> None:
        """Progress for the client's own progress token (nothing when it gave none)."""
        await self.session.report_progress(progress, total, message)

    async def log(self, params: mcp_types.LoggingMessageNotificationParams) -> None:
        await self.session.send_notification(
            mcp_types.LoggingMessageNotification(params=params), related_request_id=self.request_id
        )

    async def request(self, method: str, params: dict[str, Any] | None) -> dict[str, Any]:
        """Ask the client (sampling, elicitation, roots) on this request's stream; its answer as JSON."""
        return await _ask(self.session, self.capabilities, self.client_name, method, params,
                          related_request_id=self.request_id)  # fmt: skip


async def _ask(session: ServerSession, capabilities, client_name: str, method: str, params: dict[str, Any] | None,
               *, related_request_id) -> dict[str, Any]:  # fmt: skip
    capability = REQUEST_CAPABILITY.get(method)
    if capability is not None and not _declares(capabilities, capability):
        who = f"The MCP client {client_name!r}" if client_name else "The calling MCP client"
        raise ClientCannotAnswer(f"{who} did not declare the {capability} capability, so Preloop cannot relay "
                                 f"the server's {method} request to it.")  # fmt: skip
    request = _RawRequest(method=method, params=params)
    result = await session.send_request(
        request, _RawResult, metadata=ServerMessageMetadata(related_request_id=related_request_id)
    )
    return result.model_dump(by_alias=True, mode="json", exclude_none=True)


class _RawRequest(mcp_types.Request[dict[str, Any] | None, str]):
    """A server-to-client request passed on as the upstream sent it."""


class _RawResult(mcp_types.Result):
    """Any result, kept as the client sent it (the upstream validates its own answer)."""

    model_config = {"extra": "allow"}


def relay_for(ctx: ServerRequestContext, channel: ClientChannel | None) -> McpRelay:
    return McpRelay(session=ctx.session, request_id=ctx.request_id, channel=channel)


def channel_for(ctx: ServerRequestContext, *, user_id, client_name: str) -> ClientChannel | None:
    """The client session's channel, made on its first request; None without a session (stateless requests).

    The SDK keeps per-connection state only on the connection, which 2.3 exposes to handlers through the
    request's session; its exit stack closes when the client session ends (DELETE, idle timeout, crash).
    """
    connection = getattr(ctx.session, "_connection", None)
    if connection is None or getattr(connection, "session_id", None) is None:
        return None
    channel = connection.state.get(CHANNEL_STATE_KEY)
    if channel is None:
        channel = ClientChannel(session=ctx.session, user_id=user_id, client_name=client_name)
        connection.state[CHANNEL_STATE_KEY] = channel
        connection.exit_stack.push_async_callback(channel.close)
        from apps.mcp_proxy.notifier import channel_register

        channel_register(channel)
    return channel


def mcp_error(error: BaseException) -> MCPError:
    return error if isinstance(error, MCPError) else MCPError(code=mcp_types.INTERNAL_ERROR, message=str(error))
