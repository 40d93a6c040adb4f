"""A fake GitHub REST API (v3) on loopback: users, orgs, repos, issues (pull requests included), comments, hooks.

It answers like api.github.com on the points a sync client depends on: token auth and OAuth scopes (a private
repo without the `repo` scope is a 404), page/per_page pagination with absolute `Link` headers, ETags with
`304 Not Modified`, primary and secondary rate limits, 404/410/301 for unknown, deleted and transferred issues,
the real validation-error shape, and GraphQL's `deleteIssue` mutation (repository admins only, see
`set_permission`). Seeding methods write straight into memory, no HTTP, so a benchmark can load tens of
thousands of issues in a second or two; list results are sorted once per distinct query and then served page
by page.

The HTTP side lives in github_api.py (routes), github_graphql.py (`POST /graphql`) and github_http.py (auth,
rate limits, ETags, pagination); JSON shapes in github_render.py; records and sorted indexes in github_store.py;
webhook payloads in github_webhooks.py.
"""

from __future__ import annotations

import math
import time
from bisect import insort
from collections import OrderedDict
from collections.abc import Iterable
from datetime import datetime

from .github_api import HOOK_READ_SCOPES, HOOK_WRITE_SCOPES, STATE_REASONS, GitHubApiMixin
from .github_graphql import GitHubGraphQLMixin
from .github_http import (
    DEFAULT_PER_PAGE,
    DOCS,
    MAX_PER_PAGE,
    RATE_LIMIT_WINDOW_SECONDS,
    SECONDARY_LIMIT_MESSAGE,
    GitHubHttpMixin,
)
from .github_render import GitHubRenderMixin
from .github_store import _IDS, TIME_FORMAT, GitHubStoreMixin, _Account, _Repo, _sort_key, stamp
from .github_webhooks import GitHubWebhooksMixin
from .server import FakeClock, FakeServer

__all__ = [
    "DEFAULT_PER_PAGE",
    "DOCS",
    "HOOK_READ_SCOPES",
    "HOOK_WRITE_SCOPES",
    "MAX_PER_PAGE",
    "RATE_LIMIT_WINDOW_SECONDS",
    "SECONDARY_LIMIT_MESSAGE",
    "STATE_REASONS",
    "TIME_FORMAT",
    "FakeGitHub",
    "stamp",
]


