"""Real upstream MCP servers for the proxy's tests: written with the `mcp` SDK, served on loopback by uvicorn.

Run as a script (`python tests/mcp_proxy/upstreams.py`) the same server speaks stdio.
"""

from __future__ import annotations

import threading
import time

import anyio
from mcp.server import Server
from mcp.server.mcpserver import Context, MCPServer
from mcp_types import (
    CallToolRequestParams,
    CallToolResult,
    ListToolsResult,
    PaginatedRequestParams,
    SamplingMessage,
    TextContent,
    Tool,
    ToolAnnotations,
)
from pydantic import BaseModel

UPSTREAM_TOKEN = "upstream-secret-token-1234"


WAITING, CANCELLED = threading.Event(), threading.Event()  # what `wait_forever` is doing


class CityAnswer(BaseModel):
    city: str


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

    @server.tool()
    async def countdown(steps: int, ctx: Context) -> str:
        """Report progress and log a line per step (to test their relay)."""
        for step in range(1, steps + 1):
            await ctx.info(f"step {step} of {steps}")
            await ctx.report_progress(step, steps, f"step {step}")
        return f"counted {steps}"

    @server.tool()
    async def wait_forever(ctx: Context) -> str:
        """Never finishes on its own (to test cancellation)."""
        WAITING.set()
        try:
            await anyio.sleep(3600)
        finally:
            WAITING.clear()
            CANCELLED.set()
        return "impossible"

    @server.tool()
    async def ask_city(ctx: Context) -> str:
        """Ask the person at the client for a city (elicitation)."""
        answer = await ctx.elicit("Which city?", CityAnswer)
        return f"{answer.action}: {answer.data.city if answer.data else '-'}"

    @server.tool()
    async def poem(topic: str, ctx: Context) -> str:
        """Have the client's model write a line (sampling)."""
        result = await ctx.session.create_message(
            messages=[SamplingMessage(role="user", content=TextContent(type="text", text=f"A line about {topic}"))],
            max_tokens=50, related_request_id=ctx.request_id,
        )  # fmt: skip
        return f"{result.model}: {result.content.text}"

    @server.tool()
    async def my_roots(ctx: Context) -> str:
        """The client's roots (roots/list)."""
        result = await ctx.session.list_roots()
        return ", ".join(str(root.uri) for root in result.roots)

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

    async def call_tool(ctx, params: CallToolRequestParams) -> CallToolResult:
        return CallToolResult(content=[TextContent(type="text", text=f"{params.name} ran")])

    return Server("paged-upstream", version="0.1.0", on_list_tools=list_tools, on_call_tool=call_tool)


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
        # Open streams (a proxy's standalone SSE stream) must not hold a stop up for long.
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on",
                                timeout_graceful_shutdown=1)  # fmt: skip
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


def streamable_http_upstream(*, token: str | None = None, port: int | None = None) -> LoopbackUpstream:
    server = weather_server()
    app = server.streamable_http_app()
    # Lifespan events pass the middleware untouched, so the SDK's session manager still starts.
    upstream = LoopbackUpstream(BearerRequired(app, token) if token else app, "/mcp", port=port)
    upstream.sessions = lambda: len(server.session_manager._server_instances)  # the MCP sessions open upstream
    return upstream


def paged_upstream() -> LoopbackUpstream:
    return LoopbackUpstream(paged_tools_server().streamable_http_app(), "/mcp")


def sse_upstream() -> LoopbackUpstream:
    return LoopbackUpstream(weather_server().sse_app(), "/sse")


if __name__ == "__main__":
    weather_server().run("stdio")


MISBEHAVING_TOOLS = ["slow", "garbage", "crash"]


