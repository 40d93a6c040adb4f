"""A fake GitHub REST API (v3) on loopback: users, orgs, repos, issues (pull requests included), comments, hooks.

It answers like api.github.com on the points a sync client depends on: token auth and OAuth scopes (a private
repo without the `repo` scope is a 404), page/per_page pagination with absolute `Link` headers, ETags with
`304 Not Modified`, primary and secondary rate limits, 404/410/301 for unknown, deleted and transferred issues,
and the real validation-error shape. Seeding methods write straight into memory, no HTTP, so a benchmark can
load tens of thousands of issues in a second or two; list results are sorted once per distinct query and then
served page by page.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import time
import uuid
from bisect import bisect_left, insort
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, unquote, urlencode

from .server import FakeClock, FakeServer, Request, Response

DOCS = "https://docs.github.com/rest"
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
DEFAULT_PER_PAGE, MAX_PER_PAGE = 30, 100
RATE_LIMIT_WINDOW_SECONDS = 3600
SECONDARY_LIMIT_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
    "If you reach out to GitHub Support for help, please include the request ID {request_id}."
)
HOOK_READ_SCOPES = frozenset({"repo", "admin:repo_hook", "write:repo_hook", "read:repo_hook"})
HOOK_WRITE_SCOPES = frozenset({"repo", "admin:repo_hook", "write:repo_hook"})
STATE_REASONS = frozenset({"completed", "not_planned", "reopened", "duplicate"})
_IDS = {"account": 1, "repo": 1296269, "issue": 1_000_000_001, "comment": 2_000_000_001, "label": 5_000_001, "hook": 1}


def stamp(moment: datetime | str) -> str:
    """GitHub's timestamp form: ISO 8601, UTC, whole seconds, `Z`."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime(TIME_FORMAT)


def _node_id(prefix: str, number: int) -> str:
    return prefix + base64.b64encode(number.to_bytes(8, "big")).decode().rstrip("=")


@dataclass(slots=True)
class _Account:
    id: int
    login: str
    type: str  # "User" or "Organization"
    name: str | None
    created_at: str


@dataclass(slots=True)
class _Label:
    id: int
    name: str
    color: str


@dataclass(slots=True)
class _Issue:
    id: int
    number: int
    title: str
    body: str
    user: str
    labels: list[str]
    assignees: list[str]
    state: str
    state_reason: str | None
    pull_request: bool
    created_at: str
    updated_at: str
    closed_at: str | None = None
    closed_by: str | None = None
    comment_ids: list[int] = field(default_factory=list)
    locked: bool = False
    deleted: bool = False
    moved_to: tuple[int, int] | None = None  # (repo id, number) after a transfer

    @property
    def live(self) -> bool:
        return not self.deleted and self.moved_to is None


@dataclass(slots=True)
class _Comment:
    id: int
    number: int  # of its issue
    body: str
    user: str
    created_at: str
    updated_at: str


@dataclass(slots=True)
class _Repo:
    id: int
    owner: str
    name: str
    private: bool
    description: str
    created_at: str
    issues: dict[int, _Issue] = field(default_factory=dict)  # by number, in insertion order
    comments: dict[int, _Comment] = field(default_factory=dict)  # by id, in insertion order
    labels: dict[str, _Label] = field(default_factory=dict)  # by lower-cased name
    hooks: list[dict] = field(default_factory=list)
    next_number: int = 1
    version: int = 0  # bumped by every write; keys the list caches
    # `_sort_key(updated_at, number)` of live issues per state, kept sorted on every write: `since` is a bisection away
    by_updated: dict[str, list[str]] = field(default_factory=lambda: {"all": [], "open": [], "closed": []})
    # `_sort_key(updated_at, id)` of the comments of live issues; comments are never edited: also creation order
    comments_by_updated: list[str] = field(default_factory=list)

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


