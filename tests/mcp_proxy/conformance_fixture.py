"""The fixtures the official MCP conformance suite calls, served by a server written with the `mcp` SDK.

@modelcontextprotocol/conformance 0.1.16 tests a server by calling tools, prompts and resources with fixed
names (`test_simple_text`, `test_simple_prompt`, `test://static-text`, …). No published server has them, so
this one does, each returning what the suite checks for. It is the upstream for running the suite through
Preloop's proxy, and `test_conformance_fixture.py` runs the whole active suite against it directly.

    python -m tests.mcp_proxy.conformance_fixture --port 8123     # Streamable HTTP at http://127.0.0.1:8123/mcp

It is a low-level `Server` (not `MCPServer`) so that every result is exactly what is written here, and so it
can answer `logging/setLevel` and `completion/complete` and declare those capabilities. Like every local
server it refuses a foreign Host or Origin (the suite's dns-rebinding-protection scenario).
What each scenario sends and checks, and what a proxy in between must do: conformance_scenarios.md.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import socket
import struct
import zlib
from collections.abc import Awaitable, Callable
from typing import Any

import mcp_types as types
from mcp.server.lowlevel.server import NotificationOptions, Server
from mcp.server.models import InitializationOptions
from mcp.server.transport_security import TransportSecuritySettings
from mcp.shared.exceptions import MCPError
from mcp.shared.message import ServerMessageMetadata
from mcp_types import INVALID_PARAMS

from tests.mcp_proxy.upstreams import LoopbackUpstream

RESOURCE_NOT_FOUND = -32002  # the spec's code for resources/read of an unknown URI
LOG_LEVELS = ["debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"]
LOOPBACK_SECURITY = TransportSecuritySettings(
    enable_dns_rebinding_protection=True,
    allowed_hosts=["127.0.0.1:*", "localhost:*", "[::1]:*"],
    allowed_origins=["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"],
)


def png_pixel() -> str:
    """A 1x1 red PNG, base64."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # 1x1, 8 bits, truecolour
    pixels = zlib.compress(b"\x00\xff\x00\x00")  # filter byte, then red
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    return base64.b64encode(png).decode()


def wav_silence(samples: int = 800, rate: int = 8000) -> str:
    """A tenth of a second of 8 kHz, 8-bit mono silence as a WAV file, base64."""
    data = b"\x80" * samples
    fmt = struct.pack("<HHIIHH", 1, 1, rate, rate, 1, 8)  # PCM, mono, byte rate, block align, bits
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data
    return base64.b64encode(b"RIFF" + struct.pack("<I", len(body)) + body).decode()


PNG = png_pixel()
WAV = wav_silence()

NO_ARGUMENTS = {"type": "object", "properties": {}}


def one_string(name: str, description: str) -> dict[str, Any]:
    """The input schema of a tool with one required string argument."""
    return {"type": "object", "properties": {name: {"type": "string", "description": description}}, "required": [name]}


JSON_SCHEMA_2020_12 = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "$defs": {"address": {"type": "object", "properties": {"street": {"type": "string"}, "city": {"type": "string"}}}},
    "properties": {"name": {"type": "string"}, "address": {"$ref": "#/$defs/address"}},
    "additionalProperties": False,
}
# What test_elicitation asks for (the scenario's client answers with a username and an email).
CONTACT_FORM = {
    "type": "object",
    "properties": {
        "username": {"type": "string", "description": "User's response"},
        "email": {"type": "string", "description": "User's email address"},
    },
    "required": ["username", "email"],
}
# SEP-1034: a default for every primitive type.
FORM_WITH_DEFAULTS = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "description": "User name", "default": "John Doe"},
        "age": {"type": "integer", "description": "User age", "default": 30},
        "score": {"type": "number", "description": "User score", "default": 95.5},
        "status": {
            "type": "string",
            "description": "User status",
            "enum": ["active", "inactive", "pending"],
            "default": "active",
        },
        "verified": {"type": "boolean", "description": "Verification status", "default": True},
    },
}
# SEP-1330: the five ways to offer a choice.
FORM_WITH_ENUMS = {
    "type": "object",
    "properties": {
        "untitledSingle": {"type": "string", "title": "Untitled single", "enum": ["option1", "option2", "option3"]},
        "titledSingle": {
            "type": "string",
            "title": "Titled single",
            "oneOf": [
                {"const": "value1", "title": "First Option"},
                {"const": "value2", "title": "Second Option"},
                {"const": "value3", "title": "Third Option"},
            ],
        },
        "legacyEnum": {
            "type": "string",
            "title": "Legacy titled (enumNames)",
            "enum": ["opt1", "opt2", "opt3"],
            "enumNames": ["Option One", "Option Two", "Option Three"],
        },
        "untitledMulti": {
            "type": "array",
            "title": "Untitled multiple",
            "items": {"type": "string", "enum": ["option1", "option2", "option3"]},
        },
        "titledMulti": {
            "type": "array",
            "title": "Titled multiple",
            "items": {
                "anyOf": [
                    {"const": "value1", "title": "First Choice"},
                    {"const": "value2", "title": "Second Choice"},
                    {"const": "value3", "title": "Third Choice"},
                ]
            },
        },
    },
}

