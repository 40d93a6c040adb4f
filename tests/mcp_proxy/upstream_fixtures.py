"""Fixtures serving the upstream MCP servers of `upstreams.py` (and two that are not MCP) on loopback."""

from __future__ import annotations

import socket
import threading

import pytest

from tests.mcp_proxy.conformance_fixture import conformance_upstream
from tests.mcp_proxy.upstreams import (
    UPSTREAM_TOKEN,
    LoopbackUpstream,
    paged_upstream,
    sse_upstream,
    streamable_http_upstream,
)


@pytest.fixture(scope="session")
def weather_upstream():
    upstream = streamable_http_upstream().start()
    yield upstream
    upstream.stop()


@pytest.fixture(scope="session")
def secured_upstream():
    upstream = streamable_http_upstream(token=UPSTREAM_TOKEN).start()
    yield upstream
    upstream.stop()


@pytest.fixture(scope="session")
def sse_weather_upstream():
    upstream = sse_upstream().start()
    yield upstream
    upstream.stop()


@pytest.fixture(scope="session")
def tools_only_paged_upstream():
    upstream = paged_upstream().start()
    yield upstream
    upstream.stop()


@pytest.fixture(scope="session")
def conformance_fixture_upstream():
    """The server with every fixture the official conformance suite calls (conformance_fixture.py)."""
    upstream = conformance_upstream().start()
    yield upstream
    upstream.stop()


@pytest.fixture
def silent_upstream():
    """A TCP server that accepts connections and never answers."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted = []
    threading.Thread(target=lambda: accepted.append(listener.accept()), daemon=True).start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/mcp"
    listener.close()
    for conn, _ in accepted:
        conn.close()


@pytest.fixture(scope="session")
def web_page():
    """An HTTP server that answers every request with an HTML page."""

    async def page(scope, receive, send):
        if scope["type"] == "http":
            await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/html")]})
            await send({"type": "http.response.body", "body": b"<html><body>Welcome</body></html>"})

    upstream = LoopbackUpstream(page, "/").start()
    yield upstream
    upstream.stop()
