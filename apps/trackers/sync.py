"""Keeping the local copy of a tracker's issues current: discovery, issues, comments, deletions.

Issues are read oldest change first, a page at a time; each page is stored in one transaction that
also advances the project's cursor, so memory stays flat and an interrupted run resumes where it
stopped. A full sync also notices issues the tracker no longer lists (deleted or moved).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from itertools import islice

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from apps.issues.models import ChangeSource, Issue
from apps.issues.services import comments_store, issues_mark_deleted, issues_store
from apps.trackers.clients.base import RemoteIssue, TrackerClient, TrackerError, TrackerGone, TrackerNotFound
from apps.trackers.clients.registry import client_for
from apps.trackers.models import Organization, Project, SyncStatus, Tracker

log = logging.getLogger(__name__)
BATCH = 500  # issues or comments stored per transaction (a few HTTP pages): fewer commits, bounded memory
SYNC_LOCK_SECONDS = 2 * 3600  # a crashed sync's lock expires after this
VANISHED_CHECKS = 200  # issues missing from a full listing that we ask about one by one (to tell moved from deleted)

Progress = Callable[[str, int], None]  # (project label, issues stored in this step)


@dataclass
class SyncSummary:
    tracker: str
    projects: int = 0
    issues: int = 0
    comments: int = 0
    deleted: int = 0
    errors: list[str] = field(default_factory=list)
    skipped: bool = False  # another sync of this tracker was running

    @property
    def ok(self) -> bool:
        return not self.errors


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    """Batches of `size`, read one batch ahead on a thread: the next HTTP pages arrive while this batch
    is stored (the thread only speaks HTTP; the database stays on the caller's thread)."""
    iterator = iter(items)
    ready: queue.Queue = queue.Queue(maxsize=1)
    stop = threading.Event()

    def read() -> None:
        try:
            while not stop.is_set() and (chunk := list(islice(iterator, size))):
                ready.put(("chunk", chunk))
            ready.put(("end", None))
        except BaseException as error:  # handed to the caller's thread, raised there
            ready.put(("error", error))

    threading.Thread(target=read, daemon=True, name="sync-read-ahead").start()
    try:
        while True:
            kind, value = ready.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
        with suppress(queue.Empty):  # unblock a reader waiting to put its next batch
            ready.get_nowait()


def tracker_discover(*, tracker: Tracker, client: TrackerClient) -> list[Project]:
    """Create or refresh the organizations and projects the token can see; returns the active projects."""
    for remote_org in client.list_organizations():
        organization, _ = Organization.objects.update_or_create(
            tracker=tracker, identifier=remote_org.identifier[:300],
            defaults={"name": remote_org.name[:200], "description": remote_org.description},
        )  # fmt: skip
        if not organization.is_active:
            continue
        for remote in client.list_projects(organization.identifier):
            Project.objects.update_or_create(
                organization=organization, identifier=remote.identifier[:300],
                defaults={"name": remote.name[:200], "description": remote.description,
                          "external_id": remote.external_id[:100], "url": remote.url[:1000]},
            )  # fmt: skip
    return list(
        Project.objects.filter(organization__tracker=tracker, organization__is_active=True, is_active=True)
        .select_related("organization__tracker")
        .order_by("organization__identifier", "identifier")
    )


def project_sync(
    *, project: Project, client: TrackerClient, full: bool = False, progress: Progress | None = None, batch: int = BATCH
):
    """Bring one project's issues and comments up to date; returns (issues stored, comments changed, deleted)."""
    organization = project.organization
    owner_id = organization.tracker.owner_id
    if full and project.full_sync_started_at is None:
        project.full_sync_started_at = timezone.now()
        project.issues_synced_until = None
        project.save(update_fields=["full_sync_started_at", "issues_synced_until"])
    full = full or project.full_sync_started_at is not None  # an interrupted full sync resumes as one
    seen_at = project.full_sync_started_at
    project_comment_stream = client.iter_project_comments(organization.identifier, project.identifier,
                                                          since=project.comments_synced_until)  # fmt: skip
    issues_count = comments_count = 0
    remote_issues = client.iter_issues(organization.identifier, project.identifier, since=project.issues_synced_until)
    for page in _chunks(remote_issues, batch):
        comment_pairs = []
        if project_comment_stream is None:
            comment_pairs = _comments_per_issue(client, project, page)
        with transaction.atomic():
            stored = issues_store(project=project, remote_issues=page, source=ChangeSource.SYNC, seen_at=seen_at)
            comments_count += comments_store(
                owner_id=owner_id, source=ChangeSource.SYNC,
                comments=[(stored[remote.external_id], comment) for remote, comment in comment_pairs],
            )  # fmt: skip
            newest = max((issue.updated_at for issue in page if issue.updated_at), default=None)
            if newest and (project.issues_synced_until is None or newest > project.issues_synced_until):
                project.issues_synced_until = newest
                project.save(update_fields=["issues_synced_until"])
        issues_count += len(page)
        if progress:
            progress(f"{organization.identifier}/{project.identifier}", len(page))
    if project_comment_stream is not None:
        comments_count += _store_comment_stream(project, owner_id, project_comment_stream, batch)
    deleted = _sweep_vanished(project, client, owner_id) if full else 0
    project.full_sync_started_at = None
    project.last_synced_at = timezone.now()
    project.last_error = ""
    project.save(update_fields=["full_sync_started_at", "last_synced_at", "last_error"])
    return issues_count, comments_count, deleted


def _comments_per_issue(client: TrackerClient, project: Project, page: list[RemoteIssue]):
    """Comments read issue by issue (GitLab, Jira): inline when the listing carried them, else fetched."""
    pairs = []
    for remote in page:
        if remote.comments is not None:
            pairs.extend((remote, comment) for comment in remote.comments)
        elif remote.comment_count != 0:
            comments = client.iter_comments(project.organization.identifier, project.identifier, remote)  # fmt: skip
            pairs.extend((remote, comment) for comment in comments)
    return pairs


def _store_comment_stream(project: Project, owner_id, stream, batch: int) -> int:
    """A project-wide comment listing (GitHub), stored a page at a time with its own cursor."""
    changed = 0
    for page in _chunks(stream, batch):
        keys = {key for key, _ in page}
        issues = {issue.key: issue for issue in Issue.objects.filter(project=project, key__in=keys).only("id", "key")}
        pairs = [(issues[key], comment) for key, comment in page if key in issues]
        with transaction.atomic():
            changed += comments_store(owner_id=owner_id, comments=pairs, source=ChangeSource.SYNC)
            newest = max((comment.updated_at for _, comment in page if comment.updated_at), default=None)
            if newest and (project.comments_synced_until is None or newest > project.comments_synced_until):
                project.comments_synced_until = newest
                project.save(update_fields=["comments_synced_until"])
    return changed


def _sweep_vanished(project: Project, client: TrackerClient, owner_id) -> int:
    """Issues a completed full listing did not include: ask about a few (moved?), mark them gone."""
    vanished = list(
        Issue.objects.filter(project=project, deleted_at__isnull=True)
        .exclude(last_seen_at=project.full_sync_started_at)
        .order_by("id")
    )
    moved_to: dict[str, str] = {}
    for issue in vanished[:VANISHED_CHECKS]:
        try:
            remote = client.get_issue(project.organization.identifier, project.identifier, issue.key)
        except (TrackerNotFound, TrackerGone):
            continue
        if remote.moved_to:
            moved_to[issue.external_id] = remote.moved_to
    with transaction.atomic():
        return issues_mark_deleted(owner_id=owner_id, issues=vanished, source=ChangeSource.SYNC, moved_to=moved_to)


def tracker_sync(*, tracker: Tracker, full: bool = False, progress: Progress | None = None,
                 client: TrackerClient | None = None, batch: int = BATCH) -> SyncSummary:  # fmt: skip
    """Discover and sync every active project of one tracker; problems are recorded, never raised.

    One sync per tracker at a time, across processes: a scheduled run that finds the previous one
    still going skips, rather than racing it over the same rows.
    """
    summary = SyncSummary(tracker=tracker.name)
    lock = f"tracker-sync-lock:{tracker.pk}"
    if not cache.add(lock, timezone.now().isoformat(), timeout=SYNC_LOCK_SECONDS):
        summary.skipped = True
        return summary
    try:
        return _tracker_sync_locked(tracker=tracker, full=full, progress=progress, client=client, batch=batch,
                                    summary=summary)  # fmt: skip
    finally:
        cache.delete(lock)


def _tracker_sync_locked(*, tracker, full, progress, client, batch, summary: SyncSummary) -> SyncSummary:
    Tracker.objects.filter(pk=tracker.pk).update(last_sync_status=SyncStatus.RUNNING)
    try:
        client = client or client_for(tracker)
        projects = tracker_discover(tracker=tracker, client=client)
    except TrackerError as error:
        summary.errors.append(str(error))
        projects = []
    for project in projects:
        try:
            issues, comments, deleted = project_sync(
                project=project, client=client, full=full, progress=progress, batch=batch
            )
        except Exception as error:  # one project's failure must not stop the others
            label = f"{project.organization.identifier}/{project.identifier}"
            if isinstance(error, TrackerError):
                log.warning("sync of %s failed: %s", label, error)
            else:
                log.exception("sync of %s failed", label)
            Project.objects.filter(pk=project.pk).update(last_error=str(error)[:5000])
            summary.errors.append(f"{label}: {error}")
            continue
        summary.projects += 1
        summary.issues += issues
        summary.comments += comments
        summary.deleted += deleted
    if client is not None:
        client.close()
    Tracker.objects.filter(pk=tracker.pk).update(
        last_synced_at=timezone.now(), last_sync_status=SyncStatus.OK if summary.ok else SyncStatus.ERROR,
        last_error="\n".join(summary.errors)[:5000],
    )  # fmt: skip
    return summary
