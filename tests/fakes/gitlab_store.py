"""The GitLab fake's records and in-memory indexes: users, groups, projects, issues, notes, labels; ids, timestamps.

Each project keeps `by_updated`: sorted `updated_at#id` keys of its listed (not deleted) issues per state, updated on
every write, so an `updated_after` listing is a bisection away whatever the project's size (`_KeyView` serves it).
"""

from __future__ import annotations

import hashlib
from bisect import bisect_left, insort
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

GUEST, REPORTER, DEVELOPER, MAINTAINER, OWNER = 10, 20, 30, 40, 50
_IDS = {"user": 1, "namespace": 101, "project": 1001, "issue": 50_001, "note": 900_001, "label": 70_001, "hook": 1}


def stamp(moment: datetime | str) -> str:
    """GitLab's API timestamp form: ISO 8601, UTC, milliseconds, `Z`."""
    moment = _parse_time(moment)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def hook_stamp(value: str | None) -> str | None:
    """The form webhook payloads use for most timestamps: `2026-11-25 10:00:00 UTC`."""
    return _parse_time(value).strftime("%Y-%m-%d %H:%M:%S UTC") if value else None


def _parse_time(value: datetime | str) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


@dataclass(slots=True)
class _User:
    id: int
    username: str
    name: str
    created_at: str
    namespace_id: int

    @property
    def email(self) -> str:
        return f"{self.username}@example.com"


@dataclass(slots=True)
class _Group:
    id: int
    name: str
    path: str
    parent: _Group | None
    description: str
    visibility: str
    access_level: int | None
    created_at: str

    @property
    def full_path(self) -> str:
        return f"{self.parent.full_path}/{self.path}" if self.parent else self.path

    @property
    def full_name(self) -> str:
        return f"{self.parent.full_name} / {self.name}" if self.parent else self.name


@dataclass(slots=True)
class _Label:
    id: int
    name: str
    color: str
    created_at: str


@dataclass(slots=True)
class _Note:
    id: int
    body: str
    author: str
    system: bool
    created_at: str
    updated_at: str
    issue_id: int
    iid: int
    project_id: int


@dataclass(slots=True)
class _Issue:
    id: int
    iid: int
    project_id: int
    title: str
    description: str
    author: str
    labels: list[str]
    assignees: list[str]
    state: str
    created_at: str
    updated_at: str
    closed_at: str | None = None
    closed_by: str | None = None
    notes: list[_Note] = field(default_factory=list)
    user_notes_count: int = 0
    confidential: bool = False
    moved_to_id: int | None = None
    updated_by: str | None = None
    deleted: bool = False


@dataclass(slots=True)
class _Project:
    id: int
    name: str
    path: str
    namespace: _Group | _User
    description: str
    visibility: str
    access_level: int | None  # None: inherited from the namespace
    created_at: str
    issues: dict[int, _Issue] = field(default_factory=dict)  # by iid, in insertion order
    labels: dict[str, _Label] = field(default_factory=dict)  # by lower-cased name
    hooks: list[dict] = field(default_factory=list)
    next_iid: int = 1
    version: int = 0  # bumped by every write; keys the list caches
    by_id: dict[int, _Issue] = field(default_factory=dict)
    # `_sort_key(updated_at, id)` of listed (not deleted) issues per state, kept sorted on every write
    by_updated: dict[str, list[str]] = field(default_factory=lambda: {"all": [], "opened": [], "closed": []})

    @property
    def namespace_path(self) -> str:
        return self.namespace.full_path if isinstance(self.namespace, _Group) else self.namespace.username

    @property
    def path_with_namespace(self) -> str:
        return f"{self.namespace_path}/{self.path}"

    @property
    def name_with_namespace(self) -> str:
        namespace = self.namespace.full_name if isinstance(self.namespace, _Group) else self.namespace.name
        return f"{namespace} / {self.name}"


