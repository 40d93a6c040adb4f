"""Audit rows as the pipeline writes them, for tests that read the audit (console, REST filters, retention)."""

from __future__ import annotations

from datetime import datetime

from apps.mcp_proxy.audit import arguments_digest, arguments_redact
from apps.mcp_proxy.models import ToolCall


def tool_call_for(user, *, tool_name: str = "get_issue", arguments: dict | None = None,
                  created_at: datetime | None = None, **fields) -> ToolCall:  # fmt: skip
    """A stored call of `user`; `created_at` backdates it (the column is set on insert)."""
    arguments = {"issue": "acme/api#1"} if arguments is None else arguments
    defaults = {"outcome": "success", "duration_ms": 12, "client_name": "claude-code", "client_version": "1.2.0",
                "protocol_version": "2025-11-25", "transport": "mcp"}  # fmt: skip
    call = ToolCall.objects.create(user=user, tool_name=tool_name, arguments=arguments_redact(arguments),
                                   arguments_digest=arguments_digest(arguments), **{**defaults, **fields})  # fmt: skip
    if created_at is not None:
        ToolCall.objects.filter(pk=call.pk).update(created_at=created_at)
        call.refresh_from_db()
    return call
