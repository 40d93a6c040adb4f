"""GitHub (REST v3) on github.com and GitHub Enterprise Server (`https://HOST/api/v3`)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx2

from apps.trackers.clients import base
from apps.trackers.clients.http import HttpTrackerClient, parse_time

PAGE_SIZE = 100
# GitHub's REST API has no way to delete an issue; its GraphQL API does, by the issue's node id.
DELETE_ISSUE = "mutation($issueId: ID!) { deleteIssue(input: {issueId: $issueId}) { repository { nameWithOwner } } }"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class GitHubClient(HttpTrackerClient):
    tracker_label = "GitHub"

    def auth_options(self) -> dict:
        return {"headers": {"Authorization": f"Bearer {self.token}", "Accept": "application/vnd.github+json",
                            "X-GitHub-Api-Version": "2022-11-28"}}  # fmt: skip

    def rate_limit_wait(self, response: httpx2.Response) -> float | None:
        """Primary limit: wait for X-RateLimit-Reset; secondary limit: the Retry-After (or a minute)."""
        if response.status_code not in (403, 429):
            return None
        if response.headers.get("Retry-After"):
            return float(response.headers["Retry-After"])
        if response.headers.get("X-RateLimit-Remaining") == "0":
            reset = float(response.headers.get("X-RateLimit-Reset") or 0)
            return max(0.0, reset - time.time()) + 0.5
        if "secondary rate limit" in response.text.lower():
            return 60.0
        return None

    def is_rate_limited(self, response: httpx2.Response) -> bool:
        return response.status_code in (403, 429) and (
            response.headers.get("X-RateLimit-Remaining") == "0" or "rate limit" in response.text.lower()
        )

    def describe_error(self, response: httpx2.Response, context: str) -> str | None:
        scopes = response.headers.get("X-OAuth-Scopes")
        if self.is_rate_limited(response):
            reset = response.headers.get("X-RateLimit-Reset")
            when = f" (resets at {datetime.fromtimestamp(int(reset), UTC):%H:%M} UTC)" if reset else ""
            return f"GitHub rate limit reached for {context or 'this token'}{when}; sync resumes later."
        if response.status_code == 404 and scopes is not None and "repo" not in scopes.split(", "):
            return (f"GitHub cannot find {context}, or the token lacks the `repo` scope it needs for private "
                    f"repositories (token scopes: {scopes or 'none'}).")  # fmt: skip
        if response.status_code == 403 and scopes is not None:
            accepted = response.headers.get("X-Accepted-OAuth-Scopes", "")
            needed = f"`{accepted}`" if accepted else "a scope it lacks"
            return f"GitHub token lacks {needed} for {context} (token scopes: {scopes or 'none'})."
        return None

    # --- reading ------------------------------------------------------------------------
    def _pages(self, url: str, *, context: str, params: dict | None = None, conditional: bool = False):
        response = self.get(url, context=context, params=params, conditional=conditional)
        while True:
            yield response.json()
            next_url = self.next_link(response)
            if not next_url:
                return
            # Only the first page is worth a conditional request: an unchanged incremental listing is
            # usually that one page, and caching every page of a large listing would fill Redis.
            response = self.get(next_url, context=context)

    def test_connection(self, *, organization: str = "", project: str = "") -> base.ConnectionReport:
        user_response = self.request("GET", "/user", context="the token")
        login = user_response.json()["login"]
        scopes = tuple(s for s in (user_response.headers.get("X-OAuth-Scopes") or "").split(", ") if s)
        if not (organization and project):
            return base.ConnectionReport(True, f"Connected to GitHub as {login}.", account=login, scopes=scopes)
        repo = self.get_json(f"/repos/{organization}/{project}", context=f"{organization}/{project}")
        if not repo.get("has_issues", True):
            return base.ConnectionReport(False, f"Issues are disabled on {repo['full_name']}.", account=login,
                                         scopes=scopes, project_name=repo["full_name"])  # fmt: skip
        return base.ConnectionReport(
            True, f"Connected to GitHub as {login}; {repo['full_name']} is reachable.", account=login,
            scopes=scopes, project_name=repo["full_name"], issue_count=repo.get("open_issues_count"),
        )  # fmt: skip

    def list_organizations(self) -> Iterator[base.RemoteOrganization]:
        user = self.get_json("/user", context="the token")
        yield base.RemoteOrganization(user["login"], user.get("name") or user["login"], "Personal repositories")
        for page in self._pages("/user/orgs", context="organizations", params={"per_page": PAGE_SIZE}):
            for org in page:
                yield base.RemoteOrganization(org["login"], org["login"], org.get("description") or "")

    def list_projects(self, organization: str) -> Iterator[base.RemoteProject]:
        user = self.get_json("/user", context="the token")
        if organization.lower() == user["login"].lower():
            url, params = "/user/repos", {"affiliation": "owner", "per_page": PAGE_SIZE}
        else:
            url, params = f"/orgs/{organization}/repos", {"per_page": PAGE_SIZE}
        for page in self._pages(url, context=organization, params=params):
            for repo in page:
                owner = (repo.get("owner") or {}).get("login", organization)
                if owner.lower() != organization.lower():  # /user/repos may include others' repositories
                    continue
                if repo.get("has_issues", True) and not repo.get("archived", False):
                    yield base.RemoteProject(
                        organization_identifier=organization, identifier=repo["name"], name=repo["full_name"],
                        description=repo.get("description") or "", external_id=str(repo["id"]),
                        url=repo.get("html_url", ""), open_issue_count=repo.get("open_issues_count"),
                    )  # fmt: skip

    @staticmethod
    def issue_from_payload(data: dict) -> base.RemoteIssue:
        """The neutral record for a GitHub issue object (from the API or a webhook)."""
        assignees = data.get("assignees") or ([data["assignee"]] if data.get("assignee") else [])
        return base.RemoteIssue(
            external_id=str(data["id"]), key=f"#{data['number']}", number=data["number"], title=data["title"],
            description=data.get("body") or "", state="closed" if data["state"] == "closed" else "open",
            status=data.get("state_reason") or data["state"], labels=[label["name"] for label in data.get("labels", [])],
            assignee=assignees[0]["login"] if assignees else "", author=(data.get("user") or {}).get("login", ""),
            url=data.get("html_url", ""), api_url=data.get("url", ""),
            created_at=parse_time(data.get("created_at")), updated_at=parse_time(data.get("updated_at")),
            closed_at=parse_time(data.get("closed_at")), comment_count=data.get("comments"), raw=data,
        )  # fmt: skip

    @staticmethod
    def comment_from_payload(data: dict) -> base.RemoteComment:
        """The neutral record for a GitHub comment object (from the API or a webhook)."""
        return base.RemoteComment(
            external_id=str(data["id"]), body=data.get("body") or "", author=(data.get("user") or {}).get("login", ""),
            url=data.get("html_url", ""), created_at=parse_time(data.get("created_at")),
            updated_at=parse_time(data.get("updated_at")), raw=data,
        )  # fmt: skip

    def iter_issues(self, organization, project, *, since=None) -> Iterator[base.RemoteIssue]:
        params = {"state": "all", "sort": "updated", "direction": "asc", "per_page": PAGE_SIZE}
        if since:
            params["since"] = _iso(since)
        context = f"{organization}/{project}"
        for page in self._pages(f"/repos/{organization}/{project}/issues", context=context, params=params,
                                conditional=True):  # fmt: skip
            for data in page:
                if "pull_request" not in data:  # the issues endpoint lists pull requests too
                    yield self.issue_from_payload(data)

    def iter_comments(self, organization, project, issue, *, since=None) -> Iterator[base.RemoteComment]:
        params = {"per_page": PAGE_SIZE, **({"since": _iso(since)} if since else {})}
        url = f"/repos/{organization}/{project}/issues/{issue.number}/comments"
        for page in self._pages(url, context=f"{organization}/{project}{issue.key}", params=params):
            yield from (self.comment_from_payload(data) for data in page)

    def iter_project_comments(self, organization, project, *, since=None):
        params = {"sort": "updated", "direction": "asc", "per_page": PAGE_SIZE}
        if since:
            params["since"] = _iso(since)
        url = f"/repos/{organization}/{project}/issues/comments"
        for page in self._pages(url, context=f"{organization}/{project}", params=params, conditional=True):
            for data in page:
                yield f"#{data['issue_url'].rsplit('/', 1)[1]}", self.comment_from_payload(data)

    def get_issue(self, organization, project, key) -> base.RemoteIssue:
        number = key.lstrip("#")
        context = f"{organization}/{project}#{number}"
        response = self.request("GET", f"/repos/{organization}/{project}/issues/{number}", context=context)
        if response.status_code == 301:  # transferred to another repository
            moved = self.request("GET", response.headers["Location"], context=context).json()
            issue = self.issue_from_payload(moved)
            issue.moved_to = moved.get("html_url", "")
            return issue
        issue = self.issue_from_payload(response.json())
        issue.comments = list(self.iter_comments(organization, project, issue)) if issue.comment_count else []
        return issue

    # --- writing ------------------------------------------------------------------------
    def _payload(self, draft: base.IssueDraft) -> dict:
        payload: dict = {}
        if draft.title is not None:
            payload["title"] = draft.title
        if draft.description is not None:
            payload["body"] = draft.description
        labels = list(draft.labels) if draft.labels is not None else None
        if draft.priority:  # GitHub has no priority field: a `priority: X` label is the convention
            labels = [label for label in (labels or []) if not label.lower().startswith("priority:")]
            labels.append(f"priority: {draft.priority}")
        if labels is not None:
            payload["labels"] = labels
        if draft.assignee is not None:
            payload["assignees"] = [draft.assignee] if draft.assignee else []
        if draft.status is not None:
            state = draft.status.lower()
            if state not in ("open", "closed"):
                raise base.TrackerValidationError(f"GitHub issues are open or closed, not {draft.status!r}.")
            payload["state"] = state
        return payload

    def create_issue(self, organization, project, draft) -> base.RemoteIssue:
        context = f"{organization}/{project}"
        data = self.request("POST", f"/repos/{organization}/{project}/issues", context=context,
                            json=self._payload(draft)).json()  # fmt: skip
        return self.issue_from_payload(data)

    def update_issue(self, organization, project, key, changes) -> base.RemoteIssue:
        number = key.lstrip("#")
        data = self.request("PATCH", f"/repos/{organization}/{project}/issues/{number}",
                            context=f"{organization}/{project}#{number}", json=self._payload(changes)).json()  # fmt: skip
        return self.issue_from_payload(data)

    def add_comment(self, organization, project, key, body) -> base.RemoteComment:
        number = key.lstrip("#")
        data = self.request("POST", f"/repos/{organization}/{project}/issues/{number}/comments",
                            context=f"{organization}/{project}#{number}", json={"body": body}).json()  # fmt: skip
        return self.comment_from_payload(data)

    @property
    def graphql_url(self) -> str:
        """api.github.com/graphql; GitHub Enterprise Server serves REST at /api/v3 and GraphQL at /api/graphql."""
        if self.base_url.endswith("/api/v3"):
            return self.base_url.removesuffix("/v3") + "/graphql"
        return self.base_url + "/graphql"

    def delete_issue(self, organization, project, key) -> None:
        number = key.lstrip("#")
        context = f"{organization}/{project}#{number}"
        response = self.request("GET", f"/repos/{organization}/{project}/issues/{number}", context=context)
        if response.status_code == 301:  # transferred: deleting it would delete it somewhere else
            raise base.TrackerGone(f"GitHub says {context} moved to another repository; it was not deleted.",
                                   status_code=301)  # fmt: skip
        body = {"query": DELETE_ISSUE, "variables": {"issueId": response.json()["node_id"]}}
        answer = self.request("POST", self.graphql_url, context=context, json=body).json()
        if answer.get("errors"):
            raise self._graphql_error(answer["errors"][0], context)

    @staticmethod
    def _graphql_error(error: dict, context: str) -> base.TrackerError:
        """GraphQL answers 200 with `errors`; their `type` says what went wrong."""
        kind, said = error.get("type", ""), error.get("message", "")
        if kind == "FORBIDDEN":
            return base.TrackerPermissionError(
                f"GitHub refused to delete {context}: the token's user must be an admin of the repository to delete "
                f"issues (or the organization must allow members to delete them). GitHub said: {said}", status_code=403
            )  # fmt: skip
        if kind == "INSUFFICIENT_SCOPES":
            return base.TrackerPermissionError(f"GitHub token lacks the `repo` scope to delete {context}: {said}",
                                               status_code=403)  # fmt: skip
        if kind == "NOT_FOUND":
            return base.TrackerNotFound(f"GitHub has no issue {context} to delete, or the token may not see it.",
                                        status_code=404)  # fmt: skip
        if kind == "RATE_LIMITED":
            return base.TrackerRateLimited(
                f"GitHub rate limit reached for {context}; try again later.", status_code=429
            )
        return base.TrackerError(f"GitHub could not delete {context}: {said or error}")

    def register_webhook(self, organization, project, *, url: str, secret: str) -> dict:
        """Create the repository webhook Preloop needs (issues and comments)."""
        payload = {"name": "web", "active": True, "events": ["issues", "issue_comment"],
                   "config": {"url": url, "content_type": "json", "secret": secret, "insecure_ssl": "0"}}  # fmt: skip
        return self.request("POST", f"/repos/{organization}/{project}/hooks", context=f"{organization}/{project}",
                            json=payload).json()  # fmt: skip
