"""The MCP server: the SDK's low-level `Server`. Tool calls go through the pipeline; prompts, resources,
completions and subscriptions are routed to the user's external server that offers them.

Preloop declares every capability a proxy can pass on (tools, prompts, resources with subscriptions,
completions, logging, list_changed); with no external server the lists are simply empty.
"""

from __future__ import annotations

import logging
from typing import Any

import mcp_types
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import NotificationOptions, Server
from mcp.shared.exceptions import MCPError
from pydantic import TypeAdapter

from apps.mcp_proxy.catalog import ServerCatalog, user_catalog
from apps.mcp_proxy.models import ToolCallTransport
from apps.mcp_proxy.pipeline import CallContext, ToolCallRefused, ToolNotVisible, tool_call_execute
from apps.mcp_proxy.proxying import UpstreamUnavailable, upstream_request
from apps.mcp_proxy.registry import tools_visible
from apps.mcp_proxy.relay import ClientChannel, channel_for, relay_for
from apps.mcp_proxy.threads import in_thread

log = logging.getLogger(__name__)
INSTRUCTIONS = (
    "Preloop gives you the issues of the user's GitHub, GitLab and Jira trackers, and the tools, prompts and "
    "resources of the MCP servers the user registered. Address an issue as `organization/project#number`, a "
    "Jira key such as `PROJ-123`, its URL, or its Preloop id. Every tool call is checked against the user's "
    "policies and audited."
)
RESOURCE_NOT_FOUND = -32002  # the code the MCP specification gives an unknown resource
REFUSED = -32001  # a call the user's policy (or Preloop's checks) refused
APPROVAL_REQUIRED = -32003  # a call a rule sends for approval (until approvals exist: refused, never run)
CONTENT_BLOCKS = TypeAdapter(list[mcp_types.ContentBlock])


def _user(ctx: ServerRequestContext):
    scope = ctx.request.scope if ctx.request is not None else {}
    user = scope.get("preloop.user")
    if user is None:  # the endpoint authenticates every request; reaching here without a user is a wiring bug
        raise MCPError(code=mcp_types.INTERNAL_ERROR, message="Not authenticated")
    return user, scope


def _client_info(ctx: ServerRequestContext) -> tuple[str, str]:
    params = ctx.session.client_params
    info = params.client_info if params is not None else None
    return (info.name, info.version or "") if info else ("", "")


def _channel(ctx: ServerRequestContext, user) -> ClientChannel | None:
    return channel_for(ctx, user_id=user.pk, client_name=_client_info(ctx)[0])


def call_context(ctx: ServerRequestContext) -> CallContext:
    """Who is calling: the user the endpoint authenticated, and what the client declared (session or `_meta`)."""
    user, scope = _user(ctx)
    name, version = _client_info(ctx)
    capabilities = ctx.session.client_capabilities
    return CallContext(
        user=user,
        credential_id=scope.get("preloop.credential_id", ""),
        client_name=name,
        client_version=version,
        client_capabilities=capabilities.model_dump(by_alias=True, exclude_none=True) if capabilities else {},
        protocol_version=ctx.protocol_version,
        session_id=scope.get("preloop.session_id"),
        relay=relay_for(ctx, _channel(ctx, user)),
        transport=ToolCallTransport.MCP,
    )


# Tools -----------------------------------------------------------------------------------------------


async def tools_list(ctx: ServerRequestContext, params: mcp_types.PaginatedRequestParams | None):
    user, _scope = _user(ctx)
    _channel(ctx, user)
    specs = await in_thread(tools_visible, user=user)
    return mcp_types.ListToolsResult(tools=[spec.as_mcp_tool() for spec in specs])


