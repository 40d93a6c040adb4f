"""The GitHub fake's records and in-memory indexes: accounts, repos, issues, comments, labels; ids and timestamps.

Each repo keeps `by_updated`: sorted `updated_at#number` keys of its live issues per state, updated on every write,
so a `since` listing is a bisection away whatever the repo's size (`_KeyView` serves it without copying).
"""

from __future__ import annotations

import hashlib
from bisect import bisect_left, insort
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_IDS = {"account": 1, "repo": 1296269, "issue": 1_000_000_001, "comment": 2_000_000_001, "label": 5_000_001, "hook": 1}


def stamp(moment: datetime | str) -> str:
    """GitHub's timestamp form: ISO 8601, UTC, whole seconds, `Z`."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime(TIME_FORMAT)


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
    role: str = "admin"  # the token user's role when it can reach the repo: read, triage, write, maintain, admin
    next_number: int = 1
    version: int = 0  # bumped by every write; keys the list caches
    # `_sort_key(updated_at, number)` of live issues per state, kept sorted on every write: `since` is a bisection away
    by_updated: dict[str, list[str]] = field(default_factory=lambda: {"all": [], "open": [], "closed": []})
    # `_sort_key(updated_at, id)` of the comments of live issues; comments are never edited: also creation order
    comments_by_updated: list[str] = field(default_factory=list)

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


class GitHubStoreMixin:
    """Mixed into FakeGitHub: ids, the clock, and every write to the records (seeding and API alike)."""

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