class GitLabStoreMixin:
    """Mixed into FakeGitLab: ids, the clock, every write to the records, and who may see what."""

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
        self.clock.observe(_parse_time(text))
        return text

    def _user(self, username: str, *, user_id: int | None = None) -> _User:
        user = self._users.get(username.lower())
        if user is None:
            user = _User(user_id or self._next_id("user"), username, username, self._tick(), self._next_id("namespace"))
            self._users[username.lower()] = user
        return user

    def _group(self, full_path: str, *, access_level: int | None = OWNER, visibility: str = "private") -> _Group:
        group = self._groups.get(full_path.lower())
        if group is None:
            parent_path, _, path = full_path.rpartition("/")
            parent = self._group(parent_path, access_level=access_level, visibility=visibility) if parent_path else None
            group = _Group(self._next_id("namespace"), path, path, parent, "", visibility, access_level, self._tick())
            self._groups[full_path.lower()] = group
        return group

    def _seed_project(self, ref: int | str) -> _Project:
        project = self._find_project(str(ref))
        if project is None:
            raise KeyError(ref)
        return project

    def _find_project(self, ref: str) -> _Project | None:
        return self._projects.get(int(ref)) if ref.isdigit() else self._projects_by_path.get(ref.lower())

    def _label(self, project: _Project, name: str) -> _Label:
        label = project.labels.get(name.lower())
        if label is None:
            color = "#" + hashlib.md5(name.encode(), usedforsecurity=False).hexdigest()[:6]
            label = project.labels[name.lower()] = _Label(self._next_id("label"), name, color, self._tick())
        return label

    def _create_issue(
        self,
        project: _Project,
        *,
        title: str,
        description: str,
        author: str,
        labels: list[str],
        assignees: list[str],
        created_at: str,
        updated_at: str | None = None,
        state: str = "opened",
    ) -> _Issue:
        issue = _Issue(
            self._next_id("issue"),
            project.next_iid,
            project.id,
            title,
            description,
            author,
            [self._label(project, name).name for name in dict.fromkeys(labels)],
            list(dict.fromkeys(assignees)),
            "opened",
            created_at,
            max(updated_at or created_at, created_at),
        )
        if state == "closed":
            issue.state, issue.closed_at, issue.closed_by = "closed", issue.updated_at, author
        project.issues[issue.iid] = issue
        project.by_id[issue.id] = issue
        project.next_iid += 1
        _index(project, issue)
        project.version += 1
        return issue

    def _create_note(
        self, project: _Project, issue: _Issue, body: str, author: str, system: bool, created_at: str
    ) -> _Note:
        note = _Note(
            self._next_id("note"), body, author, system, created_at, created_at, issue.id, issue.iid, project.id
        )
        issue.notes.append(note)
        self._notes_by_id[note.id] = note
        if not system:
            issue.user_notes_count += 1
        _unindex(project, issue)
        issue.updated_at = max(issue.updated_at, created_at)
        _index(project, issue)
        project.version += 1
        return note

    def _apply_issue_changes(self, project: _Project, issue: _Issue, changes: dict, *, actor: str, when: str) -> None:
        """Apply already-validated changes; title, description and assignee changes leave system notes like GitLab
        (label and state changes are resource events there, not notes)."""
        if "title" in changes and changes["title"] != issue.title:
            note = f"changed title from **{issue.title}** to **{changes['title']}**"
            self._create_note(project, issue, note, actor, True, when)
            issue.title = changes["title"]
        if "description" in changes and (changes["description"] or "") != issue.description:
            issue.description = changes["description"] or ""
            self._create_note(project, issue, "changed the description", actor, True, when)
        labels = list(issue.labels)
        if "labels" in changes:
            labels = list(changes["labels"])
        labels += [name for name in changes.get("add_labels", ()) if name.lower() not in {n.lower() for n in labels}]
        removed = {name.lower() for name in changes.get("remove_labels", ())}
        issue.labels = [
            self._label(project, name).name for name in dict.fromkeys(labels) if name.lower() not in removed
        ]
        if "assignees" in changes:
            before, after = issue.assignees, list(dict.fromkeys(changes["assignees"]))
            added = [f"@{name}" for name in after if name not in before]
            dropped = [f"@{name}" for name in before if name not in after]
            parts = ([f"assigned to {', '.join(added)}"] if added else []) + (
                [f"unassigned {', '.join(dropped)}"] if dropped else []
            )
            if parts:
                self._create_note(project, issue, " and ".join(parts), actor, True, when)
            issue.assignees = after
        if "confidential" in changes:
            issue.confidential = bool(changes["confidential"])
        _unindex(project, issue)  # only now: the system notes above keep the index right themselves
        if changes.get("state_event") == "close" and issue.state != "closed":
            issue.state, issue.closed_at, issue.closed_by = "closed", when, actor
        elif changes.get("state_event") == "reopen" and issue.state != "opened":
            issue.state, issue.closed_at, issue.closed_by = "opened", None, None
        issue.updated_at, issue.updated_by = max(issue.updated_at, when), actor
        _index(project, issue)
        project.version += 1

    def _group_access(self, group: _Group | None) -> int | None:
        levels = []
        while group is not None:
            if group.access_level is not None:
                levels.append(group.access_level)
            group = group.parent
        return max(levels, default=None)

    def _project_access(self, project: _Project) -> int | None:
        if project.access_level is not None:
            return project.access_level
        if isinstance(project.namespace, _User):
            return OWNER if project.namespace.username.lower() == self.username.lower() else None
        return self._group_access(project.namespace)

    def _can_see_project(self, project: _Project) -> bool:
        return project.visibility != "private" or self._project_access(project) is not None

    def _can_see_group(self, group: _Group) -> bool:
        return group.visibility != "private" or self._group_access(group) is not None

    def _cached(self, key: tuple, build: Callable[[], list]) -> list:
        """Query results by (query, project version): later pages of one listing reuse the sorted list."""
        found = self._query_cache.get(key)
        if found is None:
            found = self._query_cache[key] = build()
            while len(self._query_cache) > 32:
                self._query_cache.popitem(last=False)
        else:
            self._query_cache.move_to_end(key)
        return found


