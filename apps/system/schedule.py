"""The registry of periodic jobs. Each app adds its own entry here (sync, expiry, re-delivery)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


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
    PeriodicJob(
        "version_check", interval_seconds=24 * 3600, actor_path="apps.system.tasks.version_check", run_at_start=True
    ),
]