class FakeGitHub(FakeServer):
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

    # --- webhooks -----------------------------------------------------------------------------------------------
    def webhook(
        self, event: str, payload: dict, secret: str | None, delivery_id: str | None = None
    ) -> tuple[dict, bytes]:
        """Headers and body of a delivery as GitHub's Hookshot sends it (signature headers only with a secret)."""
        body = json.dumps(payload, separators=(",", ":")).encode()
        repository = payload.get("repository") or {}
        with self.lock:
            hook_id = self._hook_id_for(repository.get("id"))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "GitHub-Hookshot/7c3e8c1",
            "X-GitHub-Event": event,
            "X-GitHub-Delivery": delivery_id or str(uuid.uuid4()),
            "X-GitHub-Hook-ID": str(hook_id),
            "X-GitHub-Hook-Installation-Target-ID": str(repository.get("id", 0)),
            "X-GitHub-Hook-Installation-Target-Type": "repository",
        }
        if secret:
            key = secret.encode()
            headers["X-Hub-Signature"] = "sha1=" + hmac.new(key, body, hashlib.sha1).hexdigest()
            headers["X-Hub-Signature-256"] = "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()
        return headers, body

    def issue_event_payload(
        self,
        owner: str,
        repo: str,
        number: int,
        action: str,
        *,
        sender: str | None = None,
        changes: dict | None = None,
        label: str | None = None,
        assignee: str | None = None,
    ) -> dict:
        """An `issues` event (opened, edited, closed, reopened, labeled, assigned, deleted, transferred, ...)."""
        with self.lock:
            target = self._seed_repo(owner, repo)
            issue = target.issues[number]
            payload: dict = {"action": action, "issue": self._issue_json(target, issue)}
            if action in ("labeled", "unlabeled"):
                name = label or (issue.labels[-1] if issue.labels else "bug")
                payload["label"] = self._label_json(target, self._label(target, name))
            if action in ("assigned", "unassigned"):
                login = assignee or (issue.assignees[-1] if issue.assignees else self.login)
                payload["assignee"] = self._user_json(self._account(login, create="User"))
            if action == "transferred" and issue.moved_to:
                new_repo = self._repos_by_id[issue.moved_to[0]]
                payload["changes"] = {
                    "new_issue": self._issue_json(new_repo, new_repo.issues[issue.moved_to[1]]),
                    "new_repository": self._repo_json(new_repo),
                }
            elif action == "edited" or changes:
                payload["changes"] = changes or {}
            return self._event_envelope(target, payload, sender)

    def comment_event_payload(
        self,
        owner: str,
        repo: str,
        number: int,
        comment_id: int,
        action: str = "created",
        *,
        sender: str | None = None,
        changes: dict | None = None,
    ) -> dict:
        """An `issue_comment` event (created, edited, deleted)."""
        with self.lock:
            target = self._seed_repo(owner, repo)
            payload: dict = {
                "action": action,
                "issue": self._issue_json(target, target.issues[number]),
                "comment": self._comment_json(target, target.comments[comment_id]),
            }
            if action == "edited":
                payload["changes"] = changes or {}
            return self._event_envelope(target, payload, sender or target.comments[comment_id].user)

    # --- internals: store -----------------------------------------------------------------------------------------
    def _next_id(self, kind: str) -> int:
        value = self._ids[kind]
        self._ids[kind] = value + 1
        return value

    def _tick(self) -> str:
        return stamp(self.clock.tick())

    def _explicit_or_tick(self, value: datetime | str | None) -> str:
        if value is None:
            return self._tick()
        text = stamp(value)
        self.clock.observe(datetime.strptime(text, TIME_FORMAT).replace(tzinfo=UTC))
        return text

    def _new_account(self, login: str, kind: str, name: str | None = None) -> _Account:
        account = _Account(self._next_id("account"), login, kind, name, self._tick())
        self._accounts[login.lower()] = account
        return account

    def _account(self, login: str, *, create: str | None = None) -> _Account:
        account = self._accounts.get(login.lower())
        if account is None:
            if create is None:
                raise KeyError(login)
            account = self._new_account(login, create)
        return account

    def _seed_repo(self, owner: str, name: str) -> _Repo:
        return self._repos[(owner.lower(), name.lower())]

    def _label(self, repo: _Repo, name: str) -> _Label:
        label = repo.labels.get(name.lower())
        if label is None:
            color = hashlib.md5(name.encode(), usedforsecurity=False).hexdigest()[:6]
            label = repo.labels[name.lower()] = _Label(self._next_id("label"), name, color)
        return label

    def _create_issue(
        self,
        repo: _Repo,
        *,
        title: str,
        body: str,
        user: str,
        labels: list[str],
        assignees: list[str],
        pull_request: bool,
        created_at: str,
        updated_at: str | None = None,
        state: str = "open",
    ) -> _Issue:
        updated_at = max(updated_at or created_at, created_at)
        names = [self._label(repo, name).name for name in dict.fromkeys(labels)]
        issue = _Issue(
            self._next_id("issue"),
            repo.next_number,
            title,
            body,
            user,
            names,
            list(dict.fromkeys(assignees)),
            "open",
            None,
            pull_request,
            created_at,
            updated_at,
        )
        if state == "closed":
            issue.state, issue.state_reason, issue.closed_at, issue.closed_by = "closed", "completed", updated_at, user
        repo.issues[issue.number] = issue
        repo.next_number += 1
        _index(repo, issue)
        repo.version += 1
        return issue

    def _create_comment(self, repo: _Repo, issue: _Issue, body: str, user: str, created_at: str) -> _Comment:
        comment = _Comment(self._next_id("comment"), issue.number, body, user, created_at, created_at)
        repo.comments[comment.id] = comment
        issue.comment_ids.append(comment.id)
        if issue.live:  # the hot path of seeding: the index updated by hand rather than through _changing
            _unindex(repo, issue)
            issue.updated_at = max(issue.updated_at, created_at)
            _index(repo, issue)
            insort(repo.comments_by_updated, _sort_key(comment.updated_at, comment.id))
        repo.version += 1
        return comment

    @contextmanager
    def _changing(self, repo: _Repo, issue: _Issue) -> Iterator[None]:
        """Around every write to an issue: takes it out of the sorted indexes and puts it back after.

        Its comments' keys never change, so they move only when the issue is deleted or transferred.
        """
        was_live = issue.live
        _unindex(repo, issue)
        try:
            yield
        finally:
            _index(repo, issue)
            if was_live and not issue.live:
                for comment_id in issue.comment_ids:
                    _remove(repo.comments_by_updated, _sort_key(repo.comments[comment_id].updated_at, comment_id))
            repo.version += 1

    def _apply_issue_fields(self, repo: _Repo, issue: _Issue, fields: dict, *, actor: str) -> None:
        if "title" in fields:
            issue.title = str(fields["title"])
        if "body" in fields:
            issue.body = fields["body"] or ""
        if "labels" in fields:
            names = [label["name"] if isinstance(label, dict) else str(label) for label in fields["labels"] or []]
            issue.labels = [self._label(repo, name).name for name in dict.fromkeys(names)]
        if "assignees" in fields:
            issue.assignees = list(dict.fromkeys(fields["assignees"] or []))
        if "locked" in fields:
            issue.locked = bool(fields["locked"])
        state = fields.get("state")
        if state == "closed" and issue.state != "closed":
            issue.state, issue.closed_by = "closed", actor
            issue.state_reason = fields.get("state_reason") or "completed"
        elif state == "open" and issue.state != "open":
            issue.state, issue.closed_at, issue.closed_by = "open", None, None
            issue.state_reason = "reopened"
        elif fields.get("state_reason") and issue.state == "closed":
            issue.state_reason = fields["state_reason"]

    def _has_access(self, owner: str) -> bool:
        owner = owner.lower()
        return owner == self.login.lower() or self.login.lower() in self._org_members.get(owner, ())

    def _can_see(self, repo: _Repo) -> bool:
        return not repo.private or ("repo" in self.scopes and self._has_access(repo.owner))

    def _can_write(self, repo: _Repo) -> bool:
        if not self._has_access(repo.owner):
            return False
        return "repo" in self.scopes or (not repo.private and "public_repo" in self.scopes)

    def _hook_id_for(self, repo_id: int | None) -> int:
        repo = self._repos_by_id.get(repo_id) if repo_id else None
        return repo.hooks[0]["id"] if repo and repo.hooks else 1

    def _cached(self, key: tuple, build: Callable[[], list]) -> list:
        """Query results by (query, repo version): later pages of one listing reuse the sorted list."""
        found = self._query_cache.get(key)
        if found is None:
            found = self._query_cache[key] = build()
            while len(self._query_cache) > 32:
                self._query_cache.popitem(last=False)
        else:
            self._query_cache.move_to_end(key)
        return found

    # --- internals: HTTP plumbing -----------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return self.url if self._server else "http://127.0.0.1:0"

    def _endpoint(self, handler: Callable[[Request], Response], *, counted: bool = True) -> Callable:
        def serve(request: Request) -> Response:
            denied = self._authenticate(request)
            if denied:
                return denied
            limited = self._rate_limited(request) if counted else None
            if limited:
                return limited
            return self._finish(request, handler(request), counted=counted)

        return serve

    def _authenticate(self, request: Request) -> Response | None:
        header = request.headers.get("authorization", "")
        if not header:
            return self._unauthorized("Requires authentication")
        scheme, _, credential = header.partition(" ")
        if scheme.lower() not in ("bearer", "token") or not hmac.compare_digest(credential.strip(), self.token):
            return self._unauthorized("Bad credentials")
        return None

    def _unauthorized(self, message: str) -> Response:
        headers = {
            "X-RateLimit-Limit": "60",
            "X-RateLimit-Remaining": "59",
            "X-RateLimit-Reset": str(self.rate_reset),
            "X-RateLimit-Used": "1",
            "X-RateLimit-Resource": "core",
            "X-GitHub-Request-Id": self._request_id(),
        }
        return Response(401, {"message": message, "documentation_url": DOCS, "status": "401"}, headers)

    def _rate_limited(self, request: Request) -> Response | None:
        now = time.time()
        if now >= self.rate_reset:
            self.rate_used, self.rate_reset = 0, math.ceil(now) + RATE_LIMIT_WINDOW_SECONDS
        request_id = self._request_id()
        if self._secondary_pending is not None:
            self._secondary_until, self._secondary_pending = now + self._secondary_pending, None
        if now < self._secondary_until:
            self.secondary_limit_hits += 1
            body = {
                "message": SECONDARY_LIMIT_MESSAGE.format(request_id=request_id),
                "documentation_url": "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
                "status": "403",
            }
            headers = {**self._rate_headers(), "Retry-After": str(math.ceil(self._secondary_until - now))}
            return Response(403, body, headers)
        if self.rate_used >= self.rate_limit:
            user_id = self._accounts[self.login.lower()].id
            body = {
                "message": f"API rate limit exceeded for user ID {user_id}. If you reach out to GitHub Support "
                f"for help, please include the request ID {request_id} and timestamp {stamp(datetime.now(UTC))}.",
                "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
                "status": "403",
            }
            return Response(403, body, self._rate_headers())
        return None

    def _rate_headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.rate_limit),
            "X-RateLimit-Remaining": str(max(0, self.rate_limit - self.rate_used)),
            "X-RateLimit-Reset": str(self.rate_reset),
            "X-RateLimit-Used": str(self.rate_used),
            "X-RateLimit-Resource": "core",
        }

    @staticmethod
    def _request_id() -> str:
        return uuid.uuid4().hex[:20].upper()

    def _finish(self, request: Request, response: Response, *, counted: bool) -> Response:
        """Adds GitHub's headers; a 200 gets an ETag, and a matching If-None-Match turns it into a free 304."""
        headers = {
            "X-OAuth-Scopes": ", ".join(self.scopes),
            "X-Accepted-OAuth-Scopes": "repo",
            "X-GitHub-Media-Type": "github.v3; format=json",
            "X-GitHub-Api-Version-Selected": "2022-11-28",
            "X-GitHub-Request-Id": self._request_id(),
            "Vary": "Accept, Authorization, Cookie, X-GitHub-OTP",
        }
        if response.status == 200 and isinstance(response.body, dict | list):
            payload = json.dumps(response.body, separators=(",", ":")).encode()
            etag = 'W/"' + hashlib.sha256(payload).hexdigest() + '"'
            if _etag_matches(request.headers.get("if-none-match"), etag):
                return Response(304, b"", {**headers, **self._rate_headers(), "ETag": etag})
            response.body = payload
            headers.update({"ETag": etag, "Content-Type": "application/json; charset=utf-8"})
        if counted:
            self.rate_used += 1
        response.headers = {**headers, **self._rate_headers(), **response.headers}
        return response

    def _page_args(self, request: Request) -> tuple[int, int]:
        def number(name: str, default: int) -> int:
            try:
                return int(request.arg(name) or default)
            except ValueError:
                return default

        per_page = number("per_page", DEFAULT_PER_PAGE)
        per_page = DEFAULT_PER_PAGE if per_page < 1 else min(per_page, MAX_PER_PAGE)
        return max(number("page", 1), 1), per_page

    def _paginate(
        self,
        request: Request,
        items: Sequence,
        render: Callable[[object], dict],
        link_path: str,
        *,
        reverse: bool = False,
    ) -> Response:
        """One page of `items` (ascending; `reverse` serves it descending) with GitHub's Link header."""
        page, per_page = self._page_args(request)
        total = len(items)
        last = max(1, math.ceil(total / per_page))
        start, stop = (page - 1) * per_page, page * per_page
        if reverse:
            chunk = list(reversed(items[max(0, total - stop) : max(0, total - start)]))
        else:
            chunk = list(items[start:stop])
        if page > last:
            self.pages_past_end.append(f"{request.path}?{urlencode(request.query, doseq=True)}")
        rels = []
        if page > 1:
            rels.append(("prev", page - 1))
        if page < last:
            rels += [("next", page + 1), ("last", last)]
        if page > 1:
            rels.append(("first", 1))
        headers = {}
        if rels:
            kept = [(key, value) for key, values in request.query.items() if key != "page" for value in values]
            base = self.base_url + link_path
            headers["Link"] = ", ".join(f'<{base}?{urlencode([*kept, ("page", p)])}>; rel="{rel}"' for rel, p in rels)
        return Response(200, [render(item) for item in chunk], headers)

    def _since(self, request: Request, resource: str) -> str | Response | None:
        value = request.arg("since")
        if not value:
            return None
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return _validation_failed(resource, {"resource": resource, "field": "since", "code": "invalid"})
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        if moment.microsecond:  # timestamps have whole seconds: "at or after 10:00:00.5" starts at 10:00:01
            moment = moment.replace(microsecond=0) + timedelta(seconds=1)
        return stamp(moment)

    def _repo_for(self, request: Request) -> _Repo | Response:
        params = request.params
        if params.get("repo_id"):
            repo = self._repos_by_id.get(int(params["repo_id"]))
        else:
            repo = self._repos.get((unquote(params["owner"]).lower(), unquote(params["repo"]).lower()))
        if repo is None or not self._can_see(repo):
            return _not_found("/repos/repos#get-a-repository")
        return repo

    def _issue_for(self, repo: _Repo, number: int, suffix: str = "") -> _Issue | Response:
        """The live issue, or GitHub's answer for a missing (404), deleted (410) or transferred (301) one."""
        issue = repo.issues.get(number)
        if issue is None:
            return _not_found("/issues/issues#get-an-issue")
        if issue.deleted:
            return Response(
                410,
                {
                    "message": "This issue was deleted",
                    "documentation_url": f"{DOCS}/issues/issues#get-an-issue",
                    "status": "410",
                },
            )
        if issue.moved_to:
            new_repo = self._repos_by_id[issue.moved_to[0]]
            if not self._can_see(new_repo):
                return _not_found("/issues/issues#get-an-issue")
            location = f"{self.base_url}/repositories/{new_repo.id}/issues/{issue.moved_to[1]}{suffix}"
            body = {
                "message": "Moved Permanently",
                "url": location,
                "documentation_url": f"{DOCS}/guides/best-practices-for-using-the-rest-api#follow-redirects",
            }
            return Response(301, body, {"Location": location})
        return issue

    # --- internals: rendering ----------------------------------------------------------------------------------------
    def _user_json(self, account: _Account) -> dict:
        key = (account.id, self.base_url)
        cached = self._user_json_cache.get(key)
        if cached is None:
            cached = self._user_json_cache[key] = self._render_user(account)
        return dict(cached)

    def _render_user(self, account: _Account) -> dict:
        api, login = self.base_url, account.login
        return {
            "login": login,
            "id": account.id,
            "node_id": _node_id("U_kgDO" if account.type == "User" else "O_kgDO", account.id),
            "avatar_url": f"https://avatars.githubusercontent.com/u/{account.id}?v=4",
            "gravatar_id": "",
            "url": f"{api}/users/{login}",
            "html_url": f"{self.web_url}/{login}",
            "followers_url": f"{api}/users/{login}/followers",
            "following_url": f"{api}/users/{login}/following{{/other_user}}",
            "gists_url": f"{api}/users/{login}/gists{{/gist_id}}",
            "starred_url": f"{api}/users/{login}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{api}/users/{login}/subscriptions",
            "organizations_url": f"{api}/users/{login}/orgs",
            "repos_url": f"{api}/users/{login}/repos",
            "events_url": f"{api}/users/{login}/events{{/privacy}}",
            "received_events_url": f"{api}/users/{login}/received_events",
            "type": account.type,
            "user_view_type": "public",
            "site_admin": False,
        }

    def _profile_json(self, account: _Account, *, private: bool = False) -> dict:
        owned = [repo for repo in self._repos.values() if repo.owner.lower() == account.login.lower()]
        profile = {
            **self._user_json(account),
            "name": account.name,
            "company": None,
            "blog": "",
            "location": None,
            "email": None,
            "hireable": None,
            "bio": None,
            "twitter_username": None,
            "public_repos": sum(not repo.private for repo in owned),
            "public_gists": 0,
            "followers": 0,
            "following": 0,
            "created_at": account.created_at,
            "updated_at": account.created_at,
        }
        if private:
            private_count = sum(repo.private for repo in owned)
            profile.update(
                {
                    "private_gists": 0,
                    "total_private_repos": private_count,
                    "owned_private_repos": private_count,
                    "disk_usage": 0,
                    "collaborators": 0,
                    "two_factor_authentication": True,
                    "plan": {"name": "pro", "space": 976562499, "collaborators": 0, "private_repos": 9999},
                }
            )
        return profile

    def _org_json(self, account: _Account, *, full: bool = False) -> dict:
        api, login = self.base_url, account.login
        org = {
            "login": login,
            "id": account.id,
            "node_id": _node_id("O_kgDO", account.id),
            "url": f"{api}/orgs/{login}",
            "repos_url": f"{api}/orgs/{login}/repos",
            "events_url": f"{api}/orgs/{login}/events",
            "hooks_url": f"{api}/orgs/{login}/hooks",
            "issues_url": f"{api}/orgs/{login}/issues",
            "members_url": f"{api}/orgs/{login}/members{{/member}}",
            "public_members_url": f"{api}/orgs/{login}/public_members{{/member}}",
            "avatar_url": f"https://avatars.githubusercontent.com/u/{account.id}?v=4",
            "description": None,
        }
        if full:
            repos = [repo for repo in self._repos.values() if repo.owner.lower() == login.lower()]
            org.update(
                {
                    "name": account.name,
                    "company": None,
                    "blog": "",
                    "location": None,
                    "email": None,
                    "twitter_username": None,
                    "is_verified": False,
                    "has_organization_projects": True,
                    "has_repository_projects": True,
                    "public_repos": sum(not repo.private for repo in repos),
                    "public_gists": 0,
                    "followers": 0,
                    "following": 0,
                    "html_url": f"{self.web_url}/{login}",
                    "created_at": account.created_at,
                    "updated_at": account.created_at,
                    "archived_at": None,
                    "type": "Organization",
                }
            )
        return org

    def _repo_json(self, repo: _Repo) -> dict:
        api = f"{self.base_url}/repos/{repo.full_name}"
        owner = self._accounts[repo.owner.lower()]
        open_count = len(repo.by_updated["open"])
        access = self._has_access(repo.owner)
        updated = repo.by_updated["all"][-1].partition("#")[0] if repo.by_updated["all"] else repo.created_at
        return {
            "id": repo.id,
            "node_id": _node_id("R_kgDO", repo.id),
            "name": repo.name,
            "full_name": repo.full_name,
            "private": repo.private,
            "owner": self._user_json(owner),
            "html_url": f"{self.web_url}/{repo.full_name}",
            "description": repo.description or None,
            "fork": False,
            "url": api,
            "hooks_url": f"{api}/hooks",
            "issue_comment_url": f"{api}/issues/comments{{/number}}",
            "issues_url": f"{api}/issues{{/number}}",
            "labels_url": f"{api}/labels{{/name}}",
            "pulls_url": f"{api}/pulls{{/number}}",
            "created_at": repo.created_at,
            "updated_at": updated,
            "pushed_at": repo.created_at,
            "homepage": None,
            "size": 0,
            "stargazers_count": 0,
            "watchers_count": 0,
            "language": None,
            "has_issues": True,
            "has_projects": True,
            "has_downloads": True,
            "has_wiki": True,
            "has_pages": False,
            "has_discussions": False,
            "forks_count": 0,
            "archived": False,
            "disabled": False,
            "open_issues_count": open_count,
            "license": None,
            "allow_forking": True,
            "is_template": False,
            "topics": [],
            "visibility": "private" if repo.private else "public",
            "forks": 0,
            "open_issues": open_count,
            "watchers": 0,
            "default_branch": "main",
            "permissions": {"admin": access, "maintain": access, "push": access, "triage": access, "pull": True},
        }

    def _label_json(self, repo: _Repo, label: _Label) -> dict:
        return {
            "id": label.id,
            "node_id": _node_id("LA_kwDO", label.id),
            "url": f"{self.base_url}/repos/{repo.full_name}/labels/{quote(label.name)}",
            "name": label.name,
            "color": label.color,
            "default": False,
            "description": None,
        }

    def _association(self, repo: _Repo, login: str) -> str:
        if login.lower() == repo.owner.lower():
            return "OWNER"
        if login.lower() in self._org_members.get(repo.owner.lower(), ()):
            return "MEMBER"
        return "NONE"

    def _issue_json(self, repo: _Repo, issue: _Issue, *, detail: bool = False) -> dict:
        api = f"{self.base_url}/repos/{repo.full_name}"
        kind = "pull" if issue.pull_request else "issues"
        assignees = [self._user_json(self._accounts[login.lower()]) for login in issue.assignees]
        data = {
            "url": f"{api}/issues/{issue.number}",
            "repository_url": api,
            "labels_url": f"{api}/issues/{issue.number}/labels{{/name}}",
            "comments_url": f"{api}/issues/{issue.number}/comments",
            "events_url": f"{api}/issues/{issue.number}/events",
            "html_url": f"{self.web_url}/{repo.full_name}/{kind}/{issue.number}",
            "id": issue.id,
            "node_id": _node_id("PR_kwDO" if issue.pull_request else "I_kwDO", issue.id),
            "number": issue.number,
            "title": issue.title,
            "user": self._user_json(self._accounts[issue.user.lower()]),
            "labels": [self._label_json(repo, repo.labels[name.lower()]) for name in issue.labels],
            "state": issue.state,
            "locked": issue.locked,
            "assignee": assignees[0] if assignees else None,
            "assignees": assignees,
            "milestone": None,
            "comments": len(issue.comment_ids),
            "created_at": issue.created_at,
            "updated_at": issue.updated_at,
            "closed_at": issue.closed_at,
            "author_association": self._association(repo, issue.user),
            "type": None,
            "active_lock_reason": None,
            "sub_issues_summary": {"total": 0, "completed": 0, "percent_completed": 0},
            "body": issue.body or None,
            "reactions": _reactions(f"{api}/issues/{issue.number}/reactions"),
            "timeline_url": f"{api}/issues/{issue.number}/timeline",
            "performed_via_github_app": None,
            "state_reason": issue.state_reason,
        }
        if issue.pull_request:
            data["draft"] = False
            data["pull_request"] = {
                "url": f"{api}/pulls/{issue.number}",
                "html_url": f"{self.web_url}/{repo.full_name}/pull/{issue.number}",
                "diff_url": f"{self.web_url}/{repo.full_name}/pull/{issue.number}.diff",
                "patch_url": f"{self.web_url}/{repo.full_name}/pull/{issue.number}.patch",
                "merged_at": None,
            }
        if detail:
            closer = issue.closed_by and self._accounts[issue.closed_by.lower()]
            data["closed_by"] = self._user_json(closer) if closer else None
        return data

    def _comment_json(self, repo: _Repo, comment: _Comment) -> dict:
        api = f"{self.base_url}/repos/{repo.full_name}"
        return {
            "url": f"{api}/issues/comments/{comment.id}",
            "html_url": f"{self.web_url}/{repo.full_name}/issues/{comment.number}#issuecomment-{comment.id}",
            "issue_url": f"{api}/issues/{comment.number}",
            "id": comment.id,
            "node_id": _node_id("IC_kwDO", comment.id),
            "user": self._user_json(self._accounts[comment.user.lower()]),
            "created_at": comment.created_at,
            "updated_at": comment.updated_at,
            "author_association": self._association(repo, comment.user),
            "body": comment.body,
            "reactions": _reactions(f"{api}/issues/comments/{comment.id}/reactions"),
            "performed_via_github_app": None,
        }

    def _hook_json(self, repo: _Repo, hook: dict) -> dict:
        api = f"{self.base_url}/repos/{repo.full_name}/hooks/{hook['id']}"
        config = {key: value for key, value in hook["config"].items() if key != "secret"}
        if hook["config"].get("secret"):
            config["secret"] = "********"
        return {
            "type": "Repository",
            "id": hook["id"],
            "name": "web",
            "active": hook["active"],
            "events": hook["events"],
            "config": config,
            "updated_at": hook["created_at"],
            "created_at": hook["created_at"],
            "url": api,
            "test_url": f"{api}/test",
            "ping_url": f"{api}/pings",
            "deliveries_url": f"{api}/deliveries",
            "last_response": {"code": None, "status": "unused", "message": None},
        }

    def _event_envelope(self, repo: _Repo, payload: dict, sender: str | None) -> dict:
        payload["repository"] = self._repo_json(repo)
        owner = self._accounts[repo.owner.lower()]
        if owner.type == "Organization":
            payload["organization"] = self._org_json(owner)
        payload["sender"] = self._user_json(self._account(sender or self.login, create="User"))
        return payload

    # --- routes --------------------------------------------------------------------------------------------------
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
        ]
        for method, pattern, handler in routes:
            self.route(method, pattern, self._endpoint(handler, counted=pattern != "/rate_limit"))

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