async def tools_call(ctx: ServerRequestContext, params: mcp_types.CallToolRequestParams):
    context = call_context(ctx)
    try:
        result = await tool_call_execute(context=context, tool_name=params.name, arguments=params.arguments or {})
    except ToolNotVisible as refusal:
        raise MCPError(code=mcp_types.INVALID_PARAMS, message=str(refusal)) from None
    except ToolCallRefused as refusal:
        codes = {"internal_error": mcp_types.INTERNAL_ERROR, "approval_required": APPROVAL_REQUIRED}
        raise MCPError(code=codes.get(refusal.reason, REFUSED), message=str(refusal)) from None
    if result.content is not None:
        content = CONTENT_BLOCKS.validate_python(result.content)
    else:
        content = [mcp_types.TextContent(type="text", text=result.text)]
    return mcp_types.CallToolResult(content=content, structured_content=result.structured, is_error=result.is_error,
                                    meta=result.meta)  # fmt: skip


# Prompts, resources, completions: routed to the server that offers them -------------------------------


async def _catalog(ctx: ServerRequestContext):
    user, _scope = _user(ctx)
    channel = _channel(ctx, user)
    return await in_thread(user_catalog, user=user), relay_for(ctx, channel)


async def _forward(entry: ServerCatalog, relay, request: Any, result_type: type) -> Any:
    try:
        return await upstream_request(entry.server, relay, request, result_type)
    except UpstreamUnavailable as error:
        raise MCPError(code=mcp_types.INTERNAL_ERROR, message=str(error)) from None


async def prompts_list(ctx: ServerRequestContext, params: mcp_types.PaginatedRequestParams | None):
    catalog, _relay = await _catalog(ctx)
    prompts = [mcp_types.Prompt.model_validate({**listing, "name": name})
               for entry in catalog.servers for name, listing in entry.prompts.items()]  # fmt: skip
    return mcp_types.ListPromptsResult(prompts=prompts)


async def prompts_get(ctx: ServerRequestContext, params: mcp_types.GetPromptRequestParams):
    catalog, relay = await _catalog(ctx)
    route = catalog.prompt_route(params.name)
    if route is None:
        raise MCPError(code=mcp_types.INVALID_PARAMS, message=f"Unknown prompt: {params.name}")
    entry, listing = route
    request = mcp_types.GetPromptRequest(params=params.model_copy(update={"name": listing["name"]}))
    return await _forward(entry, relay, request, mcp_types.GetPromptResult)


async def resources_list(ctx: ServerRequestContext, params: mcp_types.PaginatedRequestParams | None):
    catalog, _relay = await _catalog(ctx)
    seen: set[str] = set()
    resources = []
    for entry in catalog.servers:
        for uri, listing in entry.resources.items():
            if uri not in seen:  # the first server listing a URI answers for it
                seen.add(uri)
                resources.append(mcp_types.Resource.model_validate(listing))
    return mcp_types.ListResourcesResult(resources=resources)


async def resource_templates_list(ctx: ServerRequestContext, params: mcp_types.PaginatedRequestParams | None):
    catalog, _relay = await _catalog(ctx)
    templates = [mcp_types.ResourceTemplate.model_validate(listing)
                 for entry in catalog.servers for _template, listing in entry.templates]  # fmt: skip
    return mcp_types.ListResourceTemplatesResult(resource_templates=templates)


async def _resource_server(ctx: ServerRequestContext, uri: str):
    catalog, relay = await _catalog(ctx)
    entry = catalog.resource_route(str(uri))
    if entry is None:
        raise MCPError(code=RESOURCE_NOT_FOUND, message=f"Resource not found: {uri}", data={"uri": str(uri)})
    return entry, relay


async def resources_read(ctx: ServerRequestContext, params: mcp_types.ReadResourceRequestParams):
    entry, relay = await _resource_server(ctx, params.uri)
    return await _forward(entry, relay, mcp_types.ReadResourceRequest(params=params), mcp_types.ReadResourceResult)


async def resources_subscribe(ctx: ServerRequestContext, params: mcp_types.SubscribeRequestParams):
    entry, relay = await _resource_server(ctx, params.uri)
    if relay.channel is None:
        raise MCPError(code=mcp_types.INVALID_REQUEST, message="Subscriptions need an MCP session.")
    return await _forward(entry, relay, mcp_types.SubscribeRequest(params=params), mcp_types.EmptyResult)


