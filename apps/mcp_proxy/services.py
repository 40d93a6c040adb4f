"""Writes of external MCP servers (register, change, delete, scan) and of the audit (retention).

Server rules live in `ExternalMcpServer.clean()` and here (names that would clash)."""

from __future__ import annotations

import json
from datetime import timedelta

from asgiref.sync import async_to_sync
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from apps.mcp_proxy.models import ExternalMcpServer, ToolCall, ToolSource
from apps.mcp_proxy.notifier import catalog_changed_announce
from apps.mcp_proxy.upstream import UpstreamError, mcp_server_discover

SECRET_JSON_FIELDS = ("headers", "env")  # given as objects, stored as encrypted JSON
HEALTH_FIELDS = ["last_scanned_at", "last_error", "last_latency_ms", "updated_at"]
CATALOG_FIELDS = ["server_info", "capabilities", "protocol_version", "tools", "prompts", "resources",
                  "resource_templates"]  # fmt: skip


def _slug_free(*, owner, name: str) -> str:
    base = slugify(name).replace("-", "_")[:50] or "server"
    taken = set(ExternalMcpServer.objects.filter(owner=owner, slug__startswith=base).values_list("slug", flat=True))
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}_{number}", number + 1
    return slug


def _builtin_tool_names() -> set[str]:
    from apps.mcp_proxy.registry import tools_all

    return {spec.name for spec in tools_all() if spec.source == ToolSource.PRELOOP_BUILTIN}


def mcp_server_name_clashes(*, server: ExternalMcpServer, tools: list[dict], prompts: list[dict]) -> list[str]:
    """Why each proxied tool or prompt name of `server` would be ambiguous for its owner (none: empty)."""
    if not server.is_active:
        return []  # an inactive server shows nothing; it is checked again when switched on
    taken_tools = {name: "the built-in tool" for name in _builtin_tool_names()}
    taken_prompts: dict[str, str] = {}
    others = ExternalMcpServer.objects.filter(owner=server.owner, is_active=True).exclude(pk=server.pk)
    for other in others:
        taken_tools.update({other.proxied_name(tool["name"]): f"a tool of your server {other.name!r}"
                            for tool in other.tools})  # fmt: skip
        taken_prompts.update({other.proxied_name(prompt["name"]): f"a prompt of your server {other.name!r}"
                              for prompt in other.prompts})  # fmt: skip
    clashes = []
    for kind, items, taken in (("tool", tools, taken_tools), ("prompt", prompts, taken_prompts)):
        for item in items:
            name = server.proxied_name(item["name"])
            if name in taken:
                clashes.append(f"The {kind} name {name!r} clashes with {taken[name]} {name!r}.")
    return clashes


def _name_clashes_refuse(server: ExternalMcpServer) -> None:
    clashes = mcp_server_name_clashes(server=server, tools=server.tools, prompts=server.prompts)
    if clashes:
        hint = " Choose another tool_prefix for this server."
        raise ValidationError({"tool_prefix": [clash + hint for clash in clashes]})


def _save(server: ExternalMcpServer, *, fields: dict) -> ExternalMcpServer:
    for name, value in fields.items():
        if name in SECRET_JSON_FIELDS:
            value = json.dumps(value) if value else ""
        setattr(server, name, value)
    server.full_clean(validate_unique=False, validate_constraints=False)
    _name_clashes_refuse(server)
    try:
        with transaction.atomic():
            server.save()
    except IntegrityError as error:
        raise ValidationError({"name": ["You already have an MCP server with this name."]}) from error
    return server


ALL_KINDS = ["tools", "prompts", "resources"]


def mcp_server_create(*, owner, name: str, tool_prefix: str | None = None, **fields) -> ExternalMcpServer:
    """Register a server; its slug comes from the name, and is the default tool prefix."""
    slug = _slug_free(owner=owner, name=name)
    server = ExternalMcpServer(owner=owner, name=name, slug=slug)
    return _save(server, fields={**fields, "tool_prefix": slug if tool_prefix is None else tool_prefix})


