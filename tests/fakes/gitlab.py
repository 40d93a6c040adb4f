"""A fake GitLab REST API (v4) on loopback: users, nested groups, projects, issues, notes, project hooks.

It answers like gitlab.com on the points a sync client depends on: PRIVATE-TOKEN or Bearer auth with token
scopes, projects and groups addressed by id or URL-encoded full path (a raw slash is a 404), offset pagination
with X-Page/X-Total headers (the totals left out past 10,000 rows, as GitLab does) and `Link`, keyset pagination
for project issues, moved issues (closed, `moved_to_id`), system notes, 429 rate limiting, and GitLab's two
error shapes (`{"message": ...}` from models, `{"error": ...}` from parameter checks). Seeding methods write
straight into memory, no HTTP; list results are sorted once per distinct query and then served page by page.

The HTTP side lives in gitlab_api.py and gitlab_issues.py (routes) and gitlab_http.py (auth, throttling,
pagination); JSON shapes in gitlab_render.py; records and sorted indexes in gitlab_store.py; webhook payloads in
gitlab_webhooks.py.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from .gitlab_api import GitLabApiMixin
from .gitlab_http import DEFAULT_PER_PAGE, MAX_PER_PAGE, RATE_LIMIT_PER_MINUTE, TOTALS_LIMIT, GitLabHttpMixin
from .gitlab_issues import KEYSET_ORDERS, UPDATABLE_ISSUE_PARAMS, GitLabIssuesMixin
from .gitlab_render import GitLabRenderMixin
from .gitlab_store import (
    _IDS,
    DEVELOPER,
    GUEST,
    MAINTAINER,
    OWNER,
    REPORTER,
    GitLabStoreMixin,
    _Group,
    _index,
    _Note,
    _Project,
    _unindex,
    _User,
    hook_stamp,
    stamp,
)
from .gitlab_webhooks import HOOK_EVENTS, VISIBILITY_LEVELS, GitLabWebhooksMixin
from .server import FakeClock, FakeServer

__all__ = [
    "DEFAULT_PER_PAGE",
    "DEVELOPER",
    "GUEST",
    "HOOK_EVENTS",
    "KEYSET_ORDERS",
    "MAINTAINER",
    "MAX_PER_PAGE",
    "OWNER",
    "RATE_LIMIT_PER_MINUTE",
    "REPORTER",
    "TOTALS_LIMIT",
    "UPDATABLE_ISSUE_PARAMS",
    "VISIBILITY_LEVELS",
    "FakeGitLab",
    "hook_stamp",
    "stamp",
]


class FakeGitLab(
    GitLabApiMixin,
    GitLabIssuesMixin,
    GitLabHttpMixin,
    GitLabWebhooksMixin,
    GitLabRenderMixin,
    GitLabStoreMixin,
    FakeServer,
):
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
            self._remove_issue(target, target.issues[iid])

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
