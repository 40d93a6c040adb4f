"""The registry of periodic jobs. Each app adds its own entry here (sync, expiry, re-delivery)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    interval_seconds: int
    actor_path: str  # "apps.system.tasks.version_check"
    run_at_start: bool = False
    kwargs: dict = field(default_factory=dict)

    def enqueue(self) -> None:
        from django.utils.module_loading import import_string

        actor: Callable = import_string(self.actor_path)
        actor.send(**self.kwargs)


PERIODIC_JOBS: list[PeriodicJob] = [
    PeriodicJob("version_check", 24 * 3600, "apps.system.tasks.version_check", run_at_start=True),
    PeriodicJob(
        "trackers_sync", settings.SYNC_INTERVAL_SECONDS, "apps.trackers.tasks.trackers_sync_all", run_at_start=True
    ),
    PeriodicJob("issue_events_sweep", 60, "apps.issues.tasks.issue_events_sweep"),
    PeriodicJob("issues_embed_missing", 15 * 60, "apps.issues.tasks.issues_embed_missing", run_at_start=True),
    PeriodicJob("mcp_servers_rescan", settings.MCP_SERVER_RESCAN_SECONDS, "apps.mcp_proxy.tasks.mcp_servers_rescan"),
    PeriodicJob("notification_deliveries_sweep", 120, "apps.notifications.tasks.notification_deliveries_sweep"),
    PeriodicJob("tool_calls_purge", 3600, "apps.mcp_proxy.tasks.tool_calls_purge", run_at_start=True),
    # Short: an approval request left by a dead process (or never decided) ends at most this late.
    PeriodicJob(
        "approval_requests_sweep",
        settings.APPROVAL_SWEEP_INTERVAL_SECONDS,
        "apps.approvals.tasks.approval_requests_sweep",
        run_at_start=True,
    ),
]
