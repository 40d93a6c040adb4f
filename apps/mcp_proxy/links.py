"""Upstream sessions (ARCHITECTURE decision 4): open SDK client sessions to users' MCP servers, kept open.

A client session that uses a server gets its own `UpstreamLink`, opened on first use with the capabilities
that client declared and closed with the client's session, so log levels, subscriptions, roots and the
upstream's questions stay per client. Calls without a client session (REST, flows, 2026-07-28 requests)
share one pooled link per server and connection settings. Either way no proxied call pays a handshake once
its link is open; a link that broke is dropped and opened again once before the call fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import weakref
from collections.abc import Iterator
from typing import Any

import mcp_types
from django.conf import settings
from mcp import ClientSession
from mcp.shared.exceptions import MCPError

from apps.mcp_proxy.models import HTTP_TRANSPORTS, ExternalMcpServer
from apps.mcp_proxy.relay import ClientCannotAnswer, ClientChannel, McpRelay
from apps.mcp_proxy.upstream import UpstreamError, _HttpFailures, upstream_error_explain, upstream_session
from preloop.http import OutboundUrlRefused, outbound_url_check

log = logging.getLogger(__name__)
CLOSE_GRACE_SECONDS = 5.0
LIST_CHANGED = (mcp_types.ToolListChangedNotification, mcp_types.PromptListChangedNotification,
                mcp_types.ResourceListChangedNotification)  # fmt: skip


def server_fingerprint(server: ExternalMcpServer) -> str:
    """What a link was opened with: a changed URL, credential or command needs a new link."""
    settings = [server.transport, server.url, server.command, server.args, server.env, server.bearer_token,
                server.headers, server.timeout_seconds]  # fmt: skip
    return hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()


class UpstreamLink:
    """One open SDK client session to an upstream, held open by a task of its own until closed."""

    def __init__(self, server: ExternalMcpServer, *, channel: ClientChannel | None):
        self.server = server
        self.fingerprint = server_fingerprint(server)
        self.channel = channel
        self.session: ClientSession | None = None
        self.calls: list[McpRelay] = []  # the client requests now served through this link, newest last
        self._ready = asyncio.Event()
        self._stop = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._failure: BaseException | None = None
        self._http_failures = _HttpFailures()

    @property
    def usable(self) -> bool:
        return self.session is not None and self._task is not None and not self._task.done()

    async def open(self) -> None:
        """Connect and initialize within the server's timeout; UpstreamError says why it could not.

        The URL is checked again first: the name may resolve elsewhere now than when the server was saved.
        """
        if self.server.transport in HTTP_TRANSPORTS:
            try:
                await asyncio.to_thread(outbound_url_check, self.server.url)
            except OutboundUrlRefused as refused:
                raise UpstreamError(str(refused)) from refused
        elif not settings.MCP_ALLOW_STDIO_SERVERS:
            raise UpstreamError("stdio servers are switched off on this Preloop (MCP_ALLOW_STDIO_SERVERS).")
        self._task = asyncio.get_running_loop().create_task(self._hold(), name=f"mcp-upstream:{self.server.slug}")
        waiter = asyncio.ensure_future(self._ready.wait())
        try:
            await asyncio.wait({waiter, self._task}, timeout=self.server.timeout_seconds,
                               return_when=asyncio.FIRST_COMPLETED)  # fmt: skip
        finally:
            waiter.cancel()
            if not self._ready.is_set():
                await self.close()
        if not self._ready.is_set():
            if self._failure is not None:
                raise UpstreamError(upstream_error_explain(self.server, self._failure, self._http_failures.statuses))
            where = self.server.url or self.server.command
            raise UpstreamError(f"{where} did not answer within {self.server.timeout_seconds} s: is it overloaded, "
                                "or is the timeout too short?")  # fmt: skip

    async def _hold(self) -> None:
        try:
            async with upstream_session(self.server, failures=self._http_failures, **self._callbacks()) as session:
                initialized = await session.initialize()
                level = self.channel.log_level if self.channel else None
                if level and initialized.capabilities.logging is not None:
                    await session.send_request(
                        mcp_types.SetLevelRequest(params=mcp_types.SetLevelRequestParams(level=level)),
                        mcp_types.EmptyResult,
                    )
                self.session = session
                self._ready.set()
                await self._stop.wait()
        except Exception as error:
            self._failure = error
            if self._ready.is_set():
                log.info("the link to MCP server %s (%s) broke: %s", self.server.name, self.server.id, error)
        finally:
            self.session = None

    async def close(self) -> None:
        self._stop.set()
        task = self._task
        if task is None or task.done():
            return
        try:
            await asyncio.wait_for(asyncio.shield(task), CLOSE_GRACE_SECONDS)
        except (TimeoutError, Exception):
            task.cancel()

    @contextlib.contextmanager
    def serving(self, relay: McpRelay | None) -> Iterator[None]:
        """While a client request runs here, the upstream's log messages and questions go to it."""
        if relay is None:
            yield
            return
        self.calls.append(relay)
        try:
            yield
        finally:
            self.calls.remove(relay)

    # Relayed from the upstream to the client ------------------------------------------------------------

    def _callbacks(self) -> dict[str, Any]:
        """Callbacks for the capabilities the client declared: the upstream sees the client's own abilities."""
        options: dict[str, Any] = {"logging_callback": self._on_log, "message_handler": self._on_message}
        capabilities = self.channel.capabilities if self.channel else None
        if capabilities is not None:
            if capabilities.sampling is not None:
                options["sampling_callback"] = self._on_sampling
                options["sampling_capabilities"] = capabilities.sampling
            if capabilities.elicitation is not None:
                options["elicitation_callback"] = self._on_elicitation
            if capabilities.roots is not None:
                options["list_roots_callback"] = self._on_list_roots
        return options

    def _target(self) -> McpRelay | ClientChannel | None:
        """The request the upstream is most likely serving (the newest), else the client session itself."""
        return self.calls[-1] if self.calls else self.channel

    async def _ask(self, method: str, params: Any, result_type: type) -> Any:
        target = self._target()
        if target is None:
            return mcp_types.ErrorData(code=mcp_types.INVALID_REQUEST, message=(
                f"Preloop has no MCP client session to relay {method} to (the call came through REST or a flow)."))  # fmt: skip
        payload = params.model_dump(by_alias=True, mode="json", exclude_none=True) if params is not None else None
        try:
            answer = await target.request(method, payload)
        except ClientCannotAnswer as refusal:
            return mcp_types.ErrorData(code=mcp_types.INVALID_REQUEST, message=str(refusal))
        except MCPError as error:
            return error.error
        if isinstance(result_type, tuple):
            for candidate in result_type:
                with contextlib.suppress(ValueError):
                    return candidate.model_validate(answer)
            result_type = result_type[-1]
        return result_type.model_validate(answer)

    async def _on_sampling(self, context, params: mcp_types.CreateMessageRequestParams):
        result_types = (mcp_types.CreateMessageResult, mcp_types.CreateMessageResultWithTools)
        return await self._ask("sampling/createMessage", params, result_types)

    async def _on_elicitation(self, context, params: mcp_types.ElicitRequestParams):
        return await self._ask("elicitation/create", params, mcp_types.ElicitResult)

    async def _on_list_roots(self, context):
        return await self._ask("roots/list", None, mcp_types.ListRootsResult)

    async def _on_log(self, params: mcp_types.LoggingMessageNotificationParams) -> None:
        target = self._target()
        try:
            if isinstance(target, McpRelay):
                await target.log(params)
            elif target is not None:
                await target.notify(mcp_types.LoggingMessageNotification(params=params))
        except Exception as error:  # the client went away: the upstream's work goes on
            log.debug("could not relay a log message from %s: %s", self.server.name, error)

    async def _on_message(self, message: Any) -> None:
        if isinstance(message, mcp_types.ResourceUpdatedNotification) and self.channel is not None:
            await self.channel.notify(message)
        elif isinstance(message, LIST_CHANGED):
            from apps.mcp_proxy.notifier import server_rescan_soon

            server_rescan_soon(server_id=self.server.id)
        elif isinstance(message, Exception):
            log.debug("MCP server %s: %s", self.server.name, message)


