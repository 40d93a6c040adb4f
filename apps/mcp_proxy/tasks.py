import logging

import dramatiq
from django.conf import settings

from apps.mcp_proxy.services import tool_calls_purge as tool_calls_purge_now

logger = logging.getLogger(__name__)


@dramatiq.actor(max_retries=0, time_limit=60 * 60 * 1000)
def tool_calls_purge() -> None:
    """Delete audit rows older than TOOL_CALL_RETENTION_DAYS (the scheduler sends this hourly)."""
    days = settings.TOOL_CALL_RETENTION_DAYS
    if days <= 0:
        logger.info("tool_calls_purge: TOOL_CALL_RETENTION_DAYS=0, every tool call is kept")
        return
    deleted = tool_calls_purge_now(retention_days=days)
    logger.info("tool_calls_purge: deleted %d tool calls older than %d days", deleted, days)