def _sort_key(timestamp: str, number: int) -> str:
    """`updated_at#number` with fixed-width parts: string order is (time, number) order, and bisects fast."""
    return f"{timestamp}#{number:012d}"


def _index(repo: _Repo, issue: _Issue) -> None:
    if issue.live:
        key = _sort_key(issue.updated_at, issue.number)
        insort(repo.by_updated["all"], key)
        insort(repo.by_updated[issue.state], key)


def _unindex(repo: _Repo, issue: _Issue) -> None:
    if issue.live:
        key = _sort_key(issue.updated_at, issue.number)
        _remove(repo.by_updated["all"], key)
        _remove(repo.by_updated[issue.state], key)


def _remove(keys: list[str], key: str) -> None:
    position = bisect_left(keys, key)
    if position < len(keys) and keys[position] == key:
        del keys[position]


class _KeyView(Sequence):
    """The items of a sorted key list from `start` on, looked up by the key's number part, without copying."""

    def __init__(self, keys: list[str], start: int, lookup: dict) -> None:
        self.keys, self.start, self.lookup = keys, start, lookup

    def __len__(self) -> int:
        return len(self.keys) - self.start

    def __getitem__(self, index):
        if isinstance(index, slice):
            low, high, _ = index.indices(len(self))
            return [self.lookup[int(key[-12:])] for key in self.keys[self.start + low : self.start + high]]
        return self.lookup[int(self.keys[self.start + (index if index >= 0 else len(self) + index)][-12:])]


def _json_object(request: Request) -> dict:
    data = request.json()
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise json.JSONDecodeError("not an object", request.body.decode(errors="replace"), 0)
    return data


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    if header.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")
    return any(candidate.strip().removeprefix("W/") == wanted for candidate in header.split(","))


def _not_found(doc_path: str) -> Response:
    return Response(404, {"message": "Not Found", "documentation_url": f"{DOCS}{doc_path}", "status": "404"})


def _validation_failed(resource: str, *errors: dict) -> Response:
    body = {"message": "Validation Failed", "errors": list(errors), "documentation_url": DOCS, "status": "422"}
    return Response(422, body)


def _reactions(url: str) -> dict:
    counts = dict.fromkeys(("+1", "-1", "laugh", "hooray", "confused", "heart", "rocket", "eyes"), 0)
    return {"url": url, "total_count": 0, **counts}