async def resources_unsubscribe(ctx: ServerRequestContext, params: mcp_types.UnsubscribeRequestParams):
    entry, relay = await _resource_server(ctx, params.uri)
    return await _forward(entry, relay, mcp_types.UnsubscribeRequest(params=params), mcp_types.EmptyResult)


async def completion_complete(ctx: ServerRequestContext, params: mcp_types.CompleteRequestParams):
    catalog, relay = await _catalog(ctx)
    ref = params.ref
    if isinstance(ref, mcp_types.PromptReference):
        route = catalog.prompt_route(ref.name)
        if route is None:
            raise MCPError(code=mcp_types.INVALID_PARAMS, message=f"Unknown prompt: {ref.name}")
        entry, listing = route
        params = params.model_copy(update={"ref": ref.model_copy(update={"name": listing["name"]})})
    else:
        entry = catalog.template_route(ref.uri) or catalog.resource_route(ref.uri)
        if entry is None:
            raise MCPError(code=RESOURCE_NOT_FOUND, message=f"Resource not found: {ref.uri}")
    if (entry.server.capabilities or {}).get("completions") is None:
        return mcp_types.CompleteResult(completion=mcp_types.Completion(values=[], has_more=False))
    return await _forward(entry, relay, mcp_types.CompleteRequest(params=params), mcp_types.CompleteResult)


# Per-client state: log level, roots --------------------------------------------------------------------


async def logging_set_level(ctx: ServerRequestContext, params: mcp_types.SetLevelRequestParams):
    """Remember the client's level and pass it to the upstreams it already uses (new ones get it on opening)."""
    user, _scope = _user(ctx)
    channel = _channel(ctx, user)
    if channel is not None:
        channel.log_level = params.level
        for link in list(channel.links.values()):
            capabilities = link.session.server_capabilities if link.session else None
            if capabilities is not None and capabilities.logging is not None:
                try:
                    await link.session.send_request(mcp_types.SetLevelRequest(params=params), mcp_types.EmptyResult)
                except Exception as error:  # one upstream's refusal does not fail the client's request
                    log.info("MCP server %s refused logging/setLevel: %s", link.server.name, error)
    return mcp_types.EmptyResult()


async def roots_list_changed(ctx: ServerRequestContext, params: Any) -> None:
    """The client's roots changed: tell the upstreams this client uses, which will ask it again."""
    user, _scope = _user(ctx)
    channel = _channel(ctx, user)
    for link in list(channel.links.values()) if channel else []:
        if link.session is not None:
            try:
                await link.session.send_notification(mcp_types.RootsListChangedNotification())
            except Exception as error:
                log.debug("could not pass roots/list_changed to %s: %s", link.server.name, error)


class PreloopServer(Server):
    def create_initialization_options(self, notification_options=None, experimental_capabilities=None,
                                      extensions=None):  # fmt: skip
        """Declare list_changed: Preloop tells clients when their tools, prompts or resources change."""
        options = notification_options or NotificationOptions(
            prompts_changed=True, resources_changed=True, tools_changed=True
        )
        return super().create_initialization_options(options, experimental_capabilities, extensions)


def server_build() -> Server:
    import warnings
    from importlib.metadata import version

    with warnings.catch_warnings():  # logging and roots are deprecated in 2026-07-28, and still used before it
        warnings.simplefilter("ignore")
        return PreloopServer(
            "preloop",
            version=version("preloop"),
            title="Preloop",
            instructions=INSTRUCTIONS,
            on_list_tools=tools_list,
            on_call_tool=tools_call,
            on_list_prompts=prompts_list,
            on_get_prompt=prompts_get,
            on_list_resources=resources_list,
            on_list_resource_templates=resource_templates_list,
            on_read_resource=resources_read,
            on_subscribe_resource=resources_subscribe,
            on_unsubscribe_resource=resources_unsubscribe,
            on_completion=completion_complete,
            on_set_logging_level=logging_set_level,
            on_roots_list_changed=roots_list_changed,
        )
