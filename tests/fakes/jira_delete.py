"""Deleting issues in the Jira fake: `DELETE /rest/api/{2|3}/issue/{key}`, sub-tasks and the Delete Issues permission.

As in Jira, deleting needs its own permission (a project may let people edit but not delete), and an issue with
sub-tasks is refused with 400 unless `deleteSubtasks=true`, which deletes them with it.
"""

from __future__ import annotations

from .jira_data import IssueRecord, JiraError
from .server import Response

HAS_SUBTASKS = (
    "The issue has subtasks. You must specify the 'deleteSubtasks' parameter to delete this issue with subtasks."
)
NO_DELETE_PERMISSION = "You do not have permission to delete issues in this project."


class JiraDeleteMixin:
    """Mixed into FakeJira; the route is registered in jira_api.py."""

    def add_subtask(self, parent_key: str, summary: str, *, status: str = "To Do") -> dict:
        """Seed a sub-task of an issue, in its project; returns {"id", "key", "self"} like POST /issue."""
        with self.lock:
            parent = self._issue_or_error(parent_key)
            at = self._tick()
            subtask = self._create_issue(
                parent.project, summary=summary, description=None, issue_type="Sub-task", priority="Medium",
                labels=[], assignee=None, reporter=self.me, created=at, updated=at, status=status,
            )  # fmt: skip
            subtask.parent_id = parent.id
            return {
                "id": str(subtask.id),
                "key": subtask.key,
                "self": f"{self._api(self._main_version)}/issue/{subtask.id}",
            }

    def set_delete_permission(self, project_key: str, allowed: bool) -> None:
        """Whether the fake's users hold Delete Issues in the project (editing stays as it is)."""
        with self.lock:
            self.projects[project_key].delete = allowed

    def subtask_keys(self, key: str) -> list[str]:
        with self.lock:
            return [subtask.key for subtask in self._subtasks(self._issue_or_error(key))]

    def _subtasks(self, issue: IssueRecord) -> list[IssueRecord]:
        return [candidate for candidate in self.issues.values() if candidate.parent_id == issue.id]

    def _delete_issue_route(self, request, version, user):
        issue = self._writable_issue(request, user, "delete issues")
        if not issue.project.delete:
            raise JiraError(403, NO_DELETE_PERMISSION)
        subtasks = self._subtasks(issue)
        if subtasks and (request.arg("deleteSubtasks") or "false").lower() != "true":
            raise JiraError(400, HAS_SUBTASKS)
        for subtask in subtasks:
            self._delete_issue(subtask)
        self._delete_issue(issue)
        return Response(204)
