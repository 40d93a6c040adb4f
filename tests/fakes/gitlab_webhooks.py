"""Webhook deliveries from the GitLab fake: Issue Hook and Note Hook payloads and their headers."""

from __future__ import annotations

import hashlib
import json
import uuid

from .gitlab_store import _Issue, _Label, _Project, _User, hook_stamp, stamp

VISIBILITY_LEVELS = {"private": 0, "internal": 10, "public": 20}
HOOK_EVENTS = {"issue": "Issue Hook", "note": "Note Hook", "merge_request": "Merge Request Hook", "push": "Push Hook"}


class GitLabWebhooksMixin:
    """Mixed into FakeGitLab: event payloads built from the current state, in the shapes hooks use."""

    def webhook(self, payload: dict, secret_token: str | None) -> tuple[dict, bytes]:
        """Headers and body of a delivery as GitLab sends it; the secret token travels as X-Gitlab-Token."""
        body = json.dumps(payload).encode()
        kind = payload.get("object_kind", "")
        event = HOOK_EVENTS.get(kind, f"{kind.replace('_', ' ').title()} Hook")
        if kind in ("issue", "note") and payload.get("event_type", "").startswith("confidential"):
            event = f"Confidential {event}"
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "GitLab/18.6.0-ee",
            "X-Gitlab-Event": event,
            "X-Gitlab-Instance": self.base_url,
            "X-Gitlab-Webhook-UUID": self.webhook_uuid,
            "X-Gitlab-Event-UUID": str(uuid.uuid4()),
            "Idempotency-Key": str(uuid.uuid4()),
        }
        if secret_token:
            headers["X-Gitlab-Token"] = secret_token
        return headers, body

    def issue_event_payload(
        self,
        project: int | str,
        iid: int,
        action: str,
        *,
        changes: dict | None = None,
        user: str | None = None,
    ) -> dict:
        """An Issue Hook payload; `action` is open, update, close or reopen, `changes` adds to the default ones."""
        with self.lock:
            target = self._seed_project(project)
            issue = target.issues[iid]
            actor = self._user(user or issue.updated_by or issue.author)
            attributes = {**self._hook_issue(target, issue, iso=True), "action": action}
            labels = attributes["labels"]
            return {
                "object_kind": "issue",
                "event_type": "confidential_issue" if issue.confidential else "issue",
                "user": self._hook_user(actor),
                "project": self._hook_project(target),
                "object_attributes": attributes,
                "labels": labels,
                "changes": {**_default_changes(issue, action, actor, self._users), **(changes or {})},
                "repository": self._hook_repository(target),
                "assignees": [self._hook_user(self._users[name.lower()]) for name in issue.assignees],
            }

    def note_event_payload(self, project: int | str, iid: int, note_id: int, *, action: str = "create") -> dict:
        """A Note Hook payload for a comment on an issue."""
        with self.lock:
            target = self._seed_project(project)
            issue = target.issues[iid]
            note = self._notes_by_id[note_id]
            author = self._users[note.author.lower()]
            web_url = self._issue_web_url(target, issue)
            return {
                "object_kind": "note",
                "event_type": "confidential_note" if issue.confidential else "note",
                "user": self._hook_user(author),
                "project_id": target.id,
                "project": self._hook_project(target),
                "object_attributes": {
                    "attachment": None,
                    "author_id": author.id,
                    "change_position": None,
                    "commit_id": None,
                    "created_at": hook_stamp(note.created_at),
                    "discussion_id": hashlib.sha1(str(note.id).encode(), usedforsecurity=False).hexdigest(),
                    "id": note.id,
                    "line_code": None,
                    "note": note.body,
                    "noteable_id": issue.id,
                    "noteable_type": "Issue",
                    "original_position": None,
                    "position": None,
                    "project_id": target.id,
                    "resolved_at": None,
                    "resolved_by_id": None,
                    "resolved_by_push": None,
                    "st_diff": None,
                    "system": note.system,
                    "type": None,
                    "updated_at": hook_stamp(note.updated_at),
                    "updated_by_id": None,
                    "description": note.body,
                    "url": f"{web_url}#note_{note.id}",
                    "action": action,
                },
                "repository": self._hook_repository(target),
                "issue": self._hook_issue(target, issue, iso=False),
            }

    def _hook_user(self, user: _User) -> dict:
        avatar = self._user_json(user)["avatar_url"]
        return {
            "id": user.id,
            "name": user.name,
            "username": user.username,
            "avatar_url": avatar,
            "email": "[REDACTED]",
        }

    def _hook_project(self, project: _Project) -> dict:
        web = f"{self.base_url}/{project.path_with_namespace}"
        ssh = self._project_json(project)["ssh_url_to_repo"]
        namespace = project.namespace.name
        return {
            "id": project.id,
            "name": project.name,
            "description": project.description or None,
            "web_url": web,
            "avatar_url": None,
            "git_ssh_url": ssh,
            "git_http_url": f"{web}.git",
            "namespace": namespace,
            "visibility_level": VISIBILITY_LEVELS[project.visibility],
            "path_with_namespace": project.path_with_namespace,
            "default_branch": "main",
            "ci_config_path": None,
            "homepage": web,
            "url": ssh,
            "ssh_url": ssh,
            "http_url": f"{web}.git",
        }

    def _hook_repository(self, project: _Project) -> dict:
        web = f"{self.base_url}/{project.path_with_namespace}"
        return {
            "name": project.name,
            "url": self._project_json(project)["ssh_url_to_repo"],
            "description": project.description or None,
            "homepage": web,
        }

    def _hook_issue(self, project: _Project, issue: _Issue, *, iso: bool) -> dict:
        """Issue attributes as hooks show them: ISO timestamps in Issue Hooks, `... UTC` ones inside Note Hooks."""
        when = stamp if iso else hook_stamp
        assignee_ids = [self._users[name.lower()].id for name in issue.assignees]
        return {
            "author_id": self._users[issue.author.lower()].id,
            "closed_at": when(issue.closed_at) if issue.closed_at else None,
            "confidential": issue.confidential,
            "created_at": when(issue.created_at),
            "description": issue.description,
            "discussion_locked": None,
            "due_date": None,
            "id": issue.id,
            "iid": issue.iid,
            "last_edited_at": None,
            "last_edited_by_id": None,
            "milestone_id": None,
            "moved_to_id": issue.moved_to_id,
            "duplicated_to_id": None,
            "project_id": project.id,
            "relative_position": None,
            "state_id": 1 if issue.state == "opened" else 2,
            "time_estimate": 0,
            "title": issue.title,
            "updated_at": when(issue.updated_at),
            "updated_by_id": self._users[issue.updated_by.lower()].id if issue.updated_by else None,
            "type": "Issue",
            "url": self._issue_web_url(project, issue),
            "total_time_spent": 0,
            "time_change": 0,
            "human_total_time_spent": None,
            "human_time_change": None,
            "human_time_estimate": None,
            "assignee_ids": assignee_ids,
            "assignee_id": assignee_ids[0] if assignee_ids else None,
            "labels": [self._hook_label(project, project.labels[name.lower()]) for name in issue.labels],
            "state": issue.state,
            "severity": "unknown",
            "customer_relations_contacts": [],
        }

    def _hook_label(self, project: _Project, label: _Label) -> dict:
        return {
            "id": label.id,
            "title": label.name,
            "color": label.color,
            "project_id": project.id,
            "created_at": hook_stamp(label.created_at),
            "updated_at": hook_stamp(label.created_at),
            "template": False,
            "description": None,
            "type": "ProjectLabel",
            "group_id": None,
        }


def _default_changes(issue: _Issue, action: str, actor: _User, users: dict[str, _User]) -> dict:
    updated = {"previous": None, "current": hook_stamp(issue.updated_at)}
    if action == "open":
        return {
            "author_id": {"previous": None, "current": users[issue.author.lower()].id},
            "created_at": {"previous": None, "current": hook_stamp(issue.created_at)},
            "description": {"previous": None, "current": issue.description},
            "id": {"previous": None, "current": issue.id},
            "iid": {"previous": None, "current": issue.iid},
            "project_id": {"previous": None, "current": issue.project_id},
            "title": {"previous": None, "current": issue.title},
            "updated_at": updated,
        }
    if action == "close":
        closed = {"previous": None, "current": hook_stamp(issue.closed_at)}
        return {"closed_at": closed, "state_id": {"previous": 1, "current": 2}, "updated_at": updated}
    if action == "reopen":
        return {"closed_at": {"previous": None, "current": None}, "state_id": {"previous": 2, "current": 1}}
    return {"updated_at": updated, "updated_by_id": {"previous": None, "current": actor.id}}
