"""Reads of issues, always limited to the requesting user's own projects."""

from __future__ import annotations

import uuid

from django.db.models import Prefetch

from apps.issues.models import Comment, Issue


def _uuid(value, name: str):
    try:
        return uuid.UUID(str(value))
    except ValueError as error:
        raise ValueError(f"{name} must be a UUID, not {value!r}.") from error


def issue_list(*, user, project=None, project_id=None, organization_id=None, state=None, label=None,
               include_deleted: bool = False):  # fmt: skip
    issues = Issue.objects.filter(project__organization__tracker__owner=user).select_related(
        "project__organization__tracker"
    )
    if project is not None:
        issues = issues.filter(project=project)
    if project_id:
        issues = issues.filter(project_id=_uuid(project_id, "project"))
    if organization_id:
        issues = issues.filter(project__organization_id=_uuid(organization_id, "organization"))
    if state:
        if state not in ("open", "closed"):
            raise ValueError(f"state must be open or closed, not {state!r}.")
        issues = issues.filter(state=state)
    if label:
        issues = issues.filter(labels__contains=[label])
    if not include_deleted:
        issues = issues.filter(deleted_at__isnull=True)
    return issues.defer("raw").order_by("-updated_at_tracker", "-created_at")


def issue_get(*, user, issue_id) -> Issue:
    comments = Prefetch("comments", queryset=Comment.objects.defer("raw").order_by("created_at_tracker", "created_at"))
    return (
        Issue.objects.filter(project__organization__tracker__owner=user)
        .select_related("project__organization__tracker")
        .prefetch_related(comments)
        .defer("raw")
        .get(id=issue_id)
    )


def comment_list(*, user, issue):
    return Comment.objects.filter(issue__project__organization__tracker__owner=user, issue=issue)
