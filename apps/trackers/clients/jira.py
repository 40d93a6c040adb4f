"""Jira Cloud (REST v3, Atlassian Document Format) and Jira Server / Data Center (REST v2, wiki markup)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from functools import cached_property
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx2

from apps.trackers.clients import base
from apps.trackers.clients.adf import adf_to_markdown, markdown_to_adf
from apps.trackers.clients.http import HttpTrackerClient, parse_time
from apps.trackers.clients.wiki import markdown_to_wiki, wiki_to_markdown

PAGE_SIZE = 100
FIELDS = ["summary", "description", "status", "issuetype", "priority", "labels", "assignee", "reporter", "created",
          "updated", "resolutiondate", "comment", "project"]  # fmt: skip
CLOUD_HOSTS = (".atlassian.net", ".jira.com")


def is_cloud_url(url: str) -> bool:
    return (urlsplit(url).hostname or "").endswith(CLOUD_HOSTS)


class JiraClient(HttpTrackerClient):
    tracker_label = "Jira"

    def __init__(self, *, cloud: bool | None = None, **options):
        super().__init__(**options)
        if cloud is not None:
            self.__dict__["cloud"] = cloud

    @cached_property
    def cloud(self) -> bool:
        """Cloud speaks REST v3 with ADF; Server / Data Center v2 with wiki markup. Jira says which it is."""
        if is_cloud_url(self.base_url):
            return True
        info = self.get_json("/rest/api/2/serverInfo", context="the site")
        return info.get("deploymentType", "").lower() == "cloud"

    @property
    def api(self) -> str:
        return "/rest/api/3" if self.cloud else "/rest/api/2"

    def auth_options(self) -> dict:
        if self.username:  # Cloud: account email + API token; Server: user name + password
            return {"auth": (self.username, self.token)}
        return {"headers": {"Authorization": f"Bearer {self.token}"}}  # Server / Data Center personal access token

    def error_message(self, response: httpx2.Response) -> str:
        try:
            body = response.json()
        except ValueError:
            return response.text[:200].strip()
        messages = list(body.get("errorMessages") or []) if isinstance(body, dict) else []
        if isinstance(body, dict):
            messages += [f"{field}: {text}" for field, text in (body.get("errors") or {}).items()]
        return "; ".join(messages) or super().error_message(response)

    # --- formats ------------------------------------------------------------------------
    def _text_in(self, value) -> str:
        if value is None:
            return ""
        return adf_to_markdown(value) if self.cloud else wiki_to_markdown(value)

    def _text_out(self, markdown: str):
        return markdown_to_adf(markdown) if self.cloud else markdown_to_wiki(markdown)

    def _person(self, person: dict | None) -> str:
        if not person:
            return ""
        return person.get("emailAddress") or person.get("name") or person.get("displayName") or ""

    @cached_property
    def myself(self) -> dict:
        return self.get_json(f"{self.api}/myself", context="the account")

    @cached_property
    def time_zone(self) -> ZoneInfo:
        """JQL dates are read in the account's own time zone."""
        try:
            return ZoneInfo(self.myself.get("timeZone") or "UTC")
        except ZoneInfoNotFoundError:
            return ZoneInfo("UTC")

    @property
    def site(self) -> str:
        return urlsplit(self.base_url).netloc

    # --- reading ------------------------------------------------------------------------
    def test_connection(self, *, organization: str = "", project: str = "") -> base.ConnectionReport:
        account = self._person(self.myself) or self.myself.get("displayName", "")
        kind = "Jira Cloud" if self.cloud else "Jira Server"
        if not project:
            return base.ConnectionReport(True, f"Connected to {kind} at {self.site} as {account}.", account=account)
        data = self.get_json(f"{self.api}/project/{project}", context=f"project {project}")
        total = self._search_total(project)
        return base.ConnectionReport(
            True, f"Connected to {kind} as {account}; project {data['key']} is reachable.", account=account,
            project_name=data.get("name", project), issue_count=total,
        )  # fmt: skip

    def _search_total(self, project: str) -> int | None:
        if self.cloud:  # the enhanced search has a cheap approximate count
            body = {"jql": f'project = "{project}"'}
            try:
                return self.request("POST", f"{self.api}/search/approximate-count", json=body,
                                    context=f"project {project}").json().get("count")  # fmt: skip
            except base.TrackerError:
                return None
        params = {"jql": f'project = "{project}"', "maxResults": 0}
        return self.get_json(f"{self.api}/search", params=params, context=f"project {project}").get("total")

    def list_organizations(self) -> Iterator[base.RemoteOrganization]:
        info = self.get_json(f"{self.api}/serverInfo", context="the site")
        yield base.RemoteOrganization(self.site, info.get("serverTitle") or self.site, info.get("baseUrl", ""))

    def list_projects(self, organization: str) -> Iterator[base.RemoteProject]:
        if self.cloud:
            start = 0
            while True:
                page = self.get_json(f"{self.api}/project/search", context="projects",
                                     params={"startAt": start, "maxResults": 50})  # fmt: skip
                yield from (self._project(organization, data) for data in page.get("values", []))
                if page.get("isLast", True) or not page.get("values"):
                    return
                start += len(page["values"])
        else:
            for data in self.get_json(f"{self.api}/project", context="projects"):
                yield self._project(organization, data)

    def _project(self, organization: str, data: dict) -> base.RemoteProject:
        return base.RemoteProject(
            organization_identifier=organization, identifier=data["key"], name=data.get("name", data["key"]),
            description=data.get("description") or "", external_id=str(data.get("id", "")),
            url=f"{self.base_url}/browse/{data['key']}",
        )  # fmt: skip

    def _issue(self, data: dict) -> base.RemoteIssue:
        fields = data.get("fields") or {}
        status = fields.get("status") or {}
        done = (status.get("statusCategory") or {}).get("key") == "done"
        comment_block = fields.get("comment")
        comments = None
        if isinstance(comment_block, dict) and comment_block.get("total", 0) <= len(comment_block.get("comments", [])):
            comments = [self._comment(data["key"], item) for item in comment_block.get("comments", [])]
        return base.RemoteIssue(
            external_id=str(data["id"]), key=data["key"], title=fields.get("summary") or "",
            description=self._text_in(fields.get("description")), state="closed" if done else "open",
            status=status.get("name", ""), issue_type=(fields.get("issuetype") or {}).get("name", ""),
            labels=list(fields.get("labels") or []), priority=(fields.get("priority") or {}).get("name", ""),
            assignee=self._person(fields.get("assignee")), author=self._person(fields.get("reporter")),
            url=f"{self.base_url}/browse/{data['key']}", api_url=data.get("self", ""),
            created_at=parse_time(fields.get("created")), updated_at=parse_time(fields.get("updated")),
            closed_at=parse_time(fields.get("resolutiondate")),
            comment_count=(comment_block or {}).get("total") if isinstance(comment_block, dict) else None,
            raw=data, comments=comments,
        )  # fmt: skip

    def _comment(self, issue_key: str, data: dict) -> base.RemoteComment:
        return base.RemoteComment(
            external_id=str(data["id"]), body=self._text_in(data.get("body")), author=self._person(data.get("author")),
            url=f"{self.base_url}/browse/{issue_key}?focusedCommentId={data['id']}",
            created_at=parse_time(data.get("created")), updated_at=parse_time(data.get("updated")), raw=data,
        )  # fmt: skip

    def _jql(self, project: str, since: datetime | None) -> str:
        clauses = [f'project = "{project}"']
        if since:  # minute precision in the account's zone; rereading a minute's overlap is harmless
            clauses.append(f'updated >= "{since.astimezone(self.time_zone):%Y-%m-%d %H:%M}"')
        return " AND ".join(clauses) + " ORDER BY updated ASC"

    def iter_issues(self, organization, project, *, since=None) -> Iterator[base.RemoteIssue]:
        jql, context = self._jql(project, since), f"project {project}"
        if self.cloud:  # the enhanced search: token pagination (the old /search is gone on Cloud)
            body: dict = {"jql": jql, "fields": FIELDS, "maxResults": PAGE_SIZE}
            while True:
                page = self.request("POST", f"{self.api}/search/jql", json=body, context=context).json()
                yield from (self._issue(data) for data in page.get("issues", []))
                if page.get("isLast", True) or not page.get("nextPageToken"):
                    return
                body["nextPageToken"] = page["nextPageToken"]
        start = 0
        while True:
            params = {"jql": jql, "fields": ",".join(FIELDS), "startAt": start, "maxResults": PAGE_SIZE}
            page = self.get_json(f"{self.api}/search", params=params, context=context)
            issues = page.get("issues", [])
            yield from (self._issue(data) for data in issues)
            start += len(issues)
            if not issues or start >= page.get("total", 0):
                return

    def iter_comments(self, organization, project, issue, *, since=None) -> Iterator[base.RemoteComment]:
        start = 0
        while True:
            page = self.get_json(f"{self.api}/issue/{issue.key}/comment", context=issue.key,
                                 params={"startAt": start, "maxResults": PAGE_SIZE})  # fmt: skip
            comments = page.get("comments", [])
            for data in comments:
                comment = self._comment(issue.key, data)
                if since is None or (comment.updated_at and comment.updated_at >= since):
                    yield comment
            start += len(comments)
            if not comments or start >= page.get("total", 0):
                return

    def get_issue(self, organization, project, key) -> base.RemoteIssue:
        data = self.get_json(f"{self.api}/issue/{key}", params={"fields": ",".join(FIELDS)}, context=key)
        issue = self._issue(data)
        if data["key"] != key:  # Jira answers an old key with the moved issue under its new key
            issue.moved_to = data["key"]
        if issue.comments is None:
            issue.comments = list(self.iter_comments(organization, project, issue))
        return issue

    # --- writing ------------------------------------------------------------------------
    def _account(self, who: str) -> dict:
        if self.cloud:
            users = self.get_json(f"{self.api}/user/search", params={"query": who}, context=f"user {who}")
            if not users:
                raise base.TrackerValidationError(f"Jira has no user matching {who!r}.")
            return {"accountId": users[0]["accountId"]}
        return {"name": who}

    def _fields(self, draft: base.IssueDraft) -> dict:
        fields: dict = {}
        if draft.title is not None:
            fields["summary"] = draft.title
        if draft.description is not None:
            fields["description"] = self._text_out(draft.description)
        if draft.labels is not None:
            fields["labels"] = [label.replace(" ", "-") for label in draft.labels]  # Jira labels have no spaces
        if draft.priority:
            fields["priority"] = {"name": draft.priority}
        if draft.assignee is not None:
            fields["assignee"] = self._account(draft.assignee) if draft.assignee else None
        return fields

    def create_issue(self, organization, project, draft) -> base.RemoteIssue:
        fields = {"project": {"key": project}, "issuetype": {"name": draft.issue_type or "Task"}, **self._fields(draft)}
        created = self.request(
            "POST", f"{self.api}/issue", json={"fields": fields}, context=f"project {project}"
        ).json()
        if draft.status:
            self._transition(created["key"], draft.status)
        return self.get_issue(organization, project, created["key"])

    def update_issue(self, organization, project, key, changes) -> base.RemoteIssue:
        fields = self._fields(changes)
        if fields:
            self.request("PUT", f"{self.api}/issue/{key}", json={"fields": fields}, context=key)
        if changes.status:
            self._transition(key, changes.status)
        return self.get_issue(organization, project, key)

    def _transition(self, key: str, status: str) -> None:
        """Jira changes status only through the workflow's transitions; find one that leads to `status`."""
        wanted = status.strip().lower()
        categories = {"closed": "done", "done": "done", "open": "new", "reopen": "new"}
        options = self.get_json(f"{self.api}/issue/{key}/transitions", context=key).get("transitions", [])
        for option in options:
            target = option.get("to") or {}
            category = (target.get("statusCategory") or {}).get("key")
            if (
                wanted in {option.get("name", "").lower(), target.get("name", "").lower()}
                or categories.get(wanted) == category
            ):
                self.request("POST", f"{self.api}/issue/{key}/transitions", context=key,
                             json={"transition": {"id": option["id"]}})  # fmt: skip
                return
        available = ", ".join(sorted({(o.get("to") or {}).get("name", o.get("name", "")) for o in options}))
        raise base.TrackerValidationError(
            f"Jira issue {key} cannot move to {status!r} from its current status; possible: {available or 'none'}."
        )

    def add_comment(self, organization, project, key, body) -> base.RemoteComment:
        data = self.request("POST", f"{self.api}/issue/{key}/comment", json={"body": self._text_out(body)},
                            context=key).json()  # fmt: skip
        return self._comment(key, data)

    def delete_issue(self, organization, project, key) -> None:
        # Subtasks are never deleted along with their parent: each is an issue of its own here too.
        try:
            self.request("DELETE", f"{self.api}/issue/{key}", params={"deleteSubtasks": "false"}, context=key)
        except base.TrackerValidationError as refused:
            if "subtask" not in str(refused).lower() and "sub-task" not in str(refused).lower():
                raise
            raise base.TrackerValidationError(
                f"Jira issue {key} has subtasks; delete them first (Preloop does not delete subtasks with their "
                "parent).", status_code=400,
            ) from refused  # fmt: skip
        except base.TrackerPermissionError as refused:
            raise base.TrackerPermissionError(
                f"Jira refused to delete {key}: the account needs the Delete Issues permission in project {project}.",
                status_code=403,
            ) from refused
