"""Storing what trackers report about issues and comments, with one domain event per real change."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.utils import timezone

from apps.issues.events import issue_events_emit
from apps.issues.models import Comment, Issue, IssueEvent, IssueEventKind
from apps.trackers.clients.base import RemoteComment, RemoteIssue
from apps.trackers.models import Project
from preloop.db import bulk_copy

# Fields whose change is news (an event); timestamps, URLs and the raw payload are stored silently.
MEANINGFUL_FIELDS = ("key", "number", "title", "description", "state", "status", "issue_type", "labels", "priority",
                     "assignee", "author", "moved_to", "closed_at")  # fmt: skip
SILENT_FIELDS = ("url", "api_url", "created_at_tracker", "updated_at_tracker", "deleted_at")
STORED_FIELDS = (*MEANINGFUL_FIELDS, *SILENT_FIELDS, "raw")


def _values(remote: RemoteIssue) -> dict:
    return {
        "key": remote.key[:100], "number": remote.number, "title": remote.title[:1000], "description": remote.description,
        "state": remote.state, "status": remote.status[:100], "issue_type": remote.issue_type[:100],
        "labels": list(remote.labels), "priority": remote.priority[:100], "assignee": remote.assignee[:255],
        "author": remote.author[:255], "moved_to": remote.moved_to[:1000], "closed_at": remote.closed_at,
        "url": remote.url[:1000], "api_url": remote.api_url[:1000], "created_at_tracker": remote.created_at,
        "updated_at_tracker": remote.updated_at, "raw": remote.raw, "deleted_at": None,
    }  # fmt: skip


def _kind(changes: dict) -> str:
    if "state" in changes:
        return IssueEventKind.CLOSED if changes["state"][1] == "closed" else IssueEventKind.REOPENED
    if changes.get("moved_to", ["", ""])[1]:
        return IssueEventKind.MOVED
    if set(changes) == {"labels"}:
        return IssueEventKind.LABELLED
    return IssueEventKind.UPDATED


def _jsonable(value):
    return value.isoformat() if isinstance(value, datetime) else value


def issues_store(
    *, project: Project, remote_issues: Sequence[RemoteIssue], source: str, seen_at: datetime | None = None
) -> dict[str, Issue]:
    """Upsert a page of issues by tracker id; returns them by external id. Three queries a page."""
    owner_id = project.organization.tracker.owner_id
    existing = {  # the stored payloads are never compared, so never loaded
        issue.external_id: issue
        for issue in Issue.objects.filter(
            project=project, external_id__in=[r.external_id for r in remote_issues]
        ).defer("raw")
    }
    created, updated, events = [], [], []
    for remote in remote_issues:
        values = _values(remote)
        issue = existing.get(remote.external_id)
        if issue is None:
            issue = Issue(project=project, external_id=remote.external_id, **values)
            existing[remote.external_id] = issue
            created.append(issue)
            events.append(IssueEvent(owner_id=owner_id, issue=issue, kind=IssueEventKind.CREATED, source=source))
            continue
        changes = {f: [_jsonable(getattr(issue, f)), _jsonable(values[f])] for f in MEANINGFUL_FIELDS
                   if getattr(issue, f) != values[f]}  # fmt: skip
        if issue.deleted_at is not None:
            changes["deleted_at"] = [_jsonable(issue.deleted_at), None]
        silent = any(getattr(issue, f) != values[f] for f in SILENT_FIELDS)
        if changes or silent:
            for field, value in values.items():
                setattr(issue, field, value)
            updated.append(issue)
        if changes:
            events.append(
                IssueEvent(owner_id=owner_id, issue=issue, kind=_kind(changes), source=source, changes=changes)
            )
    bulk_copy(Issue, created)
    if updated:
        now = timezone.now()
        for issue in updated:
            issue.updated_at = now  # bulk_update does not apply auto_now
        Issue.objects.bulk_update(updated, [*STORED_FIELDS, "updated_at"], batch_size=500)
    if seen_at is not None:
        Issue.objects.filter(project=project, external_id__in=list(existing)).update(last_seen_at=seen_at)
    issue_events_emit(events)
    return existing


def comments_store(*, owner_id, comments: Sequence[tuple[Issue, RemoteComment]], source: str) -> int:
    """Upsert comments by tracker id; a new or edited comment is a `commented` event. Returns how many changed."""
    if not comments:
        return 0
    existing = {
        (comment.issue_id, comment.external_id): comment
        for comment in Comment.objects.filter(
            issue_id__in={issue.id for issue, _ in comments}, external_id__in=[c.external_id for _, c in comments]
        ).only("id", "issue_id", "external_id", "body")
    }
    created, updated, events = [], [], []
    for issue, remote in comments:
        values = {"author": remote.author[:255], "body": remote.body, "url": remote.url[:1000],
                  "created_at_tracker": remote.created_at, "updated_at_tracker": remote.updated_at, "raw": remote.raw}  # fmt: skip
        comment = existing.get((issue.id, remote.external_id))
        if comment is None:
            comment = Comment(issue=issue, external_id=remote.external_id, **values)
            existing[(issue.id, remote.external_id)] = comment
            created.append(comment)
        elif comment.body != remote.body:
            for field, value in values.items():
                setattr(comment, field, value)
            updated.append(comment)
        else:
            continue
        events.append(IssueEvent(owner_id=owner_id, issue=issue, kind=IssueEventKind.COMMENTED, source=source,
                                 changes={"comment_id": remote.external_id, "author": remote.author,
                                          "edited": comment in updated}))  # fmt: skip
    bulk_copy(Comment, created)
    if updated:
        now = timezone.now()
        for comment in updated:
            comment.updated_at = now
        Comment.objects.bulk_update(updated, ["author", "body", "url", "created_at_tracker", "updated_at_tracker",
                                              "raw", "updated_at"])  # fmt: skip
    issue_events_emit(events)
    return len(events)


def issues_mark_deleted(
    *, owner_id, issues: Sequence[Issue], source: str, moved_to: dict[str, str] | None = None
) -> int:
    """The tracker no longer has these issues (deleted, or moved where `moved_to` says)."""
    moved_to = moved_to or {}
    now = timezone.now()
    events = []
    for issue in issues:
        target = moved_to.get(issue.external_id, "")
        issue.deleted_at, issue.moved_to, issue.updated_at = now, target or issue.moved_to, now
        kind = IssueEventKind.MOVED if target else IssueEventKind.DELETED
        events.append(IssueEvent(owner_id=owner_id, issue=issue, kind=kind,
                                 source=source, changes={"moved_to": ["", target]} if target else {}))  # fmt: skip
    Issue.objects.bulk_update(issues, ["deleted_at", "moved_to", "updated_at"])
    issue_events_emit(events)
    return len(events)
