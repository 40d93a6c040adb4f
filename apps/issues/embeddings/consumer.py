"""The `embeddings` consumer of issue events: new and re-worded issues get vectors, then their duplicate pairs."""

from __future__ import annotations

from apps.issues.duplicates import duplicates_refresh
from apps.issues.embeddings.store import issues_embed
from apps.issues.events import event_consumer
from apps.issues.models import IssueEvent, IssueEventKind

CHUNK = 256
TEXT_FIELDS = {"title", "description"}


@event_consumer("embeddings")
def embed_changed_issues(events: list[IssueEvent]) -> None:
    """Idempotent: an issue whose text did not change since its last vector is skipped by digest."""
    issue_ids = list(
        dict.fromkeys(
            event.issue_id
            for event in events
            if event.kind in (IssueEventKind.CREATED, IssueEventKind.REOPENED)
            or (event.kind == IssueEventKind.UPDATED and TEXT_FIELDS & set(event.changes))
        )
    )
    issues_embed_and_pair(issue_ids)


def issues_embed_and_pair(issue_ids: list) -> int:
    """Embed in chunks, refreshing each chunk's duplicate pairs as soon as it has vectors."""
    embedded = 0
    for start in range(0, len(issue_ids), CHUNK):
        changed = issues_embed(issue_ids=issue_ids[start : start + CHUNK])
        if changed:
            duplicates_refresh(issue_ids=changed)
        embedded += len(changed)
    return embedded
