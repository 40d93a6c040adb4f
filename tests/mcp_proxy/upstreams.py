"""Real upstream MCP servers for the proxy's tests: written with the `mcp` SDK, served on loopback by uvicorn.

Run as a script (`python tests/mcp_proxy/upstreams.py`) the same server speaks stdio.
"""

from __future__ import annotations

import threading
import time

from mcp.server import Server
from mcp.server.mcpserver import MCPServer
from mcp_types import ListToolsResult, PaginatedRequestParams, Tool, ToolAnnotations
from pydantic import BaseModel

UPSTREAM_TOKEN = "upstream-secret-token-1234"


class Weather(BaseModel):
    city: str
    celsius: float


def weather_server() -> MCPServer:
    """A small server with tools (one annotated, with an output schema), a prompt, a resource and a template."""
    server = MCPServer(name="weather-upstream", version="1.4.2")

    @server.tool(title="Current weather", annotations=ToolAnnotations(read_only_hint=True, open_world_hint=True))
    def get_weather(city: str) -> Weather:
        """The current temperature in a city."""
        return Weather(city=city, celsius=21.5)

    @server.tool()
    def echo(text: str) -> str:
        """Say the text back."""
        return text

    @server.tool()
    def search(query: str) -> str:
        """A tool named like a built-in one, to test clashes."""
        return query

    @server.prompt()
    def forecast_summary(city: str) -> str:
        """Ask for a short forecast."""
        return f"Summarise the forecast for {city}."

    @server.resource("weather://stations", mime_type="application/json")
    def stations() -> str:
        return '["LHR", "CDG"]'

    @server.resource("weather://city/{city}")
    def city_report(city: str) -> str:
        return f"Report for {city}"

    return server


def paged_tools_server(*, tool_count: int = 5, page_size: int = 2) -> Server:
    """A low-level server that offers only tools, two per `tools/list` page."""
    tools = [Tool(name=f"tool_{number}", description=f"Tool {number}", input_schema={"type": "object"})
             for number in range(tool_count)]  # fmt: skip

    async def list_tools(ctx, params: PaginatedRequestParams | None) -> ListToolsResult:
        start = int(params.cursor) if params and params.cursor else 0
        end = start + page_size
        return ListToolsResult(tools=tools[start:end], next_cursor=str(end) if end < len(tools) else None)

    return Server("paged-upstream", version="0.1.0", on_list_tools=list_tools)


class BearerRequired:
    """ASGI middleware: 401 unless the request carries `Authorization: Bearer <token>`."""

    def __init__(self, app, token: str):
        self.app, self.token = app, token

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            headers = dict(scope.get("headers") or [])
            if headers.get(b"authorization") != f"Bearer {self.token}".encode():
                await send({"type": "http.response.start", "status": 401,
                            "headers": [(b"content-type", b"application/json")]})  # fmt: skip
                await send({"type": "http.response.body", "body": b'{"error": "invalid_token"}'})
                return
        await self.app(scope, receive, send)


class LoopbackUpstream:
    """An ASGI app served by uvicorn in a thread on a free loopback port."""

    def __init__(self, app, path: str, port: int | None = None):
        import uvicorn

        if port is None:
            from tests.conftest import free_port

            port = free_port()
        self.port = port
        self.url = f"http://127.0.0.1:{self.port}{path}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> LoopbackUpstream:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the upstream MCP server did not start")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def streamable_http_upstream(*, token: str | None = None) -> LoopbackUpstream:
    app = weather_server().streamable_http_app()
    # Lifespan events pass the middleware untouched, so the SDK's session manager still starts.
    return LoopbackUpstream(BearerRequired(app, token) if token else app, "/mcp")


def paged_upstream() -> LoopbackUpstream:
    return LoopbackUpstream(paged_tools_server().streamable_http_app(), "/mcp")


def sse_upstream() -> LoopbackUpstream:
    return LoopbackUpstream(weather_server().sse_app(), "/sse")


if __name__ == "__main__":
    weather_server().run("stdio")
