"""How the GitLab fake renders its records as JSON: users, namespaces, groups, projects, issues, labels, notes."""

from __future__ import annotations

import hashlib

from .gitlab_store import _Group, _Issue, _Label, _Note, _Project, _User


class GitLabRenderMixin:
    """Mixed into FakeGitLab: payloads shaped as gitlab.com sends them, links absolute to `base_url`."""

    def _user_json(self, user: _User) -> dict:
        return {
            "id": user.id,
            "username": user.username,
            "public_email": None,
            "name": user.name,
            "state": "active",
            "locked": False,
            "avatar_url": f"https://secure.gravatar.com/avatar/{hashlib.md5(user.email.encode(), usedforsecurity=False).hexdigest()}?s=80&d=identicon",
            "web_url": f"{self.base_url}/{user.username}",
        }

    def _namespace_json(self, namespace: _Group | _User) -> dict:
        if isinstance(namespace, _User):
            return {
                "id": namespace.namespace_id,
                "name": namespace.name,
                "path": namespace.username,
                "kind": "user",
                "full_path": namespace.username,
                "parent_id": None,
                "avatar_url": None,
                "web_url": f"{self.base_url}/{namespace.username}",
            }
        return {
            "id": namespace.id,
            "name": namespace.name,
            "path": namespace.path,
            "kind": "group",
            "full_path": namespace.full_path,
            "parent_id": namespace.parent.id if namespace.parent else None,
            "avatar_url": None,
            "web_url": f"{self.base_url}/groups/{namespace.full_path}",
        }

    def _group_json(self, group: _Group) -> dict:
        return {
            "id": group.id,
            "web_url": f"{self.base_url}/groups/{group.full_path}",
            "name": group.name,
            "path": group.path,
            "description": group.description,
            "visibility": group.visibility,
            "share_with_group_lock": False,
            "require_two_factor_authentication": False,
            "two_factor_grace_period": 48,
            "project_creation_level": "developer",
            "auto_devops_enabled": None,
            "subgroup_creation_level": "maintainer",
            "emails_disabled": False,
            "emails_enabled": True,
            "mentions_disabled": None,
            "lfs_enabled": True,
            "default_branch": None,
            "default_branch_protection": 2,
            "avatar_url": None,
            "request_access_enabled": True,
            "full_name": group.full_name,
            "full_path": group.full_path,
            "created_at": group.created_at,
            "parent_id": group.parent.id if group.parent else None,
            "organization_id": 1,
            "shared_runners_setting": "enabled",
            "ldap_cn": None,
            "ldap_access": None,
            "marked_for_deletion_on": None,
            "wiki_access_level": "enabled",
        }

    def _project_json(self, project: _Project, *, detail: bool = False) -> dict:
        api = f"{self.api_url}/projects/{project.id}"
        web = f"{self.base_url}/{project.path_with_namespace}"
        host = self.base_url.split("://", 1)[-1].split(":")[0]
        open_count = len(project.by_updated["opened"])
        latest = project.by_updated["all"]
        activity = latest[-1].partition("#")[0] if latest else project.created_at
        data = {
            "id": project.id,
            "description": project.description or None,
            "name": project.name,
            "name_with_namespace": project.name_with_namespace,
            "path": project.path,
            "path_with_namespace": project.path_with_namespace,
            "created_at": project.created_at,
            "default_branch": "main",
            "tag_list": [],
            "topics": [],
            "ssh_url_to_repo": f"git@{host}:{project.path_with_namespace}.git",
            "http_url_to_repo": f"{web}.git",
            "web_url": web,
            "readme_url": None,
            "forks_count": 0,
            "avatar_url": None,
            "star_count": 0,
            "last_activity_at": activity,
            "namespace": self._namespace_json(project.namespace),
            "visibility": project.visibility,
            "issues_enabled": True,
            "open_issues_count": open_count,
            "archived": False,
            "empty_repo": True,
            "_links": {
                "self": api,
                "issues": f"{api}/issues",
                "merge_requests": f"{api}/merge_requests",
                "repo_branches": f"{api}/repository/branches",
                "labels": f"{api}/labels",
                "events": f"{api}/events",
                "members": f"{api}/members",
                "cluster_agents": f"{api}/cluster_agents",
            },
        }
        if detail:
            level = self._project_access(project)
            own = {"access_level": project.access_level, "notification_level": 3} if project.access_level else None
            inherited = {"access_level": level, "notification_level": 3} if level and not own else None
            data["permissions"] = {"project_access": own, "group_access": inherited}
        return data

    def _issue_web_url(self, project: _Project, issue: _Issue) -> str:
        return f"{self.base_url}/{project.path_with_namespace}/-/issues/{issue.iid}"

    def _issue_json(self, project: _Project, issue: _Issue, *, label_details: bool = False) -> dict:
        api = f"{self.api_url}/projects/{project.id}/issues/{issue.iid}"
        assignees = [self._user_json(self._users[name.lower()]) for name in issue.assignees]
        if label_details:
            labels: list = [self._label_json(project.labels[name.lower()]) for name in issue.labels]
        else:
            labels = list(issue.labels)
        closer = issue.closed_by and self._users[issue.closed_by.lower()]
        return {
            "id": issue.id,
            "iid": issue.iid,
            "project_id": project.id,
            "title": issue.title,
            "description": issue.description or None,
            "state": issue.state,
            "created_at": issue.created_at,
            "updated_at": issue.updated_at,
            "closed_at": issue.closed_at,
            "closed_by": self._user_json(closer) if closer else None,
            "labels": labels,
            "milestone": None,
            "assignees": assignees,
            "author": self._user_json(self._users[issue.author.lower()]),
            "type": "ISSUE",
            "assignee": assignees[0] if assignees else None,
            "user_notes_count": issue.user_notes_count,
            "merge_requests_count": 0,
            "upvotes": 0,
            "downvotes": 0,
            "due_date": None,
            "confidential": issue.confidential,
            "discussion_locked": None,
            "issue_type": "issue",
            "web_url": self._issue_web_url(project, issue),
            "time_stats": {
                "time_estimate": 0,
                "total_time_spent": 0,
                "human_time_estimate": None,
                "human_total_time_spent": None,
            },
            "task_completion_status": {"count": 0, "completed_count": 0},
            "blocking_issues_count": 0,
            "has_tasks": True,
            "task_status": "0 of 0 checklist items completed",
            "_links": {
                "self": api,
                "notes": f"{api}/notes",
                "award_emoji": f"{api}/award_emoji",
                "project": f"{self.api_url}/projects/{project.id}",
                "closed_as_duplicate_of": None,
            },
            "references": {
                "short": f"#{issue.iid}",
                "relative": f"#{issue.iid}",
                "full": f"{project.path_with_namespace}#{issue.iid}",
            },
            "severity": "UNKNOWN",
            "moved_to_id": issue.moved_to_id,
            "imported": False,
            "imported_from": "none",
            "service_desk_reply_to": None,
        }

    def _label_json(self, label: _Label) -> dict:
        return {
            "id": label.id,
            "name": label.name,
            "color": label.color,
            "description": None,
            "description_html": "",
            "text_color": "#FFFFFF",
        }

    def _note_json(self, note: _Note) -> dict:
        return {
            "id": note.id,
            "type": None,
            "body": note.body,
            "author": self._user_json(self._users[note.author.lower()]),
            "created_at": note.created_at,
            "updated_at": note.updated_at,
            "system": note.system,
            "noteable_id": note.issue_id,
            "noteable_type": "Issue",
            "project_id": note.project_id,
            "resolvable": False,
            "confidential": False,
            "internal": False,
            "imported": False,
            "imported_from": "none",
            "noteable_iid": note.iid,
            "commands_changes": {},
        }

    def _hook_json(self, project: _Project, hook: dict) -> dict:
        return {key: value for key, value in hook.items() if key != "token"} | {"project_id": project.id}
