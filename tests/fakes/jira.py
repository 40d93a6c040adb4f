"""A fake Jira (Cloud REST v3/v2 or Server/Data Center REST v2) on loopback: seeding, state and the public API.

The HTTP side lives in jira_api.py (routes), jira_search.py (JQL search), jira_delete.py (deleting, sub-tasks)
and jira_render.py (JSON shapes); webhook payloads and signatures in jira_webhooks.py. JQL dates are read in the
fake user's time zone (UTC unless `time_zone=` says otherwise), as Jira reads them in the searching user's zone.
Timestamps come from `fake.clock` (server.FakeClock): real UTC now until `clock.set(...)`; every write at least
1 ms after the last.
"""

from __future__ import annotations

import uuid
from bisect import bisect_left, insort
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from .jira_api import JiraApiMixin
from .jira_data import (
    DEFAULT_STATUS_IDS,
    DEFAULT_STATUSES,
    DEFAULT_TRANSITIONS,
    EPOCH,
    ISSUE_TYPES,
    MILLISECOND,
    PRIORITIES,
    STATUS_CATEGORIES,
    CommentRecord,
    IssueRecord,
    ProjectRecord,
    UserRecord,
    adf_from_text,
    is_adf_document,
    to_ms,
)
from .jira_delete import JiraDeleteMixin
from .jira_render import ALL_FIELDS, JiraRenderMixin
from .jira_search import JiraSearchMixin
from .jira_webhooks import JiraWebhooksMixin
from .server import FakeClock, FakeServer

ALL = frozenset(ALL_FIELDS)
SEEDED_FIELDS = frozenset({"summary", "description", "labels", "priority", "assignee", "reporter", "issue_type"})


