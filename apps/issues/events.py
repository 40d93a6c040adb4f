"""Issue domain events: written in the same transaction as the change (an outbox), delivered after commit.

Each consumer records its own delivery per event and is idempotent, so a redelivery (after a crash,
or from the periodic sweep that re-enqueues what was left undone) does no harm.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from apps.issues.models import IssueEvent, IssueEventDelivery
from preloop.db import bulk_copy

log = logging.getLogger(__name__)
BATCH = 500
REDELIVER_AFTER = timedelta(minutes=1)

Consumer = Callable[[list[IssueEvent]], None]
CONSUMERS: dict[str, Consumer] = {}


def event_consumer(name: str) -> Callable[[Consumer], Consumer]:
    """Register a function that receives batches of new events (flows and embeddings register later)."""

    def register(function: Consumer) -> Consumer:
        CONSUMERS[name] = function
        return function

    return register


def issue_events_emit(events: Iterable[IssueEvent]) -> list[IssueEvent]:
    """Store events in the current transaction; their delivery is enqueued once it commits."""
    stored = list(events)
    bulk_copy(IssueEvent, stored)
    ids = [event.id for event in stored]
    if ids:
        transaction.on_commit(lambda: _enqueue(ids))
    return stored


def _enqueue(ids: list[int]) -> None:
    from apps.issues.tasks import issue_events_deliver

    for start in range(0, len(ids), BATCH):
        try:
            issue_events_deliver.send(ids[start : start + BATCH])
        except Exception:  # the broker is down: the periodic sweep delivers these later
            log.warning("could not enqueue delivery of %s issue events; the sweep will", len(ids[start:]))
            return


def issue_events_deliver_now(event_ids: list[int]) -> None:
    """Hand each consumer the events it has not handled yet, then record that it has."""
    for name, consume in CONSUMERS.items():
        pending = list(
            IssueEvent.objects.filter(id__in=event_ids)
            .exclude(deliveries__consumer=name)
            .select_related("issue", "issue__project")
            .order_by("id")
        )
        if not pending:
            continue
        consume(pending)
        IssueEventDelivery.objects.bulk_create(
            [IssueEventDelivery(event=event, consumer=name) for event in pending], ignore_conflicts=True
        )


def issue_events_undelivered(*, older_than: timedelta = REDELIVER_AFTER, limit: int = 5000) -> list[int]:
    """Ids of events some consumer has not handled a while after they were written."""
    cutoff = timezone.now() - older_than
    ids: set[int] = set()
    for name in CONSUMERS:
        ids.update(
            IssueEvent.objects.filter(created_at__lt=cutoff)
            .exclude(deliveries__consumer=name)
            .order_by("id")
            .values_list("id", flat=True)[:limit]
        )
    return sorted(ids)[:limit]


@event_consumer("activity")
def publish_activity(events: list[IssueEvent]) -> None:
    """Every issue change appears on its owner's `activity` WebSocket topic."""
    from apps.notifications.services import event_publish

    for event in events:
        issue = event.issue
        event_publish(
            user_id=event.owner_id, topic="activity", event_type=f"issue_{event.kind}",
            data={
                "event_id": event.id, "issue_id": str(issue.id), "key": issue.key, "title": issue.title,
                "project_id": str(issue.project_id), "kind": event.kind, "source": event.source,
                "changes": _short(event.changes),
            },
        )  # fmt: skip


def _short(changes: dict) -> dict:
    """Long texts (descriptions, comment bodies) are cut for the WebSocket; the API has them whole."""

    def cut(value):
        return value[:280] + "…" if isinstance(value, str) and len(value) > 280 else value

    return {key: [cut(v) for v in value] if isinstance(value, list) else cut(value) for key, value in changes.items()}