# Links by event loop: the pool of a loop that ended (a test's async_to_sync) must not be reused.
_pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[str, str], UpstreamLink]] = (
    weakref.WeakKeyDictionary()
)
_opening: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[Any, asyncio.Lock]] = weakref.WeakKeyDictionary()


def _holder(channel: ClientChannel | None, server: ExternalMcpServer) -> tuple[dict, Any]:
    if channel is not None:
        return channel.links, str(server.id)
    pool = _pools.setdefault(asyncio.get_running_loop(), {})
    return pool, (str(server.id), server_fingerprint(server))


async def link_for(server: ExternalMcpServer, relay: McpRelay | None) -> UpstreamLink:
    """The open link this request uses for `server`: its client session's, else the pool's."""
    channel = relay.channel if relay is not None else None
    holder, key = _holder(channel, server)
    link = holder.get(key)
    if link is not None and link.usable and link.fingerprint == server_fingerprint(server):
        return link
    # A client session's locks live and die with it; the pool's are few (one per server and settings).
    locks = channel.opening if channel is not None else _opening.setdefault(asyncio.get_running_loop(), {})
    async with locks.setdefault(key, asyncio.Lock()):
        link = holder.get(key)
        if link is not None and link.usable and link.fingerprint == server_fingerprint(server):
            return link
        if link is not None:
            holder.pop(key, None)
            await link.close()
        if channel is None:  # the pool's links of this server made with settings since changed
            for stale_key in [k for k in holder if k[0] == key[0] and k != key]:
                await holder.pop(stale_key).close()
        link = UpstreamLink(server, channel=channel)
        await link.open()
        holder[key] = link
        return link


async def link_drop(link: UpstreamLink, relay: McpRelay | None) -> None:
    """Forget a link that failed, so the next use opens a new one."""
    holder, key = _holder(relay.channel if relay is not None else None, link.server)
    if holder.get(key) is link:
        holder.pop(key, None)
    await link.close()


async def links_close_all() -> None:
    """Close this loop's pooled links (process shutdown, tests)."""
    pool = _pools.pop(asyncio.get_running_loop(), {})
    for link in pool.values():
        await link.close()
