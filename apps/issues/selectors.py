"""Reads of issues, always limited to the requesting user's own projects."""

from apps.issues.models import Comment, Issue


def issue_list(*, user, project=None):
    issues = Issue.objects.filter(project__organization__tracker__owner=user).select_related("project")
    return issues.filter(project=project) if project else issues


def comment_list(*, user, issue):
    return Comment.objects.filter(issue__project__organization__tracker__owner=user, issue=issue)
