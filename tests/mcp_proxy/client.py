"""The official MCP SDK client over Streamable HTTP, pointed at a running Preloop."""

from __future__ import annotations

from contextlib import asynccontextmanager

import httpx2
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client


@asynccontextmanager
async def mcp_session(url: str, token: str | None, *, transport: httpx2.AsyncBaseTransport | None = None,
                      client_name: str = "preloop-tests"):  # fmt: skip
    """An initialized ClientSession authenticating with `token`."""
    from mcp_types import Implementation

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=30, transport=transport) as http,
        streamable_http_client(url, http_client=http) as (read, write),
        ClientSession(read, write, client_info=Implementation(name=client_name, version="1.2.3")) as session,
    ):
        await session.initialize()
        yield session
