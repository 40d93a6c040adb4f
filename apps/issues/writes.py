"""Changing issues: written through to the tracker first, then stored from the tracker's answer.

A tracker that refuses raises its TrackerError and nothing is stored, so the local copy never
holds a change the tracker does not have.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

from apps.issues.models import ChangeSource, Comment, Issue
from apps.issues.services import comments_store, issues_mark_deleted, issues_store
from apps.trackers.clients.base import IssueDraft, RemoteIssue, TrackerClient
from apps.trackers.clients.registry import client_for
from apps.trackers.models import Project


def _in_tracker(project: Project, operation: Callable[[TrackerClient, str, str], object]):
    """Run one call against the project's tracker: operation(client, organization, project)."""
    client = client_for(project.organization.tracker)
    try:
        return operation(client, project.organization.identifier, project.identifier)
    finally:
        client.close()


def _store(project: Project, remote: RemoteIssue) -> Issue:
    with transaction.atomic():
        return issues_store(project=project, remote_issues=[remote], source=ChangeSource.PRELOOP)[remote.external_id]


def issue_create(*, project: Project, draft: IssueDraft) -> Issue:
    """Create the issue in the tracker, then store it."""
    return _store(project, _in_tracker(project, lambda client, org, proj: client.create_issue(org, proj, draft)))


def issue_update(*, issue: Issue, changes: IssueDraft) -> Issue:
    """Change the issue in the tracker, then store what the tracker answered."""
    remote = _in_tracker(issue.project, lambda client, org, proj: client.update_issue(org, proj, issue.key, changes))
    return _store(issue.project, remote)


def issue_comment_add(*, issue: Issue, body: str) -> Comment:
    """Comment in the tracker, then store the comment."""
    remote = _in_tracker(issue.project, lambda client, org, proj: client.add_comment(org, proj, issue.key, body))
    with transaction.atomic():
        comments_store(owner_id=issue.project.organization.tracker.owner_id, comments=[(issue, remote)],
                       source=ChangeSource.PRELOOP)  # fmt: skip
    return Comment.objects.get(issue=issue, external_id=remote.external_id)


class IssueAlreadyDeleted(Exception):
    """The tracker no longer has this issue (deleted, or moved elsewhere): there is nothing to delete."""


def issue_delete(*, issue: Issue) -> None:
    """Delete the issue in the tracker, then mark the local copy deleted (a `deleted` event)."""
    if issue.deleted_at is not None:
        where = f"; it moved to {issue.moved_to}" if issue.moved_to else ""
        raise IssueAlreadyDeleted(f"Issue {issue.key} is already gone from the tracker{where}.")
    _in_tracker(issue.project, lambda client, org, proj: client.delete_issue(org, proj, issue.key))
    with transaction.atomic():
        issues_mark_deleted(owner_id=issue.project.organization.tracker.owner_id, issues=[issue],
                            source=ChangeSource.PRELOOP)  # fmt: skip
