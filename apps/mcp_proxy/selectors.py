"""Reads of tool-call audit rows, always the requesting user's own."""

from apps.mcp_proxy.models import ToolCall


def tool_call_list(*, user, tool_name: str | None = None, outcome: str | None = None):
    calls = ToolCall.objects.filter(user=user)
    if tool_name:
        calls = calls.filter(tool_name=tool_name)
    if outcome:
        calls = calls.filter(outcome=outcome)
    return calls.order_by("-created_at")
