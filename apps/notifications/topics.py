"""The topics of the unified WebSocket and the channel-layer group that carries a user's events."""

FLOW_EXECUTIONS = "flow_executions"
APPROVALS = "approvals"
ACTIVITY = "activity"
SYSTEM = "system"
TOPICS = frozenset({FLOW_EXECUTIONS, APPROVALS, ACTIVITY, SYSTEM})


def user_group(user_id) -> str:
    return f"user.{user_id}"
