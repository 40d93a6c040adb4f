"""Talking to a user's upstream MCP server with the SDK client: connect, initialize, list what it offers.

Network only, no database: the services in `external_servers.py` store what comes back. Every failure
becomes an `UpstreamError` whose message tells the user what to check.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx2
from mcp import ClientSession
from mcp.client.sse import sse_client
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from mcp_types import METHOD_NOT_FOUND, Implementation, PaginatedRequestParams

from apps.mcp_proxy.models import ExternalMcpServer, McpTransport
from preloop import __version__
from preloop.http import USER_AGENT

# A server that keeps handing out cursors is broken (or hostile): stop after this many pages of a list.
MAX_PAGES = 100
CLIENT_INFO = Implementation(name="Preloop", version=__version__)


class UpstreamError(Exception):
    """The upstream could not be reached or did not speak MCP; the message says what to check."""


@dataclass
class Discovery:
    """What one scan of an upstream found."""

    server_info: dict[str, Any]
    capabilities: dict[str, Any]
    protocol_version: str
    latency_ms: int  # the initialize round trip
    tools: list[dict[str, Any]] = field(default_factory=list)
    prompts: list[dict[str, Any]] = field(default_factory=list)
    resources: list[dict[str, Any]] = field(default_factory=list)
    resource_templates: list[dict[str, Any]] = field(default_factory=list)


def _request_headers(server: ExternalMcpServer) -> dict[str, str]:
    headers = {"User-Agent": USER_AGENT, **server.headers_dict}
    if server.bearer_token:
        headers["Authorization"] = f"Bearer {server.bearer_token}"
    return headers


class _HttpFailures:
    """HTTP error statuses the upstream answered: the SDK turns them into generic JSON-RPC errors."""

    def __init__(self):
        self.statuses: list[int] = []

    async def record(self, response: httpx2.Response) -> None:
        if response.status_code >= 400:
            self.statuses.append(response.status_code)

    def client(self, headers=None, timeout=None, auth=None) -> httpx2.AsyncClient:
        """An SDK `httpx_client_factory` whose client records failures (redirects stay the SDK's to follow)."""
        return httpx2.AsyncClient(headers=headers, timeout=timeout, auth=auth, follow_redirects=False,
                                  event_hooks={"response": [self.record]})  # fmt: skip


def _transport_streams(server: ExternalMcpServer, failures: _HttpFailures):
    """The SDK client transport for the server (an async context manager yielding its read and write streams)."""
    timeout = float(server.timeout_seconds)
    if server.transport == McpTransport.STREAMABLE_HTTP:
        # The SDK only closes an http_client it created itself: this one is closed by `upstream_session`.
        http = failures.client(headers=_request_headers(server), timeout=httpx2.Timeout(timeout))
        return http, streamable_http_client(server.url, http_client=http)
    if server.transport == McpTransport.SSE:
        return None, sse_client(server.url, headers=_request_headers(server), timeout=timeout,
                                httpx_client_factory=failures.client)  # fmt: skip
    parameters = StdioServerParameters(command=server.command, args=list(server.args), env=server.env_dict)
    return None, stdio_client(parameters)


@asynccontextmanager
async def upstream_session(server: ExternalMcpServer, *, failures: _HttpFailures | None = None,
                           **session_options: Any) -> AsyncIterator[ClientSession]:  # fmt: skip
    """An open (not yet initialized) SDK client session to the server, over its transport.

    `session_options` go to the SDK's ClientSession: the callbacks through which a proxied client's
    capabilities (sampling, elicitation, roots) and the upstream's notifications are relayed.
    """
    http, streams = _transport_streams(server, failures or _HttpFailures())
    async with AsyncExitStack() as stack:
        if http is not None:
            await stack.enter_async_context(http)
        read, write = await stack.enter_async_context(streams)
        timeout = float(server.timeout_seconds)
        session = ClientSession(read, write, client_info=CLIENT_INFO, read_timeout_seconds=timeout, **session_options)
        yield await stack.enter_async_context(session)


async def _all_pages(lister: Callable[..., Awaitable[Any]], attribute: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(MAX_PAGES):
        try:
            result = await lister(params=PaginatedRequestParams(cursor=cursor) if cursor else None)
        except MCPError as error:
            # Declaring resources without serving resources/templates/list is common: nothing to list there.
            if error.error.code == METHOD_NOT_FOUND and not items:
                return items
            raise
        items.extend(
            item.model_dump(by_alias=True, mode="json", exclude_none=True) for item in getattr(result, attribute)
        )
        cursor = result.next_cursor
        if not cursor:
            return items
    raise UpstreamError(f"The server kept paginating its {attribute} past {MAX_PAGES} pages; Preloop stopped there.")


async def _discover(server: ExternalMcpServer, failures: _HttpFailures) -> Discovery:
    async with upstream_session(server, failures=failures) as session:
        started = time.monotonic()
        initialized = await session.initialize()
        latency_ms = round((time.monotonic() - started) * 1000)
        capabilities = initialized.capabilities
        # Only what the server declares: asking for an undeclared list is an error on strict servers.
        return Discovery(
            server_info=initialized.server_info.model_dump(mode="json", exclude_none=True),
            capabilities=capabilities.model_dump(by_alias=True, mode="json", exclude_none=True),
            protocol_version=str(initialized.protocol_version),
            latency_ms=latency_ms,
            tools=await _all_pages(session.list_tools, "tools") if capabilities.tools else [],
            prompts=await _all_pages(session.list_prompts, "prompts") if capabilities.prompts else [],
            resources=await _all_pages(session.list_resources, "resources") if capabilities.resources else [],
            resource_templates=(
                await _all_pages(session.list_resource_templates, "resource_templates")
                if capabilities.resources
                else []
            ),
        )


def _leaves(error: BaseException) -> list[BaseException]:
    """The real causes inside (nested) exception groups, which the SDK's task groups raise."""
    if isinstance(error, BaseExceptionGroup):
        return [leaf for inner in error.exceptions for leaf in _leaves(inner)]
    return [error]


def upstream_error_explain(server: ExternalMcpServer, error: BaseException, statuses: list[int] = ()) -> str:
    """What went wrong talking to the server, in words the user can act on (exception groups unwrapped)."""
    leaves = [leaf for leaf in _leaves(error) if isinstance(leaf, Exception)] or [error]
    return _explain(server, _first_cause(leaves), list(statuses))


def _explain(server: ExternalMcpServer, error: BaseException, statuses: list[int]) -> str:
    where = server.url or server.command
    if isinstance(error, UpstreamError):
        return str(error)
    if isinstance(error, httpx2.HTTPStatusError) or (statuses and not isinstance(error, TimeoutError)):
        code = error.response.status_code if isinstance(error, httpx2.HTTPStatusError) else statuses[0]
        if code in (401, 403):
            return (f"{where} refused Preloop's credentials (HTTP {code}): check the server's bearer token "
                    "and headers.")  # fmt: skip
        return (f"{where} answered HTTP {code}: is this the server's MCP endpoint, and does it speak the "
                f"{server.get_transport_display()} transport?")  # fmt: skip
    if "content type" in str(error).lower():  # a web page or another API where the MCP endpoint should be
        return (f"{where} is not an MCP endpoint ({error}): check the URL and that the server speaks the "
                f"{server.get_transport_display()} transport.")  # fmt: skip
    if isinstance(error, httpx2.TimeoutException | TimeoutError):
        return (
            f"{where} did not answer within {server.timeout_seconds} s: is it overloaded, or is the timeout too short?"
        )
    if isinstance(error, httpx2.TransportError):
        return f"Cannot connect to {where} ({error or type(error).__name__}): is the server running and reachable?"
    if isinstance(error, MCPError):
        return f"{where} answered with an MCP error: {error}"
    if isinstance(error, OSError):
        return f"Cannot start {where!r}: {error}"
    return f"{where} does not speak MCP as expected ({type(error).__name__}: {error})."


def _first_cause(leaves: list[BaseException]) -> BaseException:
    """Prefer the error that says most (an HTTP status over the stream closing that followed it)."""
    for kind in (UpstreamError, httpx2.HTTPStatusError, httpx2.TransportError, MCPError, TimeoutError, OSError):
        for leaf in leaves:
            if isinstance(leaf, kind):
                return leaf
    return leaves[0]


async def mcp_server_discover(*, server: ExternalMcpServer) -> Discovery:
    """Connect, initialize and list everything the server declares, within the server's timeout."""
    failures = _HttpFailures()
    try:
        with anyio.fail_after(server.timeout_seconds):
            return await _discover(server, failures)
    except Exception as error:  # every failure becomes a message for the user
        raise UpstreamError(upstream_error_explain(server, error, failures.statuses)) from error
