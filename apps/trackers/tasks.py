import logging

import dramatiq

from apps.trackers.models import Tracker
from apps.trackers.sync import tracker_sync

log = logging.getLogger(__name__)


@dramatiq.actor(max_retries=0, time_limit=60 * 60 * 1000, queue_name="sync")
def tracker_sync_run(tracker_id: str, full: bool = False) -> None:
    tracker = Tracker.objects.filter(id=tracker_id, is_active=True).first()
    if tracker is None:
        return
    summary = tracker_sync(tracker=tracker, full=full)
    log.info("synced %s: %s issues, %s comment changes, %s errors", tracker.name, summary.issues, summary.comments,
             len(summary.errors))  # fmt: skip


@dramatiq.actor(max_retries=0)
def trackers_sync_all() -> None:
    """One message per tracker, so one tracker's failure or slowness never holds up the others."""
    for tracker_id in Tracker.objects.filter(is_active=True).values_list("id", flat=True):
        tracker_sync_run.send(str(tracker_id))