class FakeGitHub(
    GitHubApiMixin,
    GitHubGraphQLMixin,
    GitHubHttpMixin,
    GitHubWebhooksMixin,
    GitHubRenderMixin,
    GitHubStoreMixin,
    FakeServer,
):
    """GitHub's REST API for one token; see the module docstring. Start with `.start()`, seed with `add_*`."""

    def __init__(
        self,
        token: str = "ghp_testtoken",
        scopes: Iterable[str] = ("repo", "read:org"),
        login: str = "octocat",
        *,
        web_url: str = "https://github.com",
        rate_limit: int = 5000,
    ) -> None:
        super().__init__()
        self.token, self.scopes, self.login, self.web_url = token, tuple(scopes), login, web_url
        self.clock = FakeClock()
        self.rate_limit = rate_limit
        self.rate_used = 0
        self.rate_reset = math.ceil(time.time()) + RATE_LIMIT_WINDOW_SECONDS
        self.secondary_limit_hits = 0
        self._secondary_pending: float | None = None
        self._secondary_until = 0.0
        self.pages_past_end: list[str] = []  # requests for a page after the last one (answered [] like GitHub)
        self._ids = dict(_IDS)
        self._accounts: dict[str, _Account] = {}
        self._org_members: dict[str, set[str]] = {}
        self._repos: dict[tuple[str, str], _Repo] = {}
        self._repos_by_id: dict[int, _Repo] = {}
        self._query_cache: OrderedDict[tuple, list] = OrderedDict()
        self._user_json_cache: dict[tuple[int, str], dict] = {}
        self.add_user(login)
        self._register_routes()

    # --- seeding --------------------------------------------------------------------------------------------------
    def add_user(self, login: str, *, name: str | None = None) -> dict:
        with self.lock:
            account = self._account(login, create="User")
            if name:
                account.name = name
            return self._user_json(account)

    def add_org(self, login: str, name: str | None = None, *, member: bool = True) -> dict:
        """An organization; the token's user is a member unless `member=False`."""
        with self.lock:
            account = self._accounts.get(login.lower()) or self._new_account(login, "Organization", name)
            members = self._org_members.setdefault(login.lower(), set())
            if member:
                members.add(self.login.lower())
            return self._org_json(account, full=True)

    def add_repo(self, owner: str, name: str, private: bool = False, description: str = "") -> dict:
        with self.lock:
            owner_account = self._account(owner, create="User")
            repo = _Repo(self._next_id("repo"), owner_account.login, name, private, description, self._tick())
            self._repos[(owner.lower(), name.lower())] = repo
            self._repos_by_id[repo.id] = repo
            return self._repo_json(repo)

    def add_issue(
        self,
        owner: str,
        repo: str,
        title: str,
        body: str = "",
        labels: Iterable[str] = (),
        assignees: Iterable[str] = (),
        state: str = "open",
        user: str | None = None,
        pull_request: bool = False,
        created_at: datetime | str | None = None,
        updated_at: datetime | str | None = None,
    ) -> dict:
        """An issue (or, with `pull_request=True`, a pull request as the issues API shows it); unknown users are created."""
        with self.lock:
            target = self._seed_repo(owner, repo)
            created = self._explicit_or_tick(created_at)
            updated = self._explicit_or_tick(updated_at) if updated_at is not None else created
            issue = self._create_issue(
                target,
                title=title,
                body=body,
                user=self._account(user or self.login, create="User").login,
                labels=list(labels),
                assignees=[self._account(login, create="User").login for login in assignees],
                pull_request=pull_request,
                created_at=created,
                updated_at=updated,
                state=state,
            )
            return self._issue_json(target, issue)

    def add_comment(
        self,
        owner: str,
        repo: str,
        number: int,
        body: str,
        user: str | None = None,
        created_at: datetime | str | None = None,
    ) -> dict:
        """A comment; like on GitHub, it bumps the issue's updated_at."""
        with self.lock:
            target = self._seed_repo(owner, repo)
            issue = target.issues[number]
            author = self._account(user or self.login, create="User").login
            comment = self._create_comment(target, issue, body, author, self._explicit_or_tick(created_at))
            return self._comment_json(target, comment)

    def update_issue(self, owner: str, repo: str, number: int, **fields) -> dict:
        """Edit an issue as a person would in GitHub (title, body, state, state_reason, labels, assignees, locked).

        updated_at moves to the clock's next tick unless given as a field.
        """
        with self.lock:
            target = self._seed_repo(owner, repo)
            issue = target.issues[number]
            updated_at = fields.pop("updated_at", None)
            if "assignees" in fields:
                fields["assignees"] = [self._account(login, create="User").login for login in fields["assignees"]]
            with self._changing(target, issue):
                self._apply_issue_fields(target, issue, fields, actor=issue.user)
                issue.updated_at = self._explicit_or_tick(updated_at)
                if issue.state == "closed" and issue.closed_at is None:
                    issue.closed_at = issue.updated_at
            return self._issue_json(target, issue)

    def delete_issue(self, owner: str, repo: str, number: int) -> None:
        """Deleted issues answer 410 Gone and leave every list."""
        with self.lock:
            target = self._seed_repo(owner, repo)
            issue = target.issues[number]
            with self._changing(target, issue):
                issue.deleted = True

    def transfer_issue(self, owner: str, repo: str, number: int, to_owner: str, to_repo: str) -> dict:
        """Move an issue with its comments to another repo; it gets a new id and number there, the old URL answers 301."""
        with self.lock:
            source, target = self._seed_repo(owner, repo), self._seed_repo(to_owner, to_repo)
            old = source.issues[number]
            new = self._create_issue(
                target,
                title=old.title,
                body=old.body,
                user=old.user,
                labels=list(old.labels),
                assignees=list(old.assignees),
                pull_request=False,
                created_at=old.created_at,
            )
            with self._changing(source, old):  # its comments leave the source's index with it
                old.moved_to = (target.id, new.number)
            with self._changing(target, new):
                new.state, new.state_reason, new.closed_at, new.closed_by = (
                    old.state,
                    old.state_reason,
                    old.closed_at,
                    old.closed_by,
                )
                new.updated_at = self._tick()
                for comment_id in old.comment_ids:
                    comment = source.comments.pop(comment_id)
                    comment.number = new.number
                    target.comments[comment_id] = comment
                    new.comment_ids.append(comment_id)
                    insort(target.comments_by_updated, _sort_key(comment.updated_at, comment_id))
                old.comment_ids = []
            return self._issue_json(target, new)

    def issue(self, owner: str, repo: str, number: int) -> dict:
        """The issue as `GET .../issues/{number}` would show it now (also for deleted or transferred ones)."""
        with self.lock:
            target = self._seed_repo(owner, repo)
            return self._issue_json(target, target.issues[number], detail=True)

    def comments(self, owner: str, repo: str, number: int) -> list[dict]:
        with self.lock:
            target = self._seed_repo(owner, repo)
            issue = target.issues[number]
            return [self._comment_json(target, target.comments[cid]) for cid in issue.comment_ids]

    def hooks(self, owner: str, repo: str) -> list[dict]:
        """Hooks registered through the API, secrets included (the API masks them)."""
        with self.lock:
            return [dict(hook) for hook in self._seed_repo(owner, repo).hooks]

    # --- faults -------------------------------------------------------------------------------------------------
    def exhaust_rate_limit(self, reset_in_seconds: float = 1) -> None:
        """Use up the primary rate limit: requests get 403 "API rate limit exceeded" until the reset time passes."""
        with self.lock:
            self.rate_used = self.rate_limit
            self.rate_reset = math.ceil(time.time() + reset_in_seconds)

    def secondary_rate_limit_next(self, retry_after: float = 1) -> None:
        """The next request hits a secondary rate limit: 403 with `Retry-After`; so does every request until then."""
        with self.lock:
            self._secondary_pending = retry_after