Context = Any  # mcp.server.context.ServerRequestContext
ToolHandler = Callable[[Context, dict[str, Any]], Awaitable[types.CallToolResult]]


def text(value: str) -> types.TextContent:
    return types.TextContent(type="text", text=value)


def image() -> types.ImageContent:
    return types.ImageContent(type="image", data=PNG, mime_type="image/png")


def embedded(uri: str, mime_type: str, content: str) -> types.EmbeddedResource:
    resource = types.TextResourceContents(uri=uri, mime_type=mime_type, text=content)
    return types.EmbeddedResource(type="resource", resource=resource)


def result(*content: types.ContentBlock, is_error: bool = False) -> types.CallToolResult:
    return types.CallToolResult(content=list(content), is_error=is_error)


class ConformanceFixture:
    """The fixture server's state and handlers; `server()` builds the SDK server over them.

    Per session (the `Mcp-Session-Id` header; one entry for stdio) it keeps the log level the client set
    and the resource URIs it subscribed to.
    """

    def __init__(self) -> None:
        self.log_levels: dict[str | None, str] = {}
        self.subscriptions: dict[str | None, set[str]] = {}
        self.tools: dict[str, tuple[types.Tool, ToolHandler]] = {}
        self._tool("test_simple_text", "Returns one text block", NO_ARGUMENTS, self.simple_text)
        self._tool("test_image_content", "Returns a PNG image", NO_ARGUMENTS, self.image_content)
        self._tool("test_audio_content", "Returns a WAV recording", NO_ARGUMENTS, self.audio_content)
        self._tool("test_embedded_resource", "Returns an embedded text resource", NO_ARGUMENTS, self.embedded_resource)
        self._tool("test_multiple_content_types", "Returns text, an image and a resource", NO_ARGUMENTS, self.mixed)
        self._tool("test_error_handling", "Always fails (isError: true)", NO_ARGUMENTS, self.error_handling)
        self._tool("test_tool_with_logging", "Logs three messages while it runs", NO_ARGUMENTS, self.with_logging)
        self._tool("test_tool_with_progress", "Reports progress 0, 50, 100 of 100", NO_ARGUMENTS, self.with_progress)
        self._tool(
            "test_sampling",
            "Asks the client's LLM to answer the prompt",
            one_string("prompt", "The prompt to send"),
            self.sampling,
        )
        self._tool(
            "test_elicitation",
            "Asks the user for a username and an email",
            one_string("message", "What to ask the user"),
            self.elicitation,
        )
        self._tool(
            "test_elicitation_sep1034_defaults",
            "Asks the user for a form whose fields all have defaults (SEP-1034)",
            NO_ARGUMENTS,
            self.elicitation_with_defaults,
        )
        self._tool(
            "test_elicitation_sep1330_enums",
            "Asks the user to choose, in each of the five enum forms (SEP-1330)",
            NO_ARGUMENTS,
            self.elicitation_with_enums,
        )
        self._tool("json_schema_2020_12_tool", "Tool with JSON Schema 2020-12 features", JSON_SCHEMA_2020_12, self.echo)

    def _tool(self, name: str, description: str, schema: dict[str, Any], handler: ToolHandler) -> None:
        self.tools[name] = (types.Tool(name=name, description=description, input_schema=schema), handler)

    @staticmethod
    def session_key(ctx: Context) -> str | None:
        return ctx.request.headers.get("mcp-session-id") if ctx.request is not None else None

    # --- tools

    async def list_tools(self, ctx: Context, params: types.PaginatedRequestParams | None) -> types.ListToolsResult:
        return types.ListToolsResult(tools=[tool for tool, _ in self.tools.values()])

    async def call_tool(self, ctx: Context, params: types.CallToolRequestParams) -> types.CallToolResult:
        if params.name not in self.tools:
            raise MCPError(code=INVALID_PARAMS, message=f"Unknown tool: {params.name}")
        _, handler = self.tools[params.name]
        return await handler(ctx, params.arguments or {})

    async def simple_text(self, ctx: Context, arguments: dict[str, Any]) -> types.CallToolResult:
        return result(text("This is a simple text response for testing."))

    async def image_content(self, ctx: Context, arguments: dict[str, Any]) -> types.CallToolResult:
        return result(image())

    async def audio_content(self, ctx: Context, arguments: dict[str, Any]) -> types.CallToolResult:
        return result(types.AudioContent(type="audio", data=WAV, mime_type="audio/wav"))

    async def embedded_resource(self, ctx: Context, arguments: dict[str, Any]) -> types.CallToolResult:
        return result(embedded("test://embedded-resource", "text/plain", "This is an embedded resource content."))

    async def mixed(self, ctx: Context, arguments: dict[str, Any]) -> types.CallToolResult:
        data = json.dumps({"test": "data", "value": 123}, separators=(",", ":"))
        return result(
            text("Multiple content types test:"),
            image(),
            embedded("test://mixed-content-resource", "application/json", data),
        )

    async def error_handling(self, ctx: Context, arguments: dict[str, Any]) -> types.CallToolResult:
        return result(text("This tool intentionally returns an error for testing"), is_error=True)

    async def echo(self, ctx: Context, arguments: dict[str, Any]) -> types.CallToolResult:
        return result(text(json.dumps(arguments)))

    async def with_logging(self, ctx: Context, arguments: dict[str, Any]) -> types.CallToolResult:
        for number, message in enumerate(
            ["Tool execution started", "Tool processing data", "Tool execution completed"]
        ):
            if number:
                await asyncio.sleep(0.05)
            await self.log(ctx, "info", message)
        return result(text("Tool with logging executed successfully"))

    async def log(self, ctx: Context, level: str, message: str) -> None:
        """A notifications/message on the tools/call's own stream, unless below the level the client set."""
        threshold = self.log_levels.get(self.session_key(ctx), "debug")
        if LOG_LEVELS.index(level) < LOG_LEVELS.index(threshold):
            return
        params = types.LoggingMessageNotificationParams(level=level, data=message, logger="conformance-fixture")
        notification = types.LoggingMessageNotification(params=params)
        await ctx.session.send_notification(notification, related_request_id=ctx.request_id)

    async def with_progress(self, ctx: Context, arguments: dict[str, Any]) -> types.CallToolResult:
        # report_progress sends nothing when the request carried no progressToken.
        for number, progress in enumerate([0, 50, 100]):
            if number:
                await asyncio.sleep(0.05)
            await ctx.session.report_progress(progress, 100, f"{progress}% done")
        return result(text("Tool with progress executed successfully"))

    async def sampling(self, ctx: Context, arguments: dict[str, Any]) -> types.CallToolResult:
        if not ctx.session.check_client_capability(types.ClientCapabilities(sampling=types.SamplingCapability())):
            return result(text("The client does not support sampling"), is_error=True)
        message = types.SamplingMessage(role="user", content=text(str(arguments.get("prompt", ""))))
        request = types.CreateMessageRequest(
            params=types.CreateMessageRequestParams(messages=[message], max_tokens=100)
        )
        answer = await ctx.session.send_request(
            request, types.CreateMessageResult, metadata=ServerMessageMetadata(related_request_id=ctx.request_id)
        )
        reply = answer.content.text if isinstance(answer.content, types.TextContent) else str(answer.content)
        return result(text(f"LLM response: {reply}"))

    async def elicit(self, ctx: Context, message: str, schema: dict[str, Any]) -> types.ElicitResult | None:
        if not ctx.session.check_client_capability(types.ClientCapabilities(elicitation=types.ElicitationCapability())):
            return None
        return await ctx.session.elicit_form(message, schema, related_request_id=ctx.request_id)

    async def elicitation(self, ctx: Context, arguments: dict[str, Any]) -> types.CallToolResult:
        answer = await self.elicit(ctx, str(arguments.get("message", "")), CONTACT_FORM)
        if answer is None:
            return result(text("The client does not support elicitation"), is_error=True)
        return result(text(f"User response: action={answer.action}, content={json.dumps(answer.content)}"))

    async def elicitation_with_defaults(self, ctx: Context, arguments: dict[str, Any]) -> types.CallToolResult:
        message = "Test client default value handling - please accept with defaults"
        return await self.elicitation_result(ctx, message, FORM_WITH_DEFAULTS)

    async def elicitation_with_enums(self, ctx: Context, arguments: dict[str, Any]) -> types.CallToolResult:
        return await self.elicitation_result(ctx, "Choose an option in each field", FORM_WITH_ENUMS)

    async def elicitation_result(self, ctx: Context, message: str, schema: dict[str, Any]) -> types.CallToolResult:
        answer = await self.elicit(ctx, message, schema)
        if answer is None:
            return result(text("The client does not support elicitation"), is_error=True)
        return result(text(f"Elicitation completed: action={answer.action}, content={json.dumps(answer.content)}"))

    # --- logging

    async def set_level(self, ctx: Context, params: types.SetLevelRequestParams) -> types.EmptyResult:
        self.log_levels[self.session_key(ctx)] = params.level
        return types.EmptyResult()

    # --- resources

    RESOURCES = [
        types.Resource(uri="test://static-text", name="static-text", description="A static text resource",
                       mime_type="text/plain"),
        types.Resource(uri="test://static-binary", name="static-binary", description="A static PNG image",
                       mime_type="image/png"),
        types.Resource(uri="test://watched-resource", name="watched-resource",
                       description="A resource to subscribe to", mime_type="text/plain"),
    ]  # fmt: skip
    TEMPLATE = types.ResourceTemplate(
        uri_template="test://template/{id}/data",
        name="template-data",
        description="Data for any id",
        mime_type="application/json",
    )

    async def list_resources(self, ctx: Context, params: types.PaginatedRequestParams | None):
        return types.ListResourcesResult(resources=self.RESOURCES)

    async def list_templates(self, ctx: Context, params: types.PaginatedRequestParams | None):
        return types.ListResourceTemplatesResult(resource_templates=[self.TEMPLATE])

    async def read_resource(self, ctx: Context, params: types.ReadResourceRequestParams) -> types.ReadResourceResult:
        uri = str(params.uri)
        contents: types.TextResourceContents | types.BlobResourceContents
        if uri == "test://static-text":
            content = "This is the content of the static text resource."
            contents = types.TextResourceContents(uri=uri, mime_type="text/plain", text=content)
        elif uri == "test://static-binary":
            contents = types.BlobResourceContents(uri=uri, mime_type="image/png", blob=PNG)
        elif uri == "test://watched-resource":
            contents = types.TextResourceContents(uri=uri, mime_type="text/plain", text="Watched resource content")
        elif uri.startswith("test://template/") and uri.endswith("/data") and uri.count("/") == 4:
            identifier = uri.removeprefix("test://template/").removesuffix("/data")
            data = {"id": identifier, "templateTest": True, "data": f"Data for ID: {identifier}"}
            body = json.dumps(data, separators=(",", ":"))
            contents = types.TextResourceContents(uri=uri, mime_type="application/json", text=body)
        else:
            raise MCPError(code=RESOURCE_NOT_FOUND, message=f"Resource not found: {uri}", data={"uri": uri})
        return types.ReadResourceResult(contents=[contents])

    async def subscribe(self, ctx: Context, params: types.SubscribeRequestParams) -> types.EmptyResult:
        self.subscriptions.setdefault(self.session_key(ctx), set()).add(str(params.uri))
        return types.EmptyResult()

    async def unsubscribe(self, ctx: Context, params: types.UnsubscribeRequestParams) -> types.EmptyResult:
        self.subscriptions.get(self.session_key(ctx), set()).discard(str(params.uri))
        return types.EmptyResult()

    # --- prompts

    PROMPTS = [
        types.Prompt(name="test_simple_prompt", description="A prompt without arguments"),
        types.Prompt(
            name="test_prompt_with_arguments",
            description="A prompt with two required arguments",
            arguments=[
                types.PromptArgument(name="arg1", description="First test argument", required=True),
                types.PromptArgument(name="arg2", description="Second test argument", required=True),
            ],
        ),
        types.Prompt(
            name="test_prompt_with_embedded_resource",
            description="A prompt that embeds a resource",
            arguments=[types.PromptArgument(name="resourceUri", description="The URI to embed", required=True)],
        ),
        types.Prompt(name="test_prompt_with_image", description="A prompt with an image"),
    ]

    async def list_prompts(self, ctx: Context, params: types.PaginatedRequestParams | None):
        return types.ListPromptsResult(prompts=self.PROMPTS)

    async def get_prompt(self, ctx: Context, params: types.GetPromptRequestParams) -> types.GetPromptResult:
        prompt = next((prompt for prompt in self.PROMPTS if prompt.name == params.name), None)
        if prompt is None:
            raise MCPError(code=INVALID_PARAMS, message=f"Unknown prompt: {params.name}")
        arguments = params.arguments or {}
        missing = [argument.name for argument in prompt.arguments or [] if argument.name not in arguments]
        if missing:
            raise MCPError(code=INVALID_PARAMS, message=f"Missing required arguments: {', '.join(missing)}")
        if params.name == "test_simple_prompt":
            messages = [text("This is a simple prompt for testing.")]
        elif params.name == "test_prompt_with_arguments":
            arg1, arg2 = arguments["arg1"], arguments["arg2"]
            messages = [text(f"Prompt with arguments: arg1='{arg1}', arg2='{arg2}'")]
        elif params.name == "test_prompt_with_embedded_resource":
            resource = embedded(arguments["resourceUri"], "text/plain", "Embedded resource content for testing.")
            messages = [resource, text("Please process the embedded resource above.")]
        else:
            messages = [image(), text("Please analyze the image above.")]
        return types.GetPromptResult(messages=[types.PromptMessage(role="user", content=block) for block in messages])

    # --- completion

    SUGGESTIONS = {
        ("ref/prompt", "test_prompt_with_arguments", "arg1"): ["test", "test-value-1", "test-value-2", "hello"],
        ("ref/prompt", "test_prompt_with_arguments", "arg2"): ["world", "test-value-3"],
        ("ref/resource", "test://template/{id}/data", "id"): ["1", "123", "456"],
    }

    async def complete(self, ctx: Context, params: types.CompleteRequestParams) -> types.CompleteResult:
        ref = params.ref
        key = (ref.type, ref.name if ref.type == "ref/prompt" else ref.uri, params.argument.name)
        values = [value for value in self.SUGGESTIONS.get(key, []) if value.startswith(params.argument.value)]
        return types.CompleteResult(completion=types.Completion(values=values, total=len(values), has_more=False))

    def server(self) -> Server:
        server = FixtureServer(
            "conformance-fixture",
            version="1.0.0",
            on_list_tools=self.list_tools,
            on_call_tool=self.call_tool,
            on_list_resources=self.list_resources,
            on_list_resource_templates=self.list_templates,
            on_read_resource=self.read_resource,
            on_subscribe_resource=self.subscribe,
            on_unsubscribe_resource=self.unsubscribe,
            on_list_prompts=self.list_prompts,
            on_get_prompt=self.get_prompt,
            on_completion=self.complete,
        )
        # Registered like this, not as on_set_logging_level, which warns that logging is deprecated as of
        # 2026-07-28: the suite's client speaks 2025-11-25, where logging/setLevel is current.
        server.add_request_handler("logging/setLevel", types.SetLevelRequestParams, self.set_level)
        return server


class FixtureServer(Server):
    """Declares `listChanged` for tools, prompts and resources (the runner asks with no options)."""

    def create_initialization_options(
        self,
        notification_options: NotificationOptions | None = None,
        experimental_capabilities: dict[str, dict[str, Any]] | None = None,
        extensions: dict[str, dict[str, Any]] | None = None,
    ) -> InitializationOptions:
        options = notification_options or NotificationOptions(True, True, True)
        return super().create_initialization_options(options, experimental_capabilities, extensions)


def conformance_app():
    """The fixture as an ASGI app: Streamable HTTP at /mcp, loopback Host and Origin only."""
    return ConformanceFixture().server().streamable_http_app(transport_security=LOOPBACK_SECURITY)


def conformance_upstream(port: int | None = None) -> LoopbackUpstream:
    """The fixture served by uvicorn in a thread on loopback (`.start()` it; `.url` ends in /mcp).

    Needs no Django: usable from the benchmarks as well as from the tests.
    """
    if port is None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
    return LoopbackUpstream(conformance_app(), "/mcp", port=port)


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description="The MCP conformance suite's fixtures, over Streamable HTTP at /mcp")
    parser.add_argument("--port", type=int, default=8123)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    uvicorn.run(conformance_app(), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
