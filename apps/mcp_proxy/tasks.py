import logging

import dramatiq

log = logging.getLogger(__name__)


@dramatiq.actor(max_retries=0, time_limit=60 * 60 * 1000)
def mcp_servers_rescan() -> None:
    """Scan every active external MCP server, so catalogs and health stay current without a list_changed."""
    from apps.mcp_proxy.services import mcp_servers_rescan_all

    scanned, failed = mcp_servers_rescan_all()
    log.info("re-scanned %d MCP servers (%d failed; see their last_error)", scanned, failed)
