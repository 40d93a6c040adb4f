"""Reads of tool configurations, always the requesting user's own."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from apps.mcp_proxy.models import ToolConfiguration, ToolRule, ToolSource


def tool_configuration_list(*, user, tool_source: str | None = None) -> QuerySet[ToolConfiguration]:
    """The user's configurations with their rules in order; `tool_source` filters by source."""
    configurations = ToolConfiguration.objects.filter(owner=user).select_related("server")
    configurations = configurations.prefetch_related(Prefetch("rules", queryset=ToolRule.objects.order_by("position")))
    if tool_source:
        configurations = configurations_of_source(configurations, tool_source)
    return configurations.order_by("server__name", "tool_name", "created_at")


def configurations_of_source(configurations: QuerySet[ToolConfiguration], source: str) -> QuerySet[ToolConfiguration]:
    if source == ToolSource.PRELOOP_BUILTIN:
        return configurations.filter(server__isnull=True)
    try:
        return configurations.filter(server_id=uuid.UUID(str(source)))
    except ValueError:
        return configurations.none()


@dataclass(frozen=True)
class ToolEntry:
    """One tool the user can configure: where it comes from, its own name, the name clients see."""

    source: str
    source_label: str
    tool_name: str
    client_name: str
    description: str
    configuration: ToolConfiguration | None


def tool_catalog(*, user) -> list[ToolEntry]:
    """Every tool the user can configure, disabled ones included: the built-in tools when the user sees them
    (a tracker is needed), then each of the user's MCP servers' tools as its last scan found them."""
    from apps.mcp_proxy.registry import tools_all
    from apps.mcp_proxy.selectors import mcp_server_list
    from apps.trackers.selectors import tracker_list

    configurations = {(item.tool_source, item.tool_name): item for item in tool_configuration_list(user=user)}
    entries = []
    if tracker_list(user=user).exists():  # built-in tools work on trackers: without one, none is visible
        for spec in tools_all():
            if spec.source == ToolSource.PRELOOP_BUILTIN and (spec.visible_to is None or spec.visible_to(user)):
                key = (ToolSource.PRELOOP_BUILTIN.value, spec.name_at_source)
                entries.append(ToolEntry(key[0], "Preloop", spec.name_at_source, spec.name, spec.description,
                                         configurations.get(key)))  # fmt: skip
    for server in mcp_server_list(user=user).order_by("name"):
        for tool in server.tools:
            key = (str(server.id), tool["name"])
            entries.append(ToolEntry(key[0], server.name, tool["name"], server.proxied_name(tool["name"]),
                                     tool.get("description", ""), configurations.get(key)))  # fmt: skip
    return entries


def tool_catalog_entry(*, user, source: str, tool_name: str) -> ToolEntry | None:
    """One tool of the user's catalog, or None when the user has no such tool."""
    return next((entry for entry in tool_catalog(user=user) if (entry.source, entry.tool_name) == (source, tool_name)),
                None)  # fmt: skip
