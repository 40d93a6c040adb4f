"""GitLab (REST v4) on gitlab.com and self-managed instances."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import suppress
from datetime import UTC
from urllib.parse import quote

import httpx2

from apps.trackers.clients import base
from apps.trackers.clients.http import HttpTrackerClient, parse_time

PAGE_SIZE = 100
API = "/api/v4"


def encoded(path: str) -> str:
    """GitLab addresses groups and projects by URL-encoded full path: `acme/sub/api` → `acme%2Fsub%2Fapi`."""
    return quote(path, safe="")


class GitLabClient(HttpTrackerClient):
    tracker_label = "GitLab"

    def auth_options(self) -> dict:
        return {"headers": {"PRIVATE-TOKEN": self.token}}

    def describe_error(self, response: httpx2.Response, context: str) -> str | None:
        if "insufficient_scope" in response.text:
            try:
                scope = response.json().get("scope") or "api"
            except ValueError:
                scope = "api"
            return f"GitLab token lacks the `{scope}` scope for {context or 'this request'}."
        return None

    def _pages(self, url: str, *, context: str, params: dict | None = None):
        response = self.get(url, context=context, params=params)
        while True:
            yield response.json()
            next_url = self.next_link(response)
            if not next_url and response.headers.get("X-Next-Page"):
                next_url = str(response.url.copy_merge_params({"page": response.headers["X-Next-Page"]}))
            if not next_url:
                return
            response = self.get(next_url, context=context)

    @staticmethod
    def _project_path(organization: str, project: str) -> str:
        return f"{organization}/{project}"

    def _project_url(self, organization: str, project: str) -> str:
        return f"{API}/projects/{encoded(self._project_path(organization, project))}"

    def test_connection(self, *, organization: str = "", project: str = "") -> base.ConnectionReport:
        user = self.get_json(f"{API}/user", context="the token")
        scopes: tuple[str, ...] = ()
        with suppress(base.TrackerError):  # older GitLab, or a token type without this endpoint: scopes unknown
            scopes = tuple(self.get_json(f"{API}/personal_access_tokens/self", context="the token").get("scopes", []))
        account = user["username"]
        if not (organization and project):
            return base.ConnectionReport(True, f"Connected to GitLab as {account}.", account=account, scopes=scopes)
        path = self._project_path(organization, project)
        data = self.get_json(self._project_url(organization, project), context=path)
        if not data.get("issues_enabled", True):
            return base.ConnectionReport(False, f"Issues are disabled on {path}.", account=account, scopes=scopes,
                                         project_name=data.get("name_with_namespace", path))  # fmt: skip
        return base.ConnectionReport(
            True, f"Connected to GitLab as {account}; {path} is reachable.", account=account, scopes=scopes,
            project_name=data.get("name_with_namespace", path), issue_count=data.get("open_issues_count"),
        )  # fmt: skip

    def list_organizations(self) -> Iterator[base.RemoteOrganization]:
        user = self.get_json(f"{API}/user", context="the token")
        yield base.RemoteOrganization(user["username"], user.get("name") or user["username"], "Personal projects")
        params = {"min_access_level": 10, "per_page": PAGE_SIZE}
        for page in self._pages(f"{API}/groups", context="groups", params=params):
            for group in page:
                yield base.RemoteOrganization(group["full_path"], group.get("full_name") or group["name"],
                                              group.get("description") or "")  # fmt: skip

    def list_projects(self, organization: str) -> Iterator[base.RemoteProject]:
        user = self.get_json(f"{API}/user", context="the token")
        if organization.lower() == user["username"].lower():
            url, params = f"{API}/projects", {"owned": "true", "membership": "true", "per_page": PAGE_SIZE}
        else:
            url = f"{API}/groups/{encoded(organization)}/projects"
            params = {"include_subgroups": "true", "per_page": PAGE_SIZE}
        prefix = organization.rstrip("/") + "/"
        for page in self._pages(url, context=organization, params=params):
            for project in page:
                full_path = project["path_with_namespace"]
                if not full_path.startswith(prefix) or not project.get("issues_enabled", True):
                    continue
                yield base.RemoteProject(
                    organization_identifier=organization, identifier=full_path[len(prefix):],
                    name=project.get("name_with_namespace", full_path), description=project.get("description") or "",
                    external_id=str(project["id"]), url=project.get("web_url", ""),
                    open_issue_count=project.get("open_issues_count"),
                )  # fmt: skip

    def _issue(self, data: dict) -> base.RemoteIssue:
        assignees = data.get("assignees") or ([data["assignee"]] if data.get("assignee") else [])
        labels = data.get("labels") or []
        priority = next((label.split("::", 1)[1] for label in labels if label.lower().startswith("priority::")), "")
        moved_to = ""
        if data.get("moved_to_id"):
            moved_to = str(data["moved_to_id"])
        return base.RemoteIssue(
            external_id=str(data["id"]), key=f"#{data['iid']}", number=data["iid"], title=data["title"],
            description=data.get("description") or "", state="closed" if data["state"] == "closed" else "open",
            status=data["state"], issue_type=data.get("issue_type") or data.get("type") or "", labels=labels,
            priority=priority, assignee=assignees[0]["username"] if assignees else "",
            author=(data.get("author") or {}).get("username", ""), url=data.get("web_url", ""),
            api_url=(data.get("_links") or {}).get("self", ""), created_at=parse_time(data.get("created_at")),
            updated_at=parse_time(data.get("updated_at")), closed_at=parse_time(data.get("closed_at")),
            comment_count=data.get("user_notes_count"), moved_to=moved_to, raw=data,
        )  # fmt: skip

    @staticmethod
    def _comment(data: dict) -> base.RemoteComment:
        return base.RemoteComment(
            external_id=str(data["id"]), body=data.get("body") or "", author=(data.get("author") or {}).get("username", ""),
            created_at=parse_time(data.get("created_at")), updated_at=parse_time(data.get("updated_at")), raw=data,
        )  # fmt: skip

    def iter_issues(self, organization, project, *, since=None) -> Iterator[base.RemoteIssue]:
        params = {"scope": "all", "state": "all", "order_by": "updated_at", "sort": "asc", "per_page": PAGE_SIZE}
        if since:
            params["updated_after"] = since.astimezone(UTC).isoformat().replace("+00:00", "Z")
        path = self._project_path(organization, project)
        for page in self._pages(f"{self._project_url(organization, project)}/issues", context=path, params=params):
            yield from (self._issue(data) for data in page)

    def iter_comments(self, organization, project, issue, *, since=None) -> Iterator[base.RemoteComment]:
        url = f"{self._project_url(organization, project)}/issues/{issue.number}/notes"
        params = {"sort": "asc", "order_by": "created_at", "per_page": PAGE_SIZE}
        context = f"{self._project_path(organization, project)}{issue.key}"
        for page in self._pages(url, context=context, params=params):
            for note in page:
                if note.get("system"):  # "changed the label", "closed": history, not comments
                    continue
                comment = self._comment(note)
                if since is None or (comment.updated_at and comment.updated_at >= since):
                    yield comment

    def get_issue(self, organization, project, key) -> base.RemoteIssue:
        iid = key.lstrip("#")
        context = f"{self._project_path(organization, project)}#{iid}"
        issue = self._issue(self.get_json(f"{self._project_url(organization, project)}/issues/{iid}", context=context))
        issue.comments = list(self.iter_comments(organization, project, issue)) if issue.comment_count != 0 else []
        return issue

    def _user_id(self, username: str) -> int:
        users = self.get_json(f"{API}/users", context=f"user {username}", params={"username": username})
        if not users:
            raise base.TrackerValidationError(f"GitLab has no user {username!r}.")
        return users[0]["id"]

    def _payload(self, draft: base.IssueDraft, *, current_labels: list[str] | None = None) -> dict:
        payload: dict = {}
        if draft.title is not None:
            payload["title"] = draft.title
        if draft.description is not None:
            payload["description"] = draft.description
        labels = list(draft.labels) if draft.labels is not None else None
        if draft.priority:  # scoped labels are GitLab's way to express priority
            labels = [label for label in (labels if labels is not None else current_labels or [])
                      if not label.lower().startswith("priority::")]  # fmt: skip
            labels.append(f"priority::{draft.priority}")
        if labels is not None:
            payload["labels"] = ",".join(labels)
        if draft.assignee is not None:
            payload["assignee_ids"] = [self._user_id(draft.assignee)] if draft.assignee else []
        if draft.status is not None:
            state = draft.status.lower()
            if state not in ("open", "opened", "closed", "close", "reopen"):
                raise base.TrackerValidationError(f"GitLab issues are open or closed, not {draft.status!r}.")
            payload["state_event"] = "close" if state.startswith("close") else "reopen"
        return payload

    def create_issue(self, organization, project, draft) -> base.RemoteIssue:
        payload = self._payload(draft)
        payload.pop("state_event", None)
        url = f"{self._project_url(organization, project)}/issues"
        data = self.request("POST", url, context=self._project_path(organization, project), json=payload).json()
        return self._issue(data)

    def update_issue(self, organization, project, key, changes) -> base.RemoteIssue:
        iid = key.lstrip("#")
        url = f"{self._project_url(organization, project)}/issues/{iid}"
        context = f"{self._project_path(organization, project)}#{iid}"
        current = self.get_json(url, context=context)["labels"] if changes.priority and changes.labels is None else None
        data = self.request("PUT", url, context=context, json=self._payload(changes, current_labels=current)).json()
        return self._issue(data)

    def add_comment(self, organization, project, key, body) -> base.RemoteComment:
        iid = key.lstrip("#")
        url = f"{self._project_url(organization, project)}/issues/{iid}/notes"
        context = f"{self._project_path(organization, project)}#{iid}"
        return self._comment(self.request("POST", url, context=context, json={"body": body}).json())

    def delete_issue(self, organization, project, key) -> None:
        iid = key.lstrip("#")
        context = f"{self._project_path(organization, project)}#{iid}"
        try:
            self.request("DELETE", f"{self._project_url(organization, project)}/issues/{iid}", context=context)
        except base.TrackerPermissionError as refused:
            if "scope" in str(refused):  # the token's scope, not the user's role (see describe_error)
                raise
            raise base.TrackerPermissionError(
                f"GitLab refused to delete {context}: only project owners and administrators can delete issues.",
                status_code=403,
            ) from refused

    def register_webhook(self, organization, project, *, url: str, secret: str) -> dict:
        """Create the project hook Preloop needs (issue and note events)."""
        payload = {"url": url, "token": secret, "issues_events": True, "note_events": True,
                   "push_events": False, "enable_ssl_verification": url.startswith("https://")}  # fmt: skip
        return self.request("POST", f"{self._project_url(organization, project)}/hooks",
                            context=self._project_path(organization, project), json=payload).json()  # fmt: skip
