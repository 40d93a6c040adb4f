import dramatiq

from apps.issues.events import issue_events_deliver_now, issue_events_undelivered


@dramatiq.actor(max_retries=5, min_backoff=1_000)
def issue_events_deliver(event_ids: list[int]) -> None:
    issue_events_deliver_now(event_ids)


@dramatiq.actor(max_retries=0)
def issue_events_sweep() -> None:
    """Re-enqueue deliveries left undone (a worker crash, Redis down at commit time)."""
    ids = issue_events_undelivered()
    for start in range(0, len(ids), 500):
        issue_events_deliver.send(ids[start : start + 500])