class FakeJira(JiraApiMixin, JiraDeleteMixin, JiraSearchMixin, JiraRenderMixin, JiraWebhooksMixin, FakeServer):
    """Jira Cloud (`deployment="cloud"`) or Server/Data Center (`"server"`), in memory and thread-safe."""

    def __init__(
        self,
        deployment: str = "cloud",
        email: str = "ana@acme.com",
        api_token: str = "jira-token",
        pat: str | None = None,
        *,
        username: str | None = None,
        display_name: str | None = None,
        time_zone: str = "UTC",
        context_path: str = "",
        anonymous_401: bool = True,
    ):
        if deployment not in ("cloud", "server"):
            raise ValueError("deployment is 'cloud' or 'server'")
        super().__init__()
        self.deployment = deployment
        self.cloud = deployment == "cloud"
        self.time_zone = ZoneInfo(time_zone)
        self.context_path = context_path.rstrip("/")
        # Real Jira treats a request without credentials as anonymous (404s, empty searches); the fake
        # answers 401 unless told otherwise.
        self.anonymous_401 = anonymous_401
        # Shared with the other fakes: real UTC now unless set(); every write strictly later (1 ms steps).
        self.clock = FakeClock(resolution=MILLISECOND)
        self.version = "1001.0.0-SNAPSHOT" if self.cloud else "9.12.15"
        self.deployment_type = "Cloud" if self.cloud else "Server"
        self.search_max_results = 100  # Server's cap for /search (a DC admin setting; 1000 by default there)
        self.users: list[UserRecord] = []
        self._user_index: dict[str, UserRecord] = {}  # account id, username, email, key (lower-cased)
        self.projects: dict[str, ProjectRecord] = {}
        self.issues: dict[int, IssueRecord] = {}
        self._keys: dict[str, int] = {}
        self._moved_keys: dict[str, int] = {}
        self._deleted: dict[str, IssueRecord] = {}
        self._comments: dict[int, tuple[IssueRecord, CommentRecord]] = {}
        self._credentials: dict[tuple[str, ...], UserRecord] = {}
        self._sequence = {"issue": 10000, "project": 10000, "comment": 10000, "user": 10000, "history": 10000}
        self.set_workflow(DEFAULT_STATUSES, DEFAULT_TRANSITIONS)
        self.me = self._add_user(email, display_name, None, username=username, secret=api_token, pat=pat)
        self._register_routes()

    @property
    def url(self) -> str:
        # Seeding may run before start(); links rendered then point at port 0.
        return (super().url if self._server else "http://127.0.0.1:0") + self.context_path

    def _tick(self) -> int:
        """The timestamp (epoch ms) of one write."""
        return to_ms(self.clock.tick())

    def _observe(self, moment) -> int:
        """An explicit (seeded) timestamp; later writes are stamped after it."""
        milliseconds = to_ms(moment)
        self.clock.observe(EPOCH + milliseconds * MILLISECOND)
        return milliseconds

    def _now_ms(self) -> int:
        return to_ms(self.clock.now())

    def _next(self, kind: str) -> int:
        self._sequence[kind] += 1
        return self._sequence[kind]

    # --- users, projects, workflow, permissions --------------------------------------------
    def add_user(
        self,
        name_or_email: str,
        display_name: str | None = None,
        account_id: str | None = None,
        *,
        api_token: str | None = None,
        password: str | None = None,
        pat: str | None = None,
    ) -> dict:
        """A Jira user (optionally with credentials: Cloud `api_token`, Server `password` and/or `pat`)."""
        with self.lock:
            secret = api_token if self.cloud else password
            user = self._add_user(name_or_email, display_name, account_id, secret=secret, pat=pat)
            return self._user_json(user, self._main_version)

    def _add_user(self, name_or_email, display_name, account_id, *, username=None, secret=None, pat=None) -> UserRecord:
        if "@" in name_or_email:
            email, name = name_or_email, username or name_or_email.split("@")[0]
        else:
            email, name = f"{name_or_email}@example.com", name_or_email
        user = UserRecord(
            id=self._next("user"),
            name=name,
            email=email,
            display_name=display_name or name.replace(".", " ").title(),
            account_id=account_id or f"712020:{uuid.uuid5(uuid.NAMESPACE_URL, email)}",
        )
        self.users.append(user)
        for identifier in (user.account_id, user.name, user.email, user.key):
            self._user_index.setdefault(identifier.lower(), user)
        if secret:
            self._credentials["basic", (email if self.cloud else name).lower(), secret] = user
        if pat and not self.cloud:
            self._credentials["bearer", pat] = user
        return user

    def _find_user(self, reference: str | None) -> UserRecord | None:
        return None if reference is None else self._user_index.get(reference.lower())

    def _seed_user(self, reference: str | None) -> UserRecord | None:
        """Seeding names people loosely: an unknown name or email becomes a new user."""
        if reference is None:
            return None
        return self._find_user(reference) or self._add_user(reference, None, None)

    def add_project(self, key: str, name: str | None = None, *, lead: str | None = None) -> dict:
        with self.lock:
            if key in self.projects:
                raise ValueError(f"project {key} exists")
            project = ProjectRecord(self._next("project"), key, name or key.title(), self._seed_user(lead) or self.me)
            self.projects[key] = project
            return self._project_json(project, self._main_version, full=True)

    def set_project_permissions(self, key: str, *, browse: bool = True, write: bool = True) -> None:
        """Nobody may see (404s, absent from searches) or change (403) the project's issues."""
        with self.lock:
            self.projects[key].browse, self.projects[key].write = browse, write

    def set_workflow(self, statuses: dict[str, str], transitions) -> None:
        """statuses: name -> category key (new|indeterminate|done); transitions: [{"id", "to", "name"?, "from"?}].

        A transition without "from" is global: offered in every status but its own target.
        """
        with self.lock:
            if any(category not in STATUS_CATEGORIES for category in statuses.values()):
                raise ValueError("status categories are new, indeterminate, done")
            if any(transition["to"] not in statuses for transition in transitions):
                raise ValueError("a transition goes to an unknown status")
            self.statuses = dict(statuses)
            self.status_ids = {name: DEFAULT_STATUS_IDS.get(name, str(10100 + n)) for n, name in enumerate(statuses)}
            self.transitions = [{"name": t["to"], "from": None, **t} for t in transitions]

    def available_transitions(self, issue: IssueRecord) -> list[dict]:
        return [
            transition
            for transition in self.transitions
            if (transition["from"] is None and transition["to"] != issue.status)
            or (transition["from"] is not None and issue.status in transition["from"])
        ]

    # --- issues and comments ---------------------------------------------------------------
    @property
    def _main_version(self) -> str:
        return "3" if self.cloud else "2"

    def _rich_text_in(self, value, what: str):
        """Seeded text in the deployment's storage format: Cloud keeps ADF, Server wiki markup."""
        if value is None or value == "":
            return None
        if self.cloud:
            if isinstance(value, str):
                return adf_from_text(value)
            if not is_adf_document(value):
                raise ValueError(f"{what} must be a string or an ADF document")
            return value
        if not isinstance(value, str):
            raise ValueError(f"Jira Server stores the {what} as wiki markup: pass a string, not ADF")
        return value

    def add_issue(
        self,
        project_key: str,
        summary: str,
        description=None,
        labels=(),
        assignee: str | None = None,
        status: str = "To Do",
        issue_type: str = "Task",
        priority: str | None = "Medium",
        reporter: str | None = None,
        created=None,
        updated=None,
    ) -> dict:
        """Seed an issue (no HTTP); returns {"id", "key", "self"} like POST /issue."""
        with self.lock:
            if status not in self.statuses or issue_type not in ISSUE_TYPES:
                raise ValueError(f"unknown status {status!r} or issue type {issue_type!r}")
            if priority is not None and priority not in PRIORITIES:
                raise ValueError(f"unknown priority {priority!r}")
            created_ms = self._observe(created) if created is not None else self._tick()
            updated_ms = self._observe(updated) if updated is not None else created_ms
            issue = self._create_issue(
                self.projects[project_key],
                summary=summary,
                description=self._rich_text_in(description, "description"),
                issue_type=issue_type,
                priority=priority,
                labels=list(labels),
                assignee=self._seed_user(assignee),
                reporter=self._seed_user(reporter) or self.me,
                created=created_ms,
                updated=updated_ms,
                status=status,
            )
            return {"id": str(issue.id), "key": issue.key, "self": f"{self._api(self._main_version)}/issue/{issue.id}"}

    def _create_issue(self, project: ProjectRecord, *, status: str = "To Do", **values) -> IssueRecord:
        number = project.next_number
        project.next_number += 1
        issue = IssueRecord(
            id=self._next("issue"), key=f"{project.key}-{number}", project=project, status=status, **values
        )
        if self.statuses[status] == "done":
            issue.resolution_date = issue.updated
        self.issues[issue.id] = issue
        self._keys[issue.key] = issue.id
        insort(project.by_updated, (issue.updated, issue.id))
        return issue

    def add_comment(self, issue_key: str, body, author: str | None = None, created=None) -> dict:
        """Seed a comment; like Jira, it moves the issue's `updated` forward. Returns {"id", "self"}."""
        with self.lock:
            issue = self._issue_or_error(issue_key)
            at = self._observe(created) if created is not None else self._tick()
            author_record = self._seed_user(author) or self.me
            comment = self._create_comment(issue, self._rich_text_in(body, "comment body"), author_record, at)
            return {
                "id": str(comment.id),
                "self": f"{self._api(self._main_version)}/issue/{issue.id}/comment/{comment.id}",
            }

    def _create_comment(self, issue: IssueRecord, body, author: UserRecord | None, at: int) -> CommentRecord:
        comment = CommentRecord(self._next("comment"), body, author, at, at)
        issue.comments.append(comment)
        self._comments[comment.id] = (issue, comment)
        if at > issue.updated:
            self._touch(issue, at)
        return comment

    def update_issue(self, key: str, **fields) -> dict:
        """Change summary, description, labels, priority, assignee, reporter, issue_type or status; bumps updated."""
        with self.lock:
            issue = self._issue_or_error(key)
            status = fields.pop("status", None)
            unknown = set(fields) - SEEDED_FIELDS
            if unknown:
                raise ValueError(f"cannot update {sorted(unknown)}")
            for person in ("assignee", "reporter"):
                if person in fields:
                    fields[person] = self._seed_user(fields[person])
            if "description" in fields:
                fields["description"] = self._rich_text_in(fields["description"], "description")
            if "labels" in fields:
                fields["labels"] = list(fields["labels"])
            self._apply_changes(issue, fields, self.me)
            if status is not None:
                self._set_status(issue, status, self.me)
            return self.issue(issue.key)

    def transition_issue(self, key: str, status_name: str) -> dict:
        """Put the issue in a status directly (seeding; the HTTP API goes through transitions)."""
        with self.lock:
            issue = self._issue_or_error(key)
            if status_name not in self.statuses:
                raise ValueError(f"unknown status {status_name!r}")
            self._set_status(issue, status_name, self.me)
            return self.issue(issue.key)

    def delete_issue(self, key: str) -> None:
        with self.lock:
            self._delete_issue(self._issue_or_error(key))

    def _delete_issue(self, issue: IssueRecord) -> None:
        self._unindex(issue)
        del self.issues[issue.id]
        self._keys.pop(issue.key, None)
        for old_key in [old for old, issue_id in self._moved_keys.items() if issue_id == issue.id]:
            del self._moved_keys[old_key]
        for comment in issue.comments:
            self._comments.pop(comment.id, None)
        self._deleted[issue.key] = issue

    def move_issue(self, key: str, to_project_key: str) -> str:
        """Move to another project: a new key; the old key keeps resolving to the issue, as in Jira."""
        with self.lock:
            issue = self._issue_or_error(key)
            target = self.projects[to_project_key]
            old_key, old_project = issue.key, issue.project
            self._unindex(issue)
            issue.project, issue.key = target, f"{target.key}-{target.next_number}"
            target.next_number += 1
            insort(target.by_updated, (issue.updated, issue.id))
            del self._keys[old_key]
            self._keys[issue.key] = issue.id
            self._moved_keys[old_key] = issue.id
            items = [
                _item("project", str(old_project.id), old_project.name, str(target.id), target.name),
                {
                    "field": "Key",
                    "fieldtype": "jira",
                    "from": None,
                    "fromString": old_key,
                    "to": None,
                    "toString": issue.key,
                },
            ]
            at = self._tick()
            self._record_change(issue, self.me, items, at)
            self._touch(issue, at)
            return issue.key

    def issue(self, key: str) -> dict:
        """The issue as GET /issue/{key} shows it (v3 on Cloud, v2 on Server), comments included."""
        with self.lock:
            return self._issue_json(self._issue_or_error(key), self._main_version, ALL)

    def _issue_by_reference(self, reference: str) -> IssueRecord | None:
        if reference.isdigit():
            return self.issues.get(int(reference))
        issue_id = self._keys.get(reference.upper()) or self._moved_keys.get(reference.upper())
        return self.issues.get(issue_id) if issue_id else None

    def _issue_or_error(self, key: str) -> IssueRecord:
        issue = self._issue_by_reference(key)
        if issue is None:
            raise KeyError(f"no issue {key}")
        return issue

    # --- changing state (shared by seeding and the HTTP API) --------------------------------
    def _unindex(self, issue: IssueRecord) -> None:
        index = issue.project.by_updated
        position = bisect_left(index, (issue.updated, issue.id))
        if position < len(index) and index[position] == (issue.updated, issue.id):
            del index[position]

    def _touch(self, issue: IssueRecord, at: int) -> None:
        self._unindex(issue)
        issue.updated = at
        insort(issue.project.by_updated, (at, issue.id))

    def _record_change(self, issue: IssueRecord, author: UserRecord | None, items: list[dict], at: int) -> None:
        issue.history.append({"id": self._next("history"), "author": author, "created": at, "items": items})

    def _apply_changes(self, issue: IssueRecord, changes: dict, author: UserRecord | None) -> bool:
        """Set fields (record names: summary, description, labels, priority, assignee, reporter, issue_type)."""
        items = []
        for name, value in changes.items():
            old = getattr(issue, name)
            if old == value:
                continue
            items.append(self._change_item(name, old, value))
            setattr(issue, name, value)
        if not items:
            return False
        at = self._tick()
        self._record_change(issue, author, items, at)
        self._touch(issue, at)
        return True

    def _set_status(self, issue: IssueRecord, status: str, author: UserRecord | None) -> None:
        old = issue.status
        if old == status:
            return
        items = [_item("status", self.status_ids[old], old, self.status_ids[status], status)]
        at = self._tick()
        was_done, is_done = self.statuses[old] == "done", self.statuses[status] == "done"
        if is_done and not was_done:
            items.append(_item("resolution", None, None, "10000", "Done"))
            issue.resolution_date = at
        elif was_done and not is_done:
            items.append(_item("resolution", "10000", "Done", None, None))
            issue.resolution_date = None
        issue.status = status
        self._record_change(issue, author, items, at)
        self._touch(issue, at)

    def _change_item(self, name: str, old, new) -> dict:
        """A changelog item for a field change, in Jira's field naming."""
        field = {"issue_type": "issuetype"}.get(name, name)
        if name in ("assignee", "reporter"):
            ids = [None if user is None else user.account_id if self.cloud else user.name for user in (old, new)]
            return _item(field, ids[0], old and old.display_name, ids[1], new and new.display_name)
        if name == "labels":
            return _item(field, None, " ".join(old), None, " ".join(new))
        if name == "priority":
            return _item(field, PRIORITIES.get(old), old, PRIORITIES.get(new), new)
        if name == "issue_type":
            return _item(field, ISSUE_TYPES[old], old, ISSUE_TYPES[new], new)
        if name == "description":
            return _item(field, None, self._rich_text_out(old, "2"), None, self._rich_text_out(new, "2"))
        return _item(field, None, old, None, new)

    # --- faults ------------------------------------------------------------------------------
    def rate_limit_next(
        self, retry_after: int = 1, *, times: int = 1, path_contains: str = "", reason: str = "jira-burst-based"
    ) -> None:
        """The next `times` requests get 429 with the headers the deployment sends (Cloud or Data Center)."""
        reset = datetime.now(UTC) + timedelta(seconds=retry_after)
        if self.cloud:
            headers = {
                "Retry-After": str(retry_after),
                "X-RateLimit-Limit": "100",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": f"{reset:%Y-%m-%dT%H:%M}Z",
                "X-RateLimit-NearLimit": "true",
                "RateLimit-Reason": reason,
            }
            body = {"errorMessages": ["The request has been rate-limited. Please try again later."], "errors": {}}
        else:
            headers = {
                "Retry-After": str(retry_after),
                "X-RateLimit-Limit": "10",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-FillRate": "10",
                "X-RateLimit-Interval-Seconds": "1",
                "Content-Type": "text/html;charset=utf-8",
            }
            body = "<!doctype html><html><body><h1>HTTP Status 429 - Too Many Requests</h1><p>Rate limit exceeded.</p></body></html>"
        self.fail_next(429, times=times, headers=headers, body=body, path_contains=path_contains)


def _item(field: str, from_id, from_string, to_id, to_string) -> dict:
    return {
        "field": field,
        "fieldtype": "jira",
        "fieldId": field,
        "from": from_id,
        "fromString": from_string,
        "to": to_id,
        "toString": to_string,
    }