def _sort_key(timestamp: str, number: int) -> str:
    """`updated_at#id` with fixed-width parts: string order is (time, id) order, and bisects fast."""
    return f"{timestamp}#{number:012d}"


def _index(project: _Project, issue: _Issue) -> None:
    if not issue.deleted:
        key = _sort_key(issue.updated_at, issue.id)
        insort(project.by_updated["all"], key)
        insort(project.by_updated[issue.state], key)


def _unindex(project: _Project, issue: _Issue) -> None:
    if not issue.deleted:
        key = _sort_key(issue.updated_at, issue.id)
        for keys in (project.by_updated["all"], project.by_updated[issue.state]):
            position = bisect_left(keys, key)
            if position < len(keys) and keys[position] == key:
                del keys[position]


class _KeyView(Sequence):
    """The issues of a sorted key list between `start` and `stop`, looked up by the key's id part, without copying."""

    def __init__(self, keys: list[str], start: int, stop: int, lookup: dict[int, _Issue]) -> None:
        self.keys, self.start, self.stop, self.lookup = keys, start, stop, lookup

    def __len__(self) -> int:
        return self.stop - self.start

    def __getitem__(self, index):
        if isinstance(index, slice):
            low, high, _ = index.indices(len(self))
            return [self.lookup[int(key[-12:])] for key in self.keys[self.start + low : self.start + high]]
        return self.lookup[int(self.keys[self.start + (index if index >= 0 else len(self) + index)][-12:])]


def _issue_order_key(order_by: str) -> Callable[[_Issue], tuple]:
    if order_by == "id":
        return lambda issue: (issue.id, issue.id)
    return lambda issue: (getattr(issue, order_by), issue.id)
