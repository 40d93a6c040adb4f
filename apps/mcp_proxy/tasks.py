import logging

import dramatiq
from django.conf import settings

log = logging.getLogger(__name__)


@dramatiq.actor(max_retries=0, time_limit=60 * 60 * 1000)
def mcp_servers_rescan() -> None:
    """Scan every active external MCP server, so catalogs and health stay current without a list_changed."""
    from apps.mcp_proxy.services import mcp_servers_rescan_all

    scanned, failed = mcp_servers_rescan_all()
    log.info("re-scanned %d MCP servers (%d failed; see their last_error)", scanned, failed)


@dramatiq.actor(max_retries=0, time_limit=60 * 60 * 1000)
def tool_calls_purge() -> None:
    """Delete audit rows older than TOOL_CALL_RETENTION_DAYS (the scheduler sends this hourly)."""
    from apps.mcp_proxy.services import tool_calls_purge as tool_calls_purge_now

    days = settings.TOOL_CALL_RETENTION_DAYS
    if days <= 0:
        log.info("tool_calls_purge: TOOL_CALL_RETENTION_DAYS=0, every tool call is kept")
        return
    deleted = tool_calls_purge_now(retention_days=days)
    log.info("tool_calls_purge: deleted %d tool calls older than %d days", deleted, days)
