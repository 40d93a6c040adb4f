"""A fake GitLab REST API (v4) on loopback: users, nested groups, projects, issues, notes, project hooks.

It answers like gitlab.com on the points a sync client depends on: PRIVATE-TOKEN or Bearer auth with token
scopes, projects and groups addressed by id or URL-encoded full path (a raw slash is a 404), offset pagination
with X-Page/X-Total headers (the totals left out past 10,000 rows, as GitLab does) and `Link`, keyset pagination
for project issues, moved issues (closed, `moved_to_id`), system notes, 429 rate limiting, and GitLab's two
error shapes (`{"message": ...}` from models, `{"error": ...}` from parameter checks). Seeding methods write
straight into memory, no HTTP; list results are sorted once per distinct query and then served page by page.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import time
import uuid
from bisect import bisect_left, bisect_right, insort
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.utils import formatdate
from urllib.parse import parse_qs, unquote, urlencode

from .server import FakeClock, FakeServer, Request, Response

DEFAULT_PER_PAGE, MAX_PER_PAGE = 20, 100
TOTALS_LIMIT = 10_000  # beyond this many rows GitLab leaves out X-Total, X-Total-Pages and rel="last"
RATE_LIMIT_PER_MINUTE = 2000
GUEST, REPORTER, DEVELOPER, MAINTAINER, OWNER = 10, 20, 30, 40, 50
VISIBILITY_LEVELS = {"private": 0, "internal": 10, "public": 20}
KEYSET_ORDERS = ("created_at", "updated_at", "id", "title")
HOOK_EVENTS = {"issue": "Issue Hook", "note": "Note Hook", "merge_request": "Merge Request Hook", "push": "Push Hook"}
UPDATABLE_ISSUE_PARAMS = (
    "assignee_id, assignee_ids, confidential, created_at, description, discussion_locked, due_date, labels, "
    "add_labels, remove_labels, milestone_id, state_event, title, issue_type, weight, epic_id, epic_iid"
)
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


class FakeGitLab(FakeServer):
    """GitLab's REST API for one personal access token; see the module docstring. Start with `.start()`."""

    def __init__(
        self,
        token: str = "glpat-testtoken",
        scopes: Iterable[str] = ("api",),
        username: str = "root",
        *,
        token_expires_at: str | None = None,
    ) -> None:
        super().__init__()
        self.token, self.scopes, self.username = token, tuple(scopes), username
        self.token_expires_at = token_expires_at or (date.today() + timedelta(days=365)).isoformat()
        self.token_revoked = False
        self.clock = FakeClock(timedelta(milliseconds=1))
        self.webhook_uuid = str(uuid.uuid4())
        self.pages_past_end: list[str] = []  # requests for a page after the last one (answered [] like GitLab)
        self.rate_limited_requests = 0
        self._throttle_pending: float | None = None
        self._throttle_until = 0.0
        self._minute, self._minute_count = 0, 0
        self._ids = dict(_IDS)
        self._users: dict[str, _User] = {}
        self._groups: dict[str, _Group] = {}  # by lower-cased full path
        self._projects: dict[int, _Project] = {}
        self._projects_by_path: dict[str, _Project] = {}
        self._notes_by_id: dict[int, _Note] = {}
        self._query_cache: OrderedDict[tuple, list] = OrderedDict()
        self.add_user(username)
        self._register_routes()

    # --- seeding --------------------------------------------------------------------------------------------------
    def add_user(self, username: str, user_id: int | None = None, *, name: str | None = None) -> dict:
        with self.lock:
            user = self._user(username, user_id=user_id)
            if name:
                user.name = name
            return self._user_json(user)

    def add_group(
        self,
        full_path: str,
        name: str | None = None,
        *,
        access_level: int | None = OWNER,
        visibility: str = "private",
        description: str = "",
    ) -> dict:
        """A group (parents are created as needed, with the same membership); `access_level=None`: not a member."""
        with self.lock:
            group = self._group(full_path, access_level=access_level, visibility=visibility)
            if name:
                group.name = name
            group.description, group.access_level = description, access_level
            return self._group_json(group)

    def add_project(
        self,
        namespace_full_path: str,
        path: str,
        name: str | None = None,
        *,
        access_level: int | None = None,
        visibility: str = "private",
        description: str = "",
    ) -> dict:
        """A project in a group (created if missing) or a user's namespace; access is inherited unless given."""
        with self.lock:
            namespace = self._users.get(namespace_full_path.lower()) or self._group(namespace_full_path)
            project = _Project(
                self._next_id("project"),
                name or path,
                path,
                namespace,
                description,
                visibility,
                access_level,
                self._tick(),
            )
            self._projects[project.id] = project
            self._projects_by_path[project.path_with_namespace.lower()] = project
            return self._project_json(project)

    def set_access_level(self, project: int | str, access_level: int | None) -> None:
        """The token user's role in a project (10 guest … 40 maintainer, 50 owner; None: inherit)."""
        with self.lock:
            self._seed_project(project).access_level = access_level

    def add_issue(
        self,
        project: int | str,
        title: str,
        description: str = "",
        labels: Iterable[str] = (),
        assignees: Iterable[str] = (),
        state: str = "opened",
        author: str | None = None,
        created_at: datetime | str | None = None,
        updated_at: datetime | str | None = None,
    ) -> dict:
        """An issue in a project (by id or full path); unknown users are created."""
        with self.lock:
            target = self._seed_project(project)
            created = self._explicit_or_tick(created_at)
            issue = self._create_issue(
                target,
                title=title,
                description=description,
                author=self._user(author or self.username).username,
                labels=list(labels),
                assignees=[self._user(name).username for name in assignees],
                created_at=created,
                updated_at=self._explicit_or_tick(updated_at) if updated_at is not None else None,
                state=state,
            )
            return self._issue_json(target, issue)

    def add_note(
        self,
        project: int | str,
        iid: int,
        body: str,
        author: str | None = None,
        system: bool = False,
        created_at: datetime | str | None = None,
    ) -> dict:
        """A comment (or, `system=True`, a system note); it bumps the issue's updated_at like GitLab does."""
        with self.lock:
            target = self._seed_project(project)
            issue = target.issues[iid]
            writer = self._user(author or self.username).username
            note = self._create_note(target, issue, body, writer, system, self._explicit_or_tick(created_at))
            return self._note_json(note)

    def update_issue(self, project: int | str, iid: int, **fields) -> dict:
        """Edit an issue as a person would in GitLab: title, description, state ("opened"/"closed") or state_event,
        labels, assignees (usernames), confidential; `user` names who did it, `updated_at` overrides the clock."""
        with self.lock:
            target = self._seed_project(project)
            issue = target.issues[iid]
            actor = self._user(fields.pop("user", None) or issue.author).username
            updated_at = self._explicit_or_tick(fields.pop("updated_at", None))
            if "state" in fields:
                fields["state_event"] = "close" if fields.pop("state") == "closed" else "reopen"
            if "assignees" in fields:
                fields["assignees"] = [self._user(name).username for name in fields["assignees"]]
            self._apply_issue_changes(target, issue, fields, actor=actor, when=updated_at)
            return self._issue_json(target, issue)

    def delete_issue(self, project: int | str, iid: int) -> None:
        """Deleted issues answer 404 and leave every list."""
        with self.lock:
            target = self._seed_project(project)
            issue = target.issues[iid]
            _unindex(target, issue)
            issue.deleted = True
            target.version += 1

    def move_issue(self, project: int | str, iid: int, to_project: int | str) -> dict:
        """Move an issue like GitLab: a new issue (new id and iid) with copies of the notes; the old one is closed
        with `moved_to_id` and stays listed."""
        with self.lock:
            source, target = self._seed_project(project), self._seed_project(to_project)
            old = source.issues[iid]
            now = self._tick()
            new = self._create_issue(
                target,
                title=old.title,
                description=old.description,
                author=old.author,
                labels=list(old.labels),
                assignees=list(old.assignees),
                created_at=now,
            )
            for note in old.notes:
                self._create_note(target, new, note.body, note.author, note.system, note.created_at)
            self._create_note(target, new, f"moved from {source.path_with_namespace}#{old.iid}", old.author, True, now)
            self._create_note(source, old, f"moved to {target.path_with_namespace}#{new.iid}", old.author, True, now)
            _unindex(source, old)
            old.state, old.closed_at, old.closed_by, old.moved_to_id = "closed", now, old.author, new.id
            _index(source, old)
            source.version += 1
            return self._issue_json(target, new)

    def issue(self, project: int | str, iid: int) -> dict:
        """The issue as `GET .../issues/{iid}` shows it now (also for deleted ones)."""
        with self.lock:
            target = self._seed_project(project)
            return self._issue_json(target, target.issues[iid])

    def notes(self, project: int | str, iid: int) -> list[dict]:
        with self.lock:
            return [self._note_json(note) for note in self._seed_project(project).issues[iid].notes]

    def hooks(self, project: int | str) -> list[dict]:
        """Hooks registered through the API, secret tokens included (the API never shows them)."""
        with self.lock:
            return [dict(hook) for hook in self._seed_project(project).hooks]

    def revoke_token(self) -> None:
        with self.lock:
            self.token_revoked = True

    # --- faults -------------------------------------------------------------------------------------------------
    def rate_limit_next(self, retry_after: float = 1) -> None:
        """The next request is throttled: 429 `Retry later` with Retry-After; so is every request until then."""
        with self.lock:
            self._throttle_pending = retry_after

    # --- webhooks -----------------------------------------------------------------------------------------------
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

    # --- internals: HTTP plumbing ---------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return self.url if self._server else "http://127.0.0.1:0"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/v4"

    def _endpoint(self, handler: Callable[[Request], Response], scope: str) -> Callable:
        """Wraps a handler with auth, the token-scope check (`read`, `write`, `user`, `any`) and throttling."""

        def serve(request: Request) -> Response:
            denied = self._authenticate(request) or self._check_scope(scope) or self._throttled()
            if denied:
                return denied
            response = handler(request)
            response.headers = {
                "Cache-Control": "max-age=0, private, must-revalidate",
                "X-Request-Id": uuid.uuid4().hex[:26].upper(),
                "X-Runtime": "0.012345",
                **self._rate_headers(),
                **response.headers,
            }
            return response

        return serve

    def _authenticate(self, request: Request) -> Response | None:
        token = request.headers.get("private-token") or request.arg("private_token") or request.arg("access_token")
        scheme, _, credential = request.headers.get("authorization", "").partition(" ")
        if not token and scheme.lower() == "bearer":
            token = credential.strip()
        if not token or not hmac.compare_digest(token, self.token):
            return Response(401, {"message": "401 Unauthorized"})
        if self.token_revoked:
            error = "Token was revoked. You will have to re-authorize with the user."
            return Response(401, {"error": "invalid_token", "error_description": error})
        if date.fromisoformat(self.token_expires_at) <= date.today():
            return Response(401, {"error": "invalid_token", "error_description": "Token has expired."})
        return None

    def _check_scope(self, needed: str) -> Response | None:
        allowed = {
            "any": None,
            "user": {"api", "read_api", "read_user"},
            "read": {"api", "read_api"},
            "write": {"api"},
        }[needed]
        if allowed is None or allowed & set(self.scopes):
            return None
        body = {
            "error": "insufficient_scope",
            "error_description": "The request requires higher privileges than provided by the access token.",
            "scope": " ".join(sorted(allowed)),
        }
        return Response(
            403, body, {"WWW-Authenticate": 'Bearer realm="Protected by OAuth 2", error="insufficient_scope"'}
        )

    def _throttled(self) -> Response | None:
        now = time.time()
        minute = int(now // 60)
        if minute != self._minute:
            self._minute, self._minute_count = minute, 0
        self._minute_count += 1
        if self._throttle_pending is not None:
            self._throttle_until, self._throttle_pending = now + self._throttle_pending, None
        if now < self._throttle_until:
            self.rate_limited_requests += 1
            retry_after = max(1, math.ceil(self._throttle_until - now))
            headers = {**self._rate_headers(), "Retry-After": str(retry_after), "RateLimit-Remaining": "0"}
            headers["RateLimit-Reset"] = str(math.ceil(self._throttle_until))
            headers["RateLimit-ResetTime"] = formatdate(math.ceil(self._throttle_until), usegmt=True)
            return Response(429, "Retry later\n", headers)
        return None

    def _rate_headers(self) -> dict[str, str]:
        reset = (self._minute + 1) * 60
        return {
            "RateLimit-Name": "throttle_authenticated_api",
            "RateLimit-Limit": str(RATE_LIMIT_PER_MINUTE),
            "RateLimit-Observed": str(self._minute_count),
            "RateLimit-Remaining": str(max(0, RATE_LIMIT_PER_MINUTE - self._minute_count)),
            "RateLimit-Reset": str(reset),
            "RateLimit-ResetTime": formatdate(reset, usegmt=True),
        }

    def _page_args(self, request: Request) -> tuple[int, int] | Response:
        values = {}
        for name, default in (("page", 1), ("per_page", DEFAULT_PER_PAGE)):
            raw = request.arg(name)
            try:
                values[name] = int(raw) if raw not in (None, "") else default
            except ValueError:
                return Response(400, {"error": f"{name} is invalid"})
        per_page = values["per_page"]
        per_page = DEFAULT_PER_PAGE if per_page < 1 else min(per_page, MAX_PER_PAGE)
        return max(values["page"], 1), per_page

    def _link(self, request: Request, **replace) -> str:
        kept = [(key, value) for key, values in request.query.items() if key not in replace for value in values]
        return f"{self.base_url}{request.path}?{urlencode([*kept, *replace.items()])}"

    def _paginate(
        self, request: Request, items: Sequence, render: Callable[[object], dict], *, reverse: bool = False
    ) -> Response:
        """One page of `items` (ascending; `reverse` serves it descending) with GitLab's offset-pagination headers."""
        args = self._page_args(request)
        if isinstance(args, Response):
            return args
        page, per_page = args
        total = len(items)
        pages = max(1, math.ceil(total / per_page))
        start, stop = (page - 1) * per_page, page * per_page
        if reverse:
            chunk = list(reversed(items[max(0, total - stop) : max(0, total - start)]))
        else:
            chunk = list(items[start:stop])
        if page > pages:
            self.pages_past_end.append(f"{request.path}?{urlencode(request.query, doseq=True)}")
        counted = total <= TOTALS_LIMIT
        headers = {
            "X-Page": str(page),
            "X-Per-Page": str(per_page),
            "X-Prev-Page": str(page - 1) if page > 1 else "",
            "X-Next-Page": str(page + 1) if page < pages else "",
        }
        if counted:
            headers.update({"X-Total": str(total), "X-Total-Pages": str(pages)})
        rels = []
        if page > 1:
            rels.append(("prev", page - 1))
        if page < pages:
            rels.append(("next", page + 1))
        rels.append(("first", 1))
        if counted:
            rels.append(("last", pages))
        headers["Link"] = ", ".join(
            f'<{self._link(request, page=str(p), per_page=str(per_page))}>; rel="{rel}"' for rel, p in rels
        )
        return Response(200, [render(item) for item in chunk], headers)

    def _keyset_page(
        self, request: Request, items: list[_Issue], order_by: str, render: Callable, *, reverse: bool
    ) -> Response:
        """Keyset pagination (`pagination=keyset`): an opaque `cursor`; only rel="next", no totals."""
        args = self._page_args(request)
        if isinstance(args, Response):
            return args
        per_page = args[1]
        key = _issue_order_key(order_by)
        cursor = request.arg("cursor")
        if cursor:
            try:
                decoded = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
                value = int(decoded["id"]) if order_by == "id" else decoded[order_by]
                position = (value, int(decoded["id"]))
            except (ValueError, KeyError, TypeError):
                return Response(400, {"message": "400 Bad request - Invalid cursor parameter"})
            index = bisect_left(items, position, key=key) if reverse else bisect_right(items, position, key=key)
        else:
            index = len(items) if reverse else 0
        if reverse:
            chunk = list(reversed(items[max(0, index - per_page) : index]))
            more = index - per_page > 0
        else:
            chunk = items[index : index + per_page]
            more = index + per_page < len(items)
        headers = {}
        if more and chunk:
            last_key = key(chunk[-1])
            token = json.dumps({order_by: last_key[0], "id": str(last_key[1]), "_kd": "n"}).encode()
            next_cursor = base64.urlsafe_b64encode(token).decode().rstrip("=")
            headers["Link"] = f'<{self._link(request, cursor=next_cursor, per_page=str(per_page))}>; rel="next"'
        return Response(200, [render(item) for item in chunk], headers)

    def _project_for(self, request: Request) -> _Project | Response:
        project = self._find_project(unquote(request.params["project"]))
        if project is None or not self._can_see_project(project):
            return Response(404, {"message": "404 Project Not Found"})
        return project

    def _issue_for(self, project: _Project, request: Request) -> _Issue | Response:
        issue = project.issues.get(int(request.params["iid"]))
        if issue is None or issue.deleted:
            return Response(404, {"message": "404 Not found"})
        return issue

    def _time_arg(self, request: Request, name: str) -> str | Response | None:
        value = request.arg(name)
        if not value:
            return None
        try:
            moment = _parse_time(value)
        except ValueError:
            return Response(400, {"error": f"{name} is invalid"})
        if moment.microsecond % 1000 and name.endswith("_after"):  # milliseconds: "at or after" rounds up
            moment += timedelta(microseconds=1000 - moment.microsecond % 1000)
        return stamp(moment)

    # --- internals: rendering ---------------------------------------------------------------------------------------
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

    # --- routes --------------------------------------------------------------------------------------------------
    def _register_routes(self) -> None:
        project, issue = r"/api/v4/projects/(?P<project>[^/]+)", r"/issues/(?P<iid>\d+)"
        routes = [
            ("GET", "/api/v4/user", self._get_current_user, "user"),
            ("GET", "/api/v4/users", self._list_users, "user"),
            ("GET", r"/api/v4/users/(?P<user_id>\d+)", self._get_user, "user"),
            ("GET", r"/api/v4/users/(?P<user>[^/]+)/projects", self._list_user_projects, "read"),
            ("GET", "/api/v4/personal_access_tokens/self", self._get_token, "any"),
            ("GET", "/api/v4/groups", self._list_groups, "read"),
            ("GET", r"/api/v4/groups/(?P<group>[^/]+)", self._get_group, "read"),
            ("GET", r"/api/v4/groups/(?P<group>[^/]+)/projects", self._list_group_projects, "read"),
            ("GET", "/api/v4/projects", self._list_projects, "read"),
            ("GET", project, self._get_project, "read"),
            ("GET", project + "/issues", self._list_issues, "read"),
            ("POST", project + "/issues", self._create_issue_route, "write"),
            ("GET", project + issue, self._get_issue, "read"),
            ("PUT", project + issue, self._update_issue_route, "write"),
            ("GET", project + issue + "/notes", self._list_notes, "read"),
            ("POST", project + issue + "/notes", self._create_note_route, "write"),
            ("GET", project + "/hooks", self._list_hooks, "read"),
            ("POST", project + "/hooks", self._create_hook, "write"),
        ]
        for method, pattern, handler, scope in routes:
            self.route(method, pattern, self._endpoint(handler, scope))
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):  # Grape's answer for any other API path
            self.route(method, "/api/v4/.*", lambda request: Response(404, {"error": "404 Not Found"}))

    def _get_current_user(self, request: Request) -> Response:
        user = self._users[self.username.lower()]
        data = {
            **self._user_json(user),
            "created_at": user.created_at,
            "bio": "",
            "location": "",
            "skype": "",
            "linkedin": "",
            "twitter": "",
            "discord": "",
            "website_url": "",
            "organization": "",
            "job_title": "",
            "pronouns": None,
            "bot": False,
            "work_information": None,
            "local_time": None,
            "last_sign_in_at": user.created_at,
            "confirmed_at": user.created_at,
            "last_activity_on": date.today().isoformat(),
            "email": user.email,
            "theme_id": 3,
            "color_scheme_id": 1,
            "projects_limit": 100000,
            "current_sign_in_at": user.created_at,
            "identities": [],
            "can_create_group": True,
            "can_create_project": True,
            "two_factor_enabled": False,
            "external": False,
            "private_profile": False,
            "commit_email": user.email,
        }
        return Response(200, data)

    def _list_users(self, request: Request) -> Response:
        users = list(self._users.values())
        if request.arg("username"):
            users = [user for user in users if user.username.lower() == request.arg("username", "").lower()]
        return self._paginate(request, users, self._user_json)

    def _get_user(self, request: Request) -> Response:
        user = next((u for u in self._users.values() if u.id == int(request.params["user_id"])), None)
        return Response(200, self._user_json(user)) if user else Response(404, {"message": "404 User Not Found"})

    def _get_token(self, request: Request) -> Response:
        user = self._users[self.username.lower()]
        data = {
            "id": 1,
            "name": "preloop",
            "revoked": False,
            "created_at": user.created_at,
            "description": None,
            "scopes": list(self.scopes),
            "user_id": user.id,
            "last_used_at": stamp(datetime.now(UTC)),
            "active": True,
            "expires_at": self.token_expires_at,
        }
        return Response(200, data)

    def _group_for(self, request: Request) -> _Group | Response:
        ref = unquote(request.params["group"])
        if ref.isdigit():
            group = next((g for g in self._groups.values() if g.id == int(ref)), None)
        else:
            group = self._groups.get(ref.lower())
        if group is None or not self._can_see_group(group):
            return Response(404, {"message": "404 Group Not Found"})
        return group

    def _list_groups(self, request: Request) -> Response:
        min_level = int(request.arg("min_access_level") or 0)
        all_available = request.arg("all_available") == "true"
        groups = []
        for group in self._groups.values():
            level = self._group_access(group)
            if min_level and (level or 0) < min_level:
                continue
            if level is None and not (all_available and group.visibility != "private"):
                continue
            if request.arg("top_level_only") == "true" and group.parent:
                continue
            search = (request.arg("search") or "").lower()
            if search and search not in group.full_path.lower() and search not in group.name.lower():
                continue
            groups.append(group)
        order = request.arg("order_by", "name")
        groups.sort(key=(lambda g: g.id) if order == "id" else (lambda g: (g.full_name.lower(), g.id)))
        return self._paginate(request, groups, self._group_json, reverse=request.arg("sort") == "desc")

    def _get_group(self, request: Request) -> Response:
        group = self._group_for(request)
        return group if isinstance(group, Response) else Response(200, self._group_json(group))

    def _list_group_projects(self, request: Request) -> Response:
        group = self._group_for(request)
        if isinstance(group, Response):
            return group
        subgroups = request.arg("include_subgroups") == "true"

        def inside(project: _Project) -> bool:
            namespace = project.namespace
            if not isinstance(namespace, _Group):
                return False
            while namespace is not None:
                if namespace is group:
                    return True
                namespace = namespace.parent if subgroups else None
            return False

        projects = [p for p in self._projects.values() if inside(p) and self._can_see_project(p)]
        return self._list_of_projects(request, projects)

    def _list_user_projects(self, request: Request) -> Response:
        ref = unquote(request.params["user"])
        user = next((u for u in self._users.values() if str(u.id) == ref or u.username.lower() == ref.lower()), None)
        if user is None:
            return Response(404, {"message": "404 User Not Found"})
        projects = [p for p in self._projects.values() if p.namespace is user and self._can_see_project(p)]
        return self._list_of_projects(request, projects)

    def _list_projects(self, request: Request) -> Response:
        projects = [p for p in self._projects.values() if self._can_see_project(p)]
        if request.arg("membership") == "true" or request.arg("owned") == "true":
            projects = [p for p in projects if self._project_access(p) is not None]
        if request.arg("owned") == "true":
            projects = [p for p in projects if self._project_access(p) == OWNER]
        if request.arg("min_access_level"):
            level = int(request.arg("min_access_level", "0"))
            projects = [p for p in projects if (self._project_access(p) or 0) >= level]
        search = (request.arg("search") or "").lower()
        if search:
            projects = [p for p in projects if search in p.name.lower() or search in p.path_with_namespace.lower()]
        return self._list_of_projects(request, projects)

    def _list_of_projects(self, request: Request, projects: list[_Project]) -> Response:
        order = request.arg("order_by", "created_at")
        keys = {
            "id": lambda p: p.id,
            "name": lambda p: (p.name.lower(), p.id),
            "path": lambda p: (p.path.lower(), p.id),
            "created_at": lambda p: (p.created_at, p.id),
            "updated_at": lambda p: (p.created_at, p.id),
            "last_activity_at": lambda p: (p.created_at, p.id),
        }
        if order not in keys:
            return Response(400, {"error": "order_by does not have a valid value"})
        projects.sort(key=keys[order])
        render = lambda project: self._project_json(project)  # noqa: E731
        return self._paginate(request, projects, render, reverse=request.arg("sort", "desc") == "desc")

    def _get_project(self, request: Request) -> Response:
        project = self._project_for(request)
        return project if isinstance(project, Response) else Response(200, self._project_json(project, detail=True))

    def _list_issues(self, request: Request) -> Response:
        project = self._project_for(request)
        if isinstance(project, Response):
            return project
        state, order_by, sort = request.arg("state", "all"), request.arg("order_by", "created_at"), request.arg("sort")
        for name, value, allowed in (
            ("state", state, ("opened", "closed", "all")),
            ("order_by", order_by, ("created_at", "updated_at", "title", "id")),
            ("sort", sort or "desc", ("asc", "desc")),
            ("scope", request.arg("scope", "all"), ("all", "created_by_me", "assigned_to_me")),
        ):
            if value not in allowed:
                return Response(400, {"error": f"{name} does not have a valid value"})
        bounds = {}
        for name in ("updated_after", "updated_before", "created_after", "created_before"):
            bound = self._time_arg(request, name)
            if isinstance(bound, Response):
                return bound
            bounds[name] = bound
        labels = request.arg("labels")
        iids = frozenset(int(v) for key in ("iids[]", "iids") for v in request.query.get(key, []) if v.isdigit())
        filters = (
            state,
            request.arg("scope", "all"),
            tuple(sorted(bounds.items())),
            labels,
            iids,
            (request.arg("search") or "").lower(),
            request.arg("author_username"),
            request.arg("assignee_username"),
        )
        after, before = bounds["updated_after"], bounds["updated_before"]
        only_state_and_updated = (
            not any((bounds["created_after"], bounds["created_before"], labels, iids, *filters[5:]))
            and filters[1] == "all"
        )
        if order_by == "updated_at" and only_state_and_updated:  # the sync path: from the index, whatever the size
            keys = project.by_updated[state]
            start = bisect_left(keys, after) if after else 0
            stop = bisect_right(keys, before + "#~") if before else len(keys)
            matches: Sequence[_Issue] = _KeyView(keys, start, max(start, stop), project.by_id)
        else:
            key = ("issues", project.id, project.version, order_by, filters)
            matches = self._cached(key, lambda: self._select_issues(project, order_by, *filters))
        label_details = request.arg("with_labels_details") == "true"
        render = lambda issue: self._issue_json(project, issue, label_details=label_details)  # noqa: E731
        reverse = (sort or "desc") == "desc"
        if request.arg("pagination") == "keyset" and order_by in KEYSET_ORDERS:
            return self._keyset_page(request, matches, order_by, render, reverse=reverse)
        return self._paginate(request, matches, render, reverse=reverse)

    def _select_issues(
        self,
        project: _Project,
        order_by: str,
        state: str,
        scope: str,
        bounds: tuple,
        labels: str | None,
        iids: frozenset[int],
        search: str,
        author: str | None,
        assignee: str | None,
    ) -> list[_Issue]:
        """Matching issues in ascending order of `order_by` (ties by id)."""
        limits = dict(bounds)
        wanted = [name.strip().lower() for name in (labels or "").split(",") if name.strip()]
        me = self.username.lower()

        def matches(issue: _Issue) -> bool:
            if issue.deleted or (state != "all" and issue.state != state):
                return False
            if limits["updated_after"] and issue.updated_at < limits["updated_after"]:
                return False
            if limits["updated_before"] and issue.updated_at > limits["updated_before"]:
                return False
            if limits["created_after"] and issue.created_at < limits["created_after"]:
                return False
            if limits["created_before"] and issue.created_at > limits["created_before"]:
                return False
            if wanted:
                have = {name.lower() for name in issue.labels}
                if (wanted == ["none"] and have) or (wanted == ["any"] and not have):
                    return False
                if wanted not in (["none"], ["any"]) and not set(wanted) <= have:
                    return False
            if iids and issue.iid not in iids:
                return False
            if search and search not in issue.title.lower() and search not in issue.description.lower():
                return False
            if scope == "created_by_me" and issue.author.lower() != me:
                return False
            if scope == "assigned_to_me" and me not in {name.lower() for name in issue.assignees}:
                return False
            if author and issue.author.lower() != author.lower():
                return False
            return not assignee or assignee.lower() in {name.lower() for name in issue.assignees}

        found = [issue for issue in project.issues.values() if matches(issue)]
        found.sort(key=_issue_order_key(order_by))
        return found

    def _get_issue(self, request: Request) -> Response:
        project = self._project_for(request)
        if isinstance(project, Response):
            return project
        issue = self._issue_for(project, request)
        if isinstance(issue, Response):
            return issue
        label_details = request.arg("with_labels_details") == "true"
        return Response(200, self._issue_json(project, issue, label_details=label_details))

    def _create_issue_route(self, request: Request) -> Response:
        project = self._project_for(request)
        if isinstance(project, Response):
            return project
        params = _params(request)
        if isinstance(params, Response):
            return params
        if "title" not in params:
            return Response(400, {"error": "title is missing"})
        if str(params["title"] or "").strip() == "":
            return Response(400, {"message": {"title": ["can't be blank"]}})
        me = self._users[self.username.lower()]
        issue = self._create_issue(
            project,
            title=str(params["title"]),
            description=str(params.get("description") or ""),
            author=me.username,
            labels=_names(params.get("labels")),
            assignees=self._assignees(params) or [],
            created_at=self._tick(),
        )
        issue.confidential = _truthy(params.get("confidential"))
        return Response(201, self._issue_json(project, issue))

    def _assignees(self, params: dict) -> list[str] | None:
        """Usernames for `assignee_ids`/`assignee_id` (unknown ids are dropped, as GitLab does); None if absent."""
        if "assignee_ids" in params:
            raw = params["assignee_ids"]
        elif "assignee_id" in params:
            raw = [params["assignee_id"]]
        else:
            return None
        if isinstance(raw, str):
            raw = [part for part in raw.split(",") if part.strip()]
        by_id = {user.id: user.username for user in self._users.values()}
        ids = [int(value) for value in raw or [] if str(value).strip().lstrip("-").isdigit()]
        return [by_id[user_id] for user_id in ids if user_id in by_id]

    def _update_issue_route(self, request: Request) -> Response:
        project = self._project_for(request)
        if isinstance(project, Response):
            return project
        issue = self._issue_for(project, request)
        if isinstance(issue, Response):
            return issue
        params = _params(request)
        if isinstance(params, Response):
            return params
        changes: dict = {}
        if "title" in params:
            if str(params["title"] or "").strip() == "":
                return Response(400, {"message": {"title": ["can't be blank"]}})
            changes["title"] = str(params["title"])
        if "description" in params:
            changes["description"] = str(params["description"] or "")
        if "state_event" in params:
            if params["state_event"] not in ("close", "reopen"):
                return Response(400, {"error": "state_event does not have a valid value"})
            changes["state_event"] = params["state_event"]
        for name in ("labels", "add_labels", "remove_labels"):
            if name in params:
                changes[name] = _names(params[name])
        assignees = self._assignees(params)
        if assignees is not None:
            changes["assignees"] = assignees
        if "confidential" in params:
            changes["confidential"] = _truthy(params["confidential"])
        if not changes:
            message = f"{UPDATABLE_ISSUE_PARAMS} are missing, at least one parameter must be provided"
            return Response(400, {"error": message})
        me = self._users[self.username.lower()].username
        self._apply_issue_changes(project, issue, changes, actor=me, when=self._tick())
        return Response(200, self._issue_json(project, issue))

    def _list_notes(self, request: Request) -> Response:
        project = self._project_for(request)
        if isinstance(project, Response):
            return project
        issue = self._issue_for(project, request)
        if isinstance(issue, Response):
            return issue
        order_by, sort = request.arg("order_by", "created_at"), request.arg("sort", "desc")
        if order_by not in ("created_at", "updated_at") or sort not in ("asc", "desc"):
            return Response(400, {"error": "order_by, sort does not have a valid value"})
        notes = sorted(issue.notes, key=lambda note: (getattr(note, order_by), note.id))
        return self._paginate(request, notes, self._note_json, reverse=sort == "desc")

    def _create_note_route(self, request: Request) -> Response:
        project = self._project_for(request)
        if isinstance(project, Response):
            return project
        issue = self._issue_for(project, request)
        if isinstance(issue, Response):
            return issue
        params = _params(request)
        if isinstance(params, Response):
            return params
        if "body" not in params:
            return Response(400, {"error": "body is missing"})
        if str(params["body"] or "").strip() == "":
            return Response(400, {"message": '400 Bad request - Note {:note=>["can\'t be blank"]}'})
        me = self._users[self.username.lower()].username
        note = self._create_note(project, issue, str(params["body"]), me, False, self._tick())
        return Response(201, self._note_json(note))

    def _list_hooks(self, request: Request) -> Response:
        project = self._project_for(request)
        if isinstance(project, Response):
            return project
        if (self._project_access(project) or 0) < MAINTAINER:
            return Response(403, {"message": "403 Forbidden"})
        return self._paginate(request, project.hooks, lambda hook: self._hook_json(project, hook))

    def _create_hook(self, request: Request) -> Response:
        project = self._project_for(request)
        if isinstance(project, Response):
            return project
        if (self._project_access(project) or 0) < MAINTAINER:
            return Response(403, {"message": "403 Forbidden"})
        params = _params(request)
        if isinstance(params, Response):
            return params
        if not params.get("url"):
            return Response(400, {"error": "url is missing"})
        flags = {
            "push_events": True,
            "issues_events": False,
            "confidential_issues_events": False,
            "merge_requests_events": False,
            "tag_push_events": False,
            "note_events": False,
            "confidential_note_events": False,
            "job_events": False,
            "pipeline_events": False,
            "wiki_page_events": False,
            "deployment_events": False,
            "releases_events": False,
            "enable_ssl_verification": True,
        }
        hook = {
            "id": self._next_id("hook"),
            "url": params["url"],
            "name": params.get("name"),
            "description": params.get("description"),
            "created_at": self._tick(),
            **{flag: _truthy(params[flag]) if flag in params else default for flag, default in flags.items()},
            "push_events_branch_filter": "",
            "repository_update_events": False,
            "alert_status": "executable",
            "disabled_until": None,
            "url_variables": [],
            "custom_webhook_template": None,
            "custom_headers": [],
            "token": params.get("token"),
        }
        project.hooks.append(hook)
        return Response(201, self._hook_json(project, hook))


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


def _params(request: Request) -> dict | Response:
    """Grape's parameters: query string, then a JSON or form body (`name[]` collects arrays)."""
    params: dict = {}

    def collect(pairs: dict[str, list[str]]) -> None:
        for key, values in pairs.items():
            params[key.removesuffix("[]")] = values if key.endswith("[]") else values[0]

    collect(request.query)
    if request.body:
        if "json" in request.headers.get("content-type", ""):
            try:
                body = json.loads(request.body)
            except ValueError:
                return Response(400, {"error": "400 Bad Request"})
            if not isinstance(body, dict):
                return Response(400, {"error": "400 Bad Request"})
            params.update(body)
        else:
            collect(parse_qs(request.body.decode(), keep_blank_values=True))
    return params


def _names(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [name.strip() for name in value.split(",") if name.strip()]
    return [str(name).strip() for name in value if str(name).strip()]  # type: ignore[union-attr]


def _truthy(value: object) -> bool:
    return value is True or str(value).lower() in ("true", "1", "yes")
