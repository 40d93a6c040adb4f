"""Reads of tool configurations, always the requesting user's own."""

from __future__ import annotations

import uuid

from django.db.models import Prefetch, QuerySet

from apps.mcp_proxy.models import ToolConfiguration, ToolRule, ToolSource


def tool_configuration_list(*, user, tool_source: str | None = None) -> QuerySet[ToolConfiguration]:
    """The user's configurations with their rules in order; `tool_source` filters by source."""
    configurations = ToolConfiguration.objects.filter(owner=user).select_related("server")
    configurations = configurations.prefetch_related(Prefetch("rules", queryset=ToolRule.objects.order_by("position")))
    if tool_source:
        configurations = configurations_of_source(configurations, tool_source)
    return configurations.order_by("server__name", "tool_name", "created_at")


def tool_configuration_for(*, user, source: str, tool_name: str) -> ToolConfiguration | None:
    """The user's configuration of one tool (by its source and its own name there), or None."""
    return configurations_of_source(tool_configuration_list(user=user), source).filter(tool_name=tool_name).first()


def configurations_of_source(configurations: QuerySet[ToolConfiguration], source: str) -> QuerySet[ToolConfiguration]:
    if source == ToolSource.PRELOOP_BUILTIN:
        return configurations.filter(server__isnull=True)
    try:
        return configurations.filter(server_id=uuid.UUID(str(source)))
    except ValueError:
        return configurations.none()