def mcp_server_update(*, server: ExternalMcpServer, **fields) -> ExternalMcpServer:
    """Change a server; the slug stays, so the names clients know survive a rename."""
    server = _save(server, fields=fields)
    catalog_changed_announce(user_id=server.owner_id, kinds=ALL_KINDS)  # a new prefix or is_active renames all
    return server


def mcp_server_delete(*, server: ExternalMcpServer) -> None:
    owner_id = server.owner_id
    server.delete()
    catalog_changed_announce(user_id=owner_id, kinds=ALL_KINDS)


def mcp_server_scan(*, server: ExternalMcpServer) -> bool:
    """Connect to the server and store what it offers and its health; False (and `last_error`) when it failed.

    A failed scan keeps what the previous successful one found, so a server that is briefly down keeps
    its catalog.
    """
    try:
        server.full_clean(validate_unique=False, validate_constraints=False)  # settings or DNS may have changed
        discovery = async_to_sync(mcp_server_discover)(server=server)
    except ValidationError as refused:
        return _scan_failed(server, " ".join(message for messages in refused.message_dict.values()
                                             for message in messages))  # fmt: skip
    except UpstreamError as error:
        return _scan_failed(server, str(error))
    clashes = mcp_server_name_clashes(server=server, tools=discovery.tools, prompts=discovery.prompts)
    if clashes:
        return _scan_failed(server, " ".join(clashes) + " Choose another tool_prefix for this server, then scan again.")
    changed = _kinds_changed(server, discovery)
    server.server_info, server.capabilities = discovery.server_info, discovery.capabilities
    server.protocol_version = discovery.protocol_version
    server.tools, server.prompts = discovery.tools, discovery.prompts
    server.resources, server.resource_templates = discovery.resources, discovery.resource_templates
    server.last_scanned_at, server.last_error, server.last_latency_ms = timezone.now(), "", discovery.latency_ms
    server.save(update_fields=[*CATALOG_FIELDS, *HEALTH_FIELDS])
    catalog_changed_announce(user_id=server.owner_id, kinds=changed)
    return True


def _kinds_changed(server: ExternalMcpServer, discovery) -> list[str]:
    """Which of the lists clients see differ from what the previous scan stored."""
    changed = []
    if server.tools != discovery.tools:
        changed.append("tools")
    if server.prompts != discovery.prompts:
        changed.append("prompts")
    if (server.resources, server.resource_templates) != (discovery.resources, discovery.resource_templates):
        changed.append("resources")
    return changed if server.is_active else []


def mcp_server_rescan(*, server_id) -> bool:
    """Scan a server again (its lists changed, or the schedule came round); False if it is gone or failed."""
    server = ExternalMcpServer.objects.filter(id=server_id, is_active=True).first()
    return server is not None and mcp_server_scan(server=server)


def mcp_servers_rescan_all() -> tuple[int, int]:
    """Scan every active server: (scanned, failed). One failing server never stops the others."""
    failed = 0
    ids = list(ExternalMcpServer.objects.filter(is_active=True).values_list("id", flat=True))
    for server_id in ids:
        if not mcp_server_rescan(server_id=server_id):
            failed += 1
    return len(ids), failed


def _scan_failed(server: ExternalMcpServer, message: str) -> bool:
    server.last_scanned_at, server.last_error, server.last_latency_ms = timezone.now(), message, None
    server.save(update_fields=HEALTH_FIELDS)
    return False


def tool_calls_purge(*, retention_days: int, batch_size: int = 2_000) -> int:
    """Delete tool-call audit rows older than `retention_days` (0: keep all), in batches; how many went.

    Batches keep each delete's transaction and locks short on a large audit table.
    """
    if retention_days <= 0:
        return 0
    cutoff = timezone.now() - timedelta(days=retention_days)
    deleted = 0
    while True:
        batch = list(ToolCall.objects.filter(created_at__lt=cutoff).values_list("id", flat=True)[:batch_size])
        if not batch:
            return deleted
        deleted += ToolCall.objects.filter(id__in=batch).delete()[1].get(ToolCall._meta.label, 0)
