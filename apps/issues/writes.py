"""Changing issues: written through to the tracker first, then stored from the tracker's answer.

A tracker that refuses raises its TrackerError and nothing is stored, so the local copy never
holds a change the tracker does not have.
"""

from __future__ import annotations

from django.db import transaction

from apps.issues.models import ChangeSource, Comment, Issue
from apps.issues.services import comments_store, issues_store
from apps.trackers.clients.base import IssueDraft
from apps.trackers.clients.registry import client_for
from apps.trackers.models import Project


def _client(project: Project):
    return client_for(project.organization.tracker)


def issue_create(*, project: Project, draft: IssueDraft) -> Issue:
    """Create the issue in the tracker, then store it."""
    client = _client(project)
    try:
        remote = client.create_issue(project.organization.identifier, project.identifier, draft)
    finally:
        client.close()
    with transaction.atomic():
        return issues_store(project=project, remote_issues=[remote], source=ChangeSource.PRELOOP)[remote.external_id]


def issue_update(*, issue: Issue, changes: IssueDraft) -> Issue:
    """Change the issue in the tracker, then store what the tracker answered."""
    project = issue.project
    client = _client(project)
    try:
        remote = client.update_issue(project.organization.identifier, project.identifier, issue.key, changes)
    finally:
        client.close()
    with transaction.atomic():
        return issues_store(project=project, remote_issues=[remote], source=ChangeSource.PRELOOP)[remote.external_id]


def issue_comment_add(*, issue: Issue, body: str) -> Comment:
    """Comment in the tracker, then store the comment."""
    project = issue.project
    client = _client(project)
    try:
        remote = client.add_comment(project.organization.identifier, project.identifier, issue.key, body)
    finally:
        client.close()
    with transaction.atomic():
        comments_store(owner_id=project.organization.tracker.owner_id, comments=[(issue, remote)],
                       source=ChangeSource.PRELOOP)  # fmt: skip
    return Comment.objects.get(issue=issue, external_id=remote.external_id)
