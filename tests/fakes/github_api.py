"""The GitHub fake's REST routes: rate limit, users, orgs, repos, issues, comments, hooks."""

from __future__ import annotations

import math
import time
from bisect import bisect_left
from collections.abc import Sequence
from urllib.parse import unquote

from .github_http import _json_object, _not_found, _validation_failed
from .github_store import _Issue, _KeyView, _Repo
from .server import Request, Response

HOOK_READ_SCOPES = frozenset({"repo", "admin:repo_hook", "write:repo_hook", "read:repo_hook"})
HOOK_WRITE_SCOPES = frozenset({"repo", "admin:repo_hook", "write:repo_hook"})
STATE_REASONS = frozenset({"completed", "not_planned", "reopened", "duplicate"})


class GitHubApiMixin:
    """Mixed into FakeGitHub. Handlers take a Request and return a Response; `_endpoint` wraps each."""

    def _register_routes(self) -> None:
        repo = r"(?:/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)|/repositories/(?P<repo_id>\d+))"
        routes = [
            ("GET", "/rate_limit", self._get_rate_limit),
            ("GET", "/user", self._get_authenticated_user),
            ("GET", "/user/orgs", self._list_my_orgs),
            ("GET", "/user/repos", self._list_my_repos),
            ("GET", r"/orgs/(?P<org>[^/]+)", self._get_org),
            ("GET", r"(?:/orgs/(?P<org>[^/]+)|/organizations/(?P<org_id>\d+))/repos", self._list_org_repos),
            ("GET", r"/users/(?P<login>[^/]+)", self._get_user),
            ("GET", r"(?:/users/(?P<login>[^/]+)|/user/(?P<user_id>\d+))/repos", self._list_user_repos),
            ("GET", repo, self._get_repo),
            ("GET", repo + "/issues", self._list_issues),
            ("POST", repo + "/issues", self._create_issue_route),
            ("GET", repo + "/issues/comments", self._list_repo_comments),
            ("GET", repo + r"/issues/comments/(?P<comment_id>\d+)", self._get_comment),
            ("GET", repo + r"/issues/(?P<number>\d+)", self._get_issue),
            ("PATCH", repo + r"/issues/(?P<number>\d+)", self._update_issue_route),
            ("GET", repo + r"/issues/(?P<number>\d+)/comments", self._list_issue_comments),
            ("POST", repo + r"/issues/(?P<number>\d+)/comments", self._create_comment_route),
            ("GET", repo + "/hooks", self._list_hooks),
            ("POST", repo + "/hooks", self._create_hook),
            ("POST", "/graphql", self._graphql),  # in github_graphql.py; GraphQL has a rate limit of its own
        ]
        for method, pattern, handler in routes:
            self.route(method, pattern, self._endpoint(handler, counted=pattern not in ("/rate_limit", "/graphql")))

    def _get_rate_limit(self, request: Request) -> Response:
        core = {
            "limit": self.rate_limit,
            "used": self.rate_used,
            "remaining": max(0, self.rate_limit - self.rate_used),
            "reset": self.rate_reset,
        }
        search = {"limit": 30, "used": 0, "remaining": 30, "reset": math.ceil(time.time()) + 60}
        return Response(200, {"resources": {"core": core, "search": search}, "rate": core})

    def _get_authenticated_user(self, request: Request) -> Response:
        return Response(200, self._profile_json(self._accounts[self.login.lower()], private=True))

    def _get_user(self, request: Request) -> Response:
        account = self._accounts.get(unquote(request.params["login"]).lower())
        if account is None:
            return _not_found("/users/users#get-a-user")
        return Response(200, self._profile_json(account))

    def _get_org(self, request: Request) -> Response:
        account = self._accounts.get(unquote(request.params["org"]).lower())
        if account is None or account.type != "Organization":
            return _not_found("/orgs/orgs#get-an-organization")
        return Response(200, self._org_json(account, full=True))

    def _list_my_orgs(self, request: Request) -> Response:
        orgs = []
        if {"read:org", "admin:org", "write:org", "user"} & set(self.scopes):
            me = self.login.lower()
            orgs = [self._accounts[org] for org, members in self._org_members.items() if me in members]
        return self._paginate(request, orgs, self._org_json, "/user/orgs")

    def _list_repos(self, request: Request, repos: list[_Repo], link_path: str, default_sort: str) -> Response:
        sort = request.arg("sort", default_sort)
        keys = {
            "full_name": lambda repo: repo.full_name.lower(),
            "created": lambda repo: (repo.created_at, repo.id),
            "updated": lambda repo: (repo.created_at, repo.id),
            "pushed": lambda repo: (repo.created_at, repo.id),
        }
        if sort not in keys:
            return _validation_failed("Repository", {"resource": "Repository", "field": "sort", "code": "invalid"})
        kind = request.arg("visibility") or request.arg("type") or "all"
        if kind in ("public", "private"):
            repos = [repo for repo in repos if repo.private == (kind == "private")]
        repos = sorted(repos, key=keys[sort])
        direction = request.arg("direction", "asc" if sort == "full_name" else "desc")
        return self._paginate(request, repos, self._repo_json, link_path, reverse=direction == "desc")

    def _list_org_repos(self, request: Request) -> Response:
        params = request.params
        if params.get("org_id"):
            org = next((a for a in self._accounts.values() if a.id == int(params["org_id"])), None)
        else:
            org = self._accounts.get(unquote(params["org"]).lower())
        if org is None or org.type != "Organization":
            return _not_found("/repos/repos#list-organization-repositories")
        repos = [repo for repo in self._repos.values() if repo.owner.lower() == org.login.lower()]
        return self._list_repos(
            request, [r for r in repos if self._can_see(r)], f"/organizations/{org.id}/repos", "created"
        )

    def _list_user_repos(self, request: Request) -> Response:
        params = request.params
        if params.get("user_id"):
            account = next((a for a in self._accounts.values() if a.id == int(params["user_id"])), None)
        else:
            account = self._accounts.get(unquote(params["login"]).lower())
        if account is None:
            return _not_found("/repos/repos#list-repositories-for-a-user")
        repos = [r for r in self._repos.values() if r.owner.lower() == account.login.lower() and not r.private]
        return self._list_repos(request, repos, f"/user/{account.id}/repos", "full_name")

    def _list_my_repos(self, request: Request) -> Response:
        repos = [repo for repo in self._repos.values() if self._has_access(repo.owner) and self._can_see(repo)]
        return self._list_repos(request, repos, "/user/repos", "full_name")

    def _get_repo(self, request: Request) -> Response:
        repo = self._repo_for(request)
        return repo if isinstance(repo, Response) else Response(200, self._repo_json(repo))

    def _list_issues(self, request: Request) -> Response:
        repo = self._repo_for(request)
        if isinstance(repo, Response):
            return repo
        state, sort, direction = request.arg("state", "open"), request.arg("sort", "created"), request.arg("direction")
        for name, value, allowed in (
            ("state", state, ("open", "closed", "all")),
            ("sort", sort, ("created", "updated", "comments")),
            ("direction", direction or "desc", ("asc", "desc")),
        ):
            if value not in allowed:
                return _validation_failed("Issue", {"resource": "Issue", "field": name, "code": "invalid"})
        since = self._since(request, "Issue")
        if isinstance(since, Response):
            return since
        labels = frozenset(name.strip().lower() for name in (request.arg("labels") or "").split(",") if name.strip())
        if sort == "updated" and not labels:  # the sync path: straight from the index, whatever the repo's size
            keys = repo.by_updated[state]
            matches: Sequence[_Issue] = _KeyView(keys, bisect_left(keys, since) if since else 0, repo.issues)
        else:
            key = ("issues", repo.id, repo.version, state, sort, since, labels)
            matches = self._cached(key, lambda: _select_issues(repo, state, sort, since, labels))
        render = lambda issue: self._issue_json(repo, issue)  # noqa: E731
        return self._paginate(request, matches, render, f"/repositories/{repo.id}/issues", reverse=direction != "asc")

    def _get_issue(self, request: Request) -> Response:
        repo = self._repo_for(request)
        if isinstance(repo, Response):
            return repo
        issue = self._issue_for(repo, int(request.params["number"]))
        return issue if isinstance(issue, Response) else Response(200, self._issue_json(repo, issue, detail=True))

    def _create_issue_route(self, request: Request) -> Response:
        repo = self._repo_for(request)
        if isinstance(repo, Response):
            return repo
        if not self._can_write(repo):
            return _not_found("/issues/issues#create-an-issue")
        data = _json_object(request)
        title = data.get("title")
        if title is None or str(title).strip() == "":
            return _validation_failed("Issue", {"resource": "Issue", "code": "missing_field", "field": "title"})
        assignees = list(data.get("assignees") or []) + ([data["assignee"]] if data.get("assignee") else [])
        invalid = self._unknown_users(assignees)
        if invalid:
            return invalid
        issue = self._create_issue(
            repo,
            title=str(title),
            body=data.get("body") or "",
            user=self._accounts[self.login.lower()].login,
            labels=[label["name"] if isinstance(label, dict) else str(label) for label in data.get("labels") or []],
            assignees=[self._accounts[login.lower()].login for login in assignees],
            pull_request=False,
            created_at=self._tick(),
        )
        body = self._issue_json(repo, issue, detail=True)
        return Response(201, body, {"Location": body["url"]})

    def _unknown_users(self, logins: list[str]) -> Response | None:
        for login in logins:
            account = self._accounts.get(str(login).lower())
            if account is None or account.type != "User":
                error = {"value": login, "resource": "Issue", "field": "assignees", "code": "invalid"}
                return _validation_failed("Issue", error)
        return None

    def _update_issue_route(self, request: Request) -> Response:
        repo = self._repo_for(request)
        if isinstance(repo, Response):
            return repo
        if not self._can_write(repo):
            return _not_found("/issues/issues#update-an-issue")
        issue = self._issue_for(repo, int(request.params["number"]))
        if isinstance(issue, Response):
            return issue
        data = _json_object(request)
        if "title" in data and (data["title"] is None or str(data["title"]).strip() == ""):
            return _validation_failed("Issue", {"resource": "Issue", "code": "missing_field", "field": "title"})
        if "state" in data and data["state"] not in ("open", "closed"):
            return _validation_failed("Issue", {"resource": "Issue", "field": "state", "code": "invalid"})
        if data.get("state_reason") not in (None, *STATE_REASONS):
            return _validation_failed("Issue", {"resource": "Issue", "field": "state_reason", "code": "invalid"})
        if "assignee" in data:
            data["assignees"] = [data.pop("assignee")] if data.get("assignee") else []
        if "assignees" in data:
            invalid = self._unknown_users(list(data["assignees"] or []))
            if invalid:
                return invalid
            data["assignees"] = [self._accounts[login.lower()].login for login in data["assignees"] or []]
        with self._changing(repo, issue):
            self._apply_issue_fields(repo, issue, data, actor=self._accounts[self.login.lower()].login)
            issue.updated_at = self._tick()
            if data.get("state") == "closed" and issue.closed_at is None:
                issue.closed_at = issue.updated_at
        return Response(200, self._issue_json(repo, issue, detail=True))

    def _list_issue_comments(self, request: Request) -> Response:
        repo = self._repo_for(request)
        if isinstance(repo, Response):
            return repo
        issue = self._issue_for(repo, int(request.params["number"]), "/comments")
        if isinstance(issue, Response):
            return issue
        since = self._since(request, "IssueComment")
        if isinstance(since, Response):
            return since
        comments = [repo.comments[cid] for cid in issue.comment_ids]
        if since:
            comments = [comment for comment in comments if comment.updated_at >= since]
        render = lambda comment: self._comment_json(repo, comment)  # noqa: E731
        return self._paginate(request, comments, render, f"/repositories/{repo.id}/issues/{issue.number}/comments")

    def _list_repo_comments(self, request: Request) -> Response:
        repo = self._repo_for(request)
        if isinstance(repo, Response):
            return repo
        sort, direction = request.arg("sort"), request.arg("direction")
        if sort not in (None, "created", "updated") or direction not in (None, "asc", "desc"):
            return _validation_failed("IssueComment", {"resource": "IssueComment", "field": "sort", "code": "invalid"})
        since = self._since(request, "IssueComment")
        if isinstance(since, Response):
            return since
        keys = repo.comments_by_updated
        matches = _KeyView(keys, bisect_left(keys, since) if since else 0, repo.comments)
        render = lambda comment: self._comment_json(repo, comment)  # noqa: E731
        reverse = sort is not None and direction == "desc"  # direction is ignored without sort
        return self._paginate(request, matches, render, f"/repositories/{repo.id}/issues/comments", reverse=reverse)

    def _get_comment(self, request: Request) -> Response:
        repo = self._repo_for(request)
        if isinstance(repo, Response):
            return repo
        comment = repo.comments.get(int(request.params["comment_id"]))
        if comment is None or not repo.issues[comment.number].live:
            return _not_found("/issues/comments#get-an-issue-comment")
        return Response(200, self._comment_json(repo, comment))

    def _create_comment_route(self, request: Request) -> Response:
        repo = self._repo_for(request)
        if isinstance(repo, Response):
            return repo
        if not self._can_write(repo):
            return _not_found("/issues/comments#create-an-issue-comment")
        issue = self._issue_for(repo, int(request.params["number"]), "/comments")
        if isinstance(issue, Response):
            return issue
        body = _json_object(request).get("body")
        if body is None or str(body).strip() == "":
            error = {"resource": "IssueComment", "code": "missing_field", "field": "body"}
            return _validation_failed("IssueComment", error)
        comment = self._create_comment(repo, issue, str(body), self._accounts[self.login.lower()].login, self._tick())
        data = self._comment_json(repo, comment)
        return Response(201, data, {"Location": data["url"]})

    def _list_hooks(self, request: Request) -> Response:
        repo = self._repo_for(request)
        if isinstance(repo, Response):
            return repo
        if not (HOOK_READ_SCOPES & set(self.scopes)) or not self._has_access(repo.owner):
            return _not_found("/repos/webhooks#list-repository-webhooks")
        render = lambda hook: self._hook_json(repo, hook)  # noqa: E731
        return self._paginate(request, repo.hooks, render, f"/repositories/{repo.id}/hooks")

    def _create_hook(self, request: Request) -> Response:
        repo = self._repo_for(request)
        if isinstance(repo, Response):
            return repo
        if not (HOOK_WRITE_SCOPES & set(self.scopes)) or not self._has_access(repo.owner):
            return _not_found("/repos/webhooks#create-a-repository-webhook")
        data = _json_object(request)
        config = dict(data.get("config") or {})
        if not config.get("url"):
            error = {"resource": "Hook", "code": "custom", "message": "Config must contain URL for webhooks"}
            return _validation_failed("Hook", error)
        if any(hook["config"]["url"] == config["url"] for hook in repo.hooks):
            error = {"resource": "Hook", "code": "custom", "message": "Hook already exists on this repository"}
            return _validation_failed("Hook", error)
        config.setdefault("content_type", "form")
        config.setdefault("insecure_ssl", "0")
        hook = {
            "id": self._next_id("hook"),
            "config": config,
            "events": list(data.get("events") or ["push"]),
            "active": data.get("active", True),
            "created_at": self._tick(),
        }
        repo.hooks.append(hook)
        body = self._hook_json(repo, hook)
        return Response(201, body, {"Location": body["url"]})


def _select_issues(repo: _Repo, state: str, sort: str, since: str | None, labels: frozenset[str]) -> list[_Issue]:
    """Matching live issues in ascending order of `sort` (ties by number)."""
    issues = [
        issue
        for issue in repo.issues.values()
        if issue.live
        and (state == "all" or issue.state == state)
        and (since is None or issue.updated_at >= since)
        and (not labels or labels <= {name.lower() for name in issue.labels})
    ]
    if sort == "updated":
        issues.sort(key=lambda issue: (issue.updated_at, issue.number))
    elif sort == "comments":
        issues.sort(key=lambda issue: (len(issue.comment_ids), issue.number))
    else:  # created: numbers grow with creation, and the dict keeps insertion order, which may differ when seeded
        issues.sort(key=lambda issue: (issue.created_at, issue.number))
    return issues
