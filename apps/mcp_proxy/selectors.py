"""Reads of tool-call audit rows and external MCP servers, always the requesting user's own."""

from __future__ import annotations

import uuid
from datetime import datetime

from apps.accounts.selectors import api_key_list
from apps.mcp_proxy.models import ExternalMcpServer, ToolCall, ToolSource


def tool_call_list(
    *,
    user,
    tool_name: str | None = None,
    source: str | None = None,
    outcome: str | None = None,
    transport: str | None = None,
    client_name: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
):
    """The user's tool calls, newest first; each given filter narrows them (`until` is exclusive)."""
    calls = ToolCall.objects.filter(user=user)
    exact = {"tool_name": tool_name, "source": source, "outcome": outcome, "transport": transport,
             "client_name": client_name}  # fmt: skip
    calls = calls.filter(**{field: value for field, value in exact.items() if value})
    if since is not None:
        calls = calls.filter(created_at__gte=since)
    if until is not None:
        calls = calls.filter(created_at__lt=until)
    return calls.order_by("-created_at", "-id")


# Filter suggestions come from the user's latest calls only: a DISTINCT over a long audit would scan it all.
SUGGESTIONS_FROM_LATEST = 1_000


def _latest_values(user, field: str) -> set[str]:
    latest = ToolCall.objects.filter(user=user).order_by("-created_at").values_list(field, flat=True)
    return {value for value in latest[:SUGGESTIONS_FROM_LATEST] if value}


def tool_call_sources(*, user, also: str = "") -> dict[str, str]:
    """Where the user's calls come from, as `{source: label}`: the built-in tools, then each of their servers.

    A source seen in recent calls, or `also` when some of the user's calls have it, that is no longer one
    of their servers (it was deleted) is named as such, so its calls stay findable.
    """
    sources = {ToolSource.PRELOOP_BUILTIN.value: "Preloop built-in"}
    sources.update({str(server.id): server.name for server in mcp_server_list(user=user)})
    seen = _latest_values(user, "source")
    if also and also not in sources and ToolCall.objects.filter(user=user, source=also).exists():
        seen.add(also)
    for source in sorted(seen - set(sources)):
        sources[source] = f"Deleted server ({source[:8]}…)"
    return sources


def tool_call_client_names(*, user) -> list[str]:
    """The client names of the user's recent calls, for a filter's suggestions."""
    return sorted(_latest_values(user, "client_name"))


def tool_call_tool_names(*, user) -> list[str]:
    """The tool names of the user's recent calls, for a filter's suggestions."""
    return sorted(_latest_values(user, "tool_name"))


def tool_call_credential_labels(*, user, calls) -> dict[str, str]:
    """How to name the credential of each call: the user's API key by name and prefix, else the token id."""
    ids = {call.credential_id for call in calls if call.credential_id}
    key_ids = []
    for credential_id in ids:
        try:
            key_ids.append(uuid.UUID(credential_id))
        except ValueError:
            continue  # a JWT's id, not an API key's
    keys = api_key_list(user=user).filter(id__in=key_ids)
    labels = {credential_id: f"token {credential_id}" for credential_id in ids}
    labels.update({str(key.id): f"API key “{key.name}” ({key.prefix}…)" for key in keys})
    return labels


def mcp_server_list(*, user):
    return ExternalMcpServer.objects.filter(owner=user)


def mcp_server_get(*, user, server_id) -> ExternalMcpServer:
    return mcp_server_list(user=user).get(id=server_id)


def mcp_server_tools(*, server: ExternalMcpServer) -> list[dict]:
    """The tools the last scan found, each with the name clients will call it by."""
    return [{**tool, "name": server.proxied_name(tool["name"]), "upstreamName": tool["name"]} for tool in server.tools]


def mcp_server_prompts(*, server: ExternalMcpServer) -> list[dict]:
    """The prompts the last scan found, each with the name clients will ask for it by."""
    return [{**prompt, "name": server.proxied_name(prompt["name"]), "upstreamName": prompt["name"]}
            for prompt in server.prompts]  # fmt: skip
