"""What a user's external MCP servers offer through Preloop: their tools as ToolSpecs, their prompts and
resources, and which server answers for a prompt name or a resource URI.

Built from what the last scans stored (`ExternalMcpServer.tools`, …), never by asking the upstreams, and
cached per process: a call costs one small query (which servers, which versions), and a server's specs
are rebuilt only when its row changed (a scan or an edit bumps `updated_at`).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from mcp.shared.uri_template import InvalidUriTemplate, UriTemplate

from apps.mcp_proxy.models import ExternalMcpServer
from apps.mcp_proxy.registry import ToolSpec


@dataclass(frozen=True)
class ServerCatalog:
    """One server's offer, as its clients see it (proxied names), with the server row it came from."""

    server: ExternalMcpServer
    tools: tuple[ToolSpec, ...]
    prompts: Mapping[str, dict[str, Any]]  # proxied name → the upstream's listing
    resources: Mapping[str, dict[str, Any]]  # uri → listing
    templates: tuple[tuple[UriTemplate | None, dict[str, Any]], ...]

    def resource_matches(self, uri: str) -> bool:
        if uri in self.resources:
            return True
        return any(template is not None and template.match(uri) is not None for template, _ in self.templates)

    def template_named(self, uri_template: str) -> bool:
        return any(listing.get("uriTemplate") == uri_template for _, listing in self.templates)


@dataclass(frozen=True)
class UserCatalog:
    """Everything the user's active servers offer, in server order (by name), and whether the built-in
    tools are theirs to see (they work on trackers: an account without one sees none)."""

    servers: tuple[ServerCatalog, ...] = ()
    builtins_visible: bool = False
    # The user's tool configurations, keyed by (source, the tool's own name): read only when they changed.
    policies: Mapping[tuple[str, str], Any] = field(default_factory=dict)
    _tools: dict[str, ToolSpec] = field(default_factory=dict)

    def __post_init__(self):
        for entry in self.servers:
            for spec in entry.tools:
                self._tools.setdefault(spec.name, spec)

    @property
    def tool_specs(self) -> list[ToolSpec]:
        return list(self._tools.values())

    def tool(self, name: str) -> ToolSpec | None:
        return self._tools.get(name)

    def prompt_route(self, name: str) -> tuple[ServerCatalog, dict[str, Any]] | None:
        for entry in self.servers:
            if name in entry.prompts:
                return entry, entry.prompts[name]
        return None

    def resource_route(self, uri: str) -> ServerCatalog | None:
        """The server that listed this URI, else the first whose template matches it."""
        for entry in self.servers:
            if uri in entry.resources:
                return entry
        return next((entry for entry in self.servers if entry.resource_matches(uri)), None)

    def template_route(self, uri_template: str) -> ServerCatalog | None:
        return next((entry for entry in self.servers if entry.template_named(uri_template)), None)

    def server(self, server_id: str) -> ServerCatalog | None:
        return next((entry for entry in self.servers if str(entry.server.id) == server_id), None)


def _annotation(tool: dict[str, Any], hint: str) -> bool:
    return bool((tool.get("annotations") or {}).get(hint))


def _tool_spec(server: ExternalMcpServer, tool: dict[str, Any]) -> ToolSpec:
    from apps.mcp_proxy.proxying import upstream_tool_call

    name = server.proxied_name(tool["name"])
    return ToolSpec(
        name=name,
        title=tool.get("title") or (tool.get("annotations") or {}).get("title") or tool["name"],
        description=tool.get("description") or "",
        input_schema=tool.get("inputSchema") or {"type": "object"},
        output_schema=tool.get("outputSchema"),
        handler=functools.partial(upstream_tool_call, server=server, upstream_name=tool["name"]),
        read_only=_annotation(tool, "readOnlyHint"),
        destructive=_annotation(tool, "destructiveHint"),
        idempotent=_annotation(tool, "idempotentHint"),
        open_world=_annotation(tool, "openWorldHint"),
        source=str(server.id),
        source_name=tool["name"],
        listing={**tool, "name": name},
    )