def misbehaving_app():
    """A raw Streamable HTTP MCP server (JSON responses) whose tools misbehave: one never answers in time,
    one answers a result that is not MCP, one fails with HTTP 500 mid-call."""
    import asyncio
    import json

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break

        async def answer(status: int, payload: dict | None, headers=()):
            data = json.dumps(payload).encode() if payload is not None else b""
            await send({"type": "http.response.start", "status": status,
                        "headers": [(b"content-type", b"application/json"), *headers]})  # fmt: skip
            await send({"type": "http.response.body", "body": data})

        if scope["method"] != "POST":
            await answer(405, None)
            return
        request = json.loads(body)
        if "id" not in request:
            await answer(202, None)
            return
        method, ident = request["method"], request["id"]
        if method == "initialize":
            result = {"protocolVersion": request["params"]["protocolVersion"], "capabilities": {"tools": {}},
                      "serverInfo": {"name": "misbehaving", "version": "0"}}  # fmt: skip
            await answer(200, {"jsonrpc": "2.0", "id": ident, "result": result}, [(b"mcp-session-id", b"s1")])
        elif method == "tools/list":
            tools = [{"name": name, "inputSchema": {"type": "object"}} for name in MISBEHAVING_TOOLS]
            await answer(200, {"jsonrpc": "2.0", "id": ident, "result": {"tools": tools}})
        elif request["params"]["name"] == "slow":
            await asyncio.sleep(5)
            await answer(200, {"jsonrpc": "2.0", "id": ident, "result": {"content": []}})
        elif request["params"]["name"] == "garbage":
            await answer(200, {"jsonrpc": "2.0", "id": ident, "result": {"content": "not a list of blocks"}})
        else:
            await answer(500, None)

    return app


def misbehaving_upstream() -> LoopbackUpstream:
    return LoopbackUpstream(misbehaving_app(), "/mcp")


def notes_server() -> Server:
    """A low-level server with a subscribable resource and tools that change it, and that change its own tool
    list: `edit_notes` sends notifications/resources/updated to subscribers, `learn_tool` adds a tool and
    sends notifications/tools/list_changed."""
    from mcp.server.lowlevel import NotificationOptions
    from mcp_types import (
        EmptyResult,
        ListResourcesResult,
        ReadResourceResult,
        Resource,
        TextResourceContents,
    )

    state = {"notes": "nothing yet", "tools": ["edit_notes", "learn_tool"], "subscribed": set()}

    async def list_tools(ctx, params) -> ListToolsResult:
        return ListToolsResult(tools=[Tool(name=name, input_schema={"type": "object"}) for name in state["tools"]])

    async def call_tool(ctx, params: CallToolRequestParams) -> CallToolResult:
        if params.name == "edit_notes":
            state["notes"] = (params.arguments or {}).get("text", "")
            if "notes://today" in state["subscribed"]:
                await ctx.session.send_resource_updated("notes://today")
        elif params.name == "learn_tool":
            state["tools"].append(f"learned_{len(state['tools'])}")
            await ctx.session.send_tool_list_changed()
        return CallToolResult(content=[TextContent(type="text", text="done")])

    async def list_resources(ctx, params) -> ListResourcesResult:
        return ListResourcesResult(resources=[Resource(uri="notes://today", name="today")])

    async def read_resource(ctx, params) -> ReadResourceResult:
        return ReadResourceResult(contents=[TextResourceContents(uri=str(params.uri), text=state["notes"])])

    async def subscribe(ctx, params) -> EmptyResult:
        state["subscribed"].add(str(params.uri))
        return EmptyResult()

    async def unsubscribe(ctx, params) -> EmptyResult:
        state["subscribed"].discard(str(params.uri))
        return EmptyResult()

    class NotesServer(Server):
        def create_initialization_options(self, notification_options=None, *args, **kwargs):
            options = NotificationOptions(tools_changed=True, resources_changed=True)
            return super().create_initialization_options(options, *args, **kwargs)

    return NotesServer("notes-upstream", version="1.0.0", on_list_tools=list_tools, on_call_tool=call_tool,
                       on_list_resources=list_resources, on_read_resource=read_resource,
                       on_subscribe_resource=subscribe, on_unsubscribe_resource=unsubscribe)  # fmt: skip


def notes_upstream() -> LoopbackUpstream:
    return LoopbackUpstream(notes_server().streamable_http_app(), "/mcp")