def _template(listing: dict[str, Any]) -> UriTemplate | None:
    try:
        return UriTemplate.parse(listing.get("uriTemplate", ""))
    except (InvalidUriTemplate, ValueError):
        return None  # listed as the upstream sent it, but nothing is routed by it


def server_catalog_build(server: ExternalMcpServer) -> ServerCatalog:
    return ServerCatalog(
        server=server,
        tools=tuple(_tool_spec(server, tool) for tool in server.tools if tool.get("name")),
        prompts={server.proxied_name(prompt["name"]): prompt for prompt in server.prompts if prompt.get("name")},
        resources={resource["uri"]: resource for resource in server.resources if resource.get("uri")},
        templates=tuple((_template(listing), listing) for listing in server.resource_templates),
    )


_lock = threading.Lock()
_servers: dict[str, tuple[str, ServerCatalog]] = {}  # server id → (its updated_at, its catalog)
_users: dict[Any, tuple[tuple, UserCatalog]] = {}


@functools.cache
def _visibility_sql() -> str:
    """Whether the user has a tracker, and (id, updated_at) of their active servers in order, as SQL written
    once: composing it with the ORM on every call cost more CPU than running it (measured with yappi)."""
    from apps.mcp_proxy.models import ToolConfiguration
    from apps.trackers.models import Tracker

    quote = connection.ops.quote_name
    servers, configurations = quote(ExternalMcpServer._meta.db_table), quote(ToolConfiguration._meta.db_table)
    return (
        f"SELECT EXISTS (SELECT 1 FROM {quote(Tracker._meta.db_table)} WHERE owner_id = %s), "  # noqa: S608 - names from model metadata, values bound
        f"COALESCE((SELECT json_agg(json_build_array(id::text, updated_at::text) ORDER BY name, created_at) "
        f"FROM {servers} WHERE owner_id = %s AND is_active), '[]'::json), "
        f"(SELECT json_build_array(count(*), max(updated_at)::text) FROM {configurations} WHERE owner_id = %s)"
    )


def _visibility(user) -> tuple[bool, tuple[tuple[str, str], ...], tuple]:
    """One query: whether the user has a tracker, (id, updated_at) of each active server in order, and the
    version of the user's tool configurations (how many, last change: saving rules saves their configuration)."""
    with connection.cursor() as cursor:
        cursor.execute(_visibility_sql(), [user.pk, user.pk, user.pk])
        has_tracker, servers, configurations = cursor.fetchone()
    return has_tracker, tuple((server_id, updated) for server_id, updated in servers), tuple(configurations)


def user_catalog(*, user) -> UserCatalog:
    """What this user may see: one small query when nothing changed since the last call (sync: reads the database)."""
    has_tracker, versions, configurations_version = _visibility(user)
    key = (has_tracker, versions, configurations_version)
    cached = _users.get(user.pk)
    if cached is not None and cached[0] == key:
        return cached[1]
    stale = [server_id for server_id, updated in versions if _servers.get(server_id, (None,))[0] != updated]
    fresh = {str(server.id): server for server in ExternalMcpServer.objects.filter(id__in=stale)} if stale else {}
    with _lock:
        listed = {server_id for server_id, _updated in versions}
        owned = [server_id for server_id, (_u, entry) in _servers.items() if entry.server.owner_id == user.pk]
        for gone in [server_id for server_id in owned if server_id not in listed]:
            del _servers[gone]  # deleted or switched off: forget its specs
        for server_id, server in fresh.items():
            updated = dict(versions).get(server_id)
            _servers[server_id] = (updated, server_catalog_build(server))
        entries = tuple(_servers[server_id][1] for server_id, _updated in versions if server_id in _servers)
    from apps.mcp_proxy.configurations.policy import tool_policies_load

    # Read again whenever anything changed: a policy carries its server's name for the rules.
    policies = tool_policies_load(user=user) if configurations_version[0] else {}
    with _lock:
        catalog = UserCatalog(servers=entries, builtins_visible=has_tracker, policies=policies)
        _users[user.pk] = (key, catalog)
    return catalog
