"""The interface every tracker client implements, the data it returns and the errors it raises.

Clients speak to the tracker and translate its payloads into these neutral records; sync and the
built-in tools only ever see these records, never a tracker's own JSON layout.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class RemoteOrganization:
    identifier: str  # GitHub login, GitLab group full path, Jira site host
    name: str
    description: str = ""


@dataclass(frozen=True)
class RemoteProject:
    organization_identifier: str
    identifier: str  # GitHub repo name, GitLab project path, Jira project key
    name: str
    description: str = ""
    external_id: str = ""
    url: str = ""
    open_issue_count: int | None = None


@dataclass
class RemoteComment:
    external_id: str
    body: str
    author: str = ""
    url: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None
    raw: dict = field(default_factory=dict)


@dataclass
class RemoteIssue:
    external_id: str
    key: str
    title: str
    description: str = ""
    state: str = "open"  # open | closed
    status: str = ""
    number: int | None = None
    issue_type: str = ""
    labels: list[str] = field(default_factory=list)
    priority: str = ""
    assignee: str = ""
    author: str = ""
    url: str = ""
    api_url: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None
    closed_at: datetime | None = None
    comment_count: int | None = None  # None: unknown, fetch comments to be sure
    moved_to: str = ""  # the issue's new key/url when the tracker says it moved
    raw: dict = field(default_factory=dict)
    comments: list[RemoteComment] | None = None  # filled by get_issue


@dataclass
class IssueDraft:
    """Fields for creating an issue, or (all optional) for updating one."""

    title: str | None = None
    description: str | None = None
    labels: list[str] | None = None
    priority: str | None = None
    assignee: str | None = None
    status: str | None = None  # open/closed, or a Jira status name
    issue_type: str | None = None


@dataclass(frozen=True)
class ConnectionReport:
    ok: bool
    message: str
    account: str = ""
    scopes: tuple[str, ...] = ()
    project_name: str = ""
    issue_count: int | None = None
    problem: str = ""  # when not ok: authentication | permission | not_found | rate_limited | unavailable | …


class TrackerError(Exception):
    """A tracker refused or failed a request; the message says what the user can do about it."""

    status_code: int | None = None

    def __init__(self, message: str, *, status_code: int | None = None, retry_after: float | None = None):
        super().__init__(message)
        if status_code is not None:
            self.status_code = status_code
        self.retry_after = retry_after


class TrackerAuthError(TrackerError):
    """401: the token is wrong, expired or revoked."""


class TrackerPermissionError(TrackerError):
    """403: the token works but lacks a scope or access to this object."""


class TrackerNotFound(TrackerError):
    """404: no such object, or the token may not see it."""


class TrackerGone(TrackerError):
    """410: the object was deleted."""


class TrackerValidationError(TrackerError):
    """400/422: the tracker rejected what we sent."""


class TrackerRateLimited(TrackerError):
    """429 or a rate-limit 403 that outlasted our retries."""


class TrackerUnavailable(TrackerError):
    """5xx, timeouts and connection failures: worth retrying later."""


class TrackerUrlRefused(TrackerError):
    """The tracker's URL points somewhere Preloop may not call (see preloop.http.outbound_url_check)."""


class TrackerClient(abc.ABC):
    """One tracker account. Iterators stream page by page so memory stays flat."""

    @abc.abstractmethod
    def test_connection(self, *, organization: str = "", project: str = "") -> ConnectionReport: ...

    @abc.abstractmethod
    def list_organizations(self) -> Iterator[RemoteOrganization]: ...

    @abc.abstractmethod
    def list_projects(self, organization: str) -> Iterator[RemoteProject]: ...

    @abc.abstractmethod
    def iter_issues(self, organization: str, project: str, *, since: datetime | None = None) -> Iterator[RemoteIssue]:
        """Issues changed at or after `since` (all when None), oldest change first."""

    @abc.abstractmethod
    def iter_comments(
        self, organization: str, project: str, issue: RemoteIssue, *, since: datetime | None = None
    ) -> Iterator[RemoteComment]: ...

    @abc.abstractmethod
    def get_issue(self, organization: str, project: str, key: str) -> RemoteIssue:
        """One issue with its comments; raises TrackerNotFound / TrackerGone."""

    @abc.abstractmethod
    def create_issue(self, organization: str, project: str, draft: IssueDraft) -> RemoteIssue: ...

    @abc.abstractmethod
    def update_issue(self, organization: str, project: str, key: str, changes: IssueDraft) -> RemoteIssue: ...

    @abc.abstractmethod
    def add_comment(self, organization: str, project: str, key: str, body: str) -> RemoteComment: ...

    @abc.abstractmethod
    def delete_issue(self, organization: str, project: str, key: str) -> None:
        """Delete the issue for good; raises TrackerPermissionError when the token may not (trackers keep
        deleting for admins and owners), TrackerNotFound / TrackerGone when it is not there to delete."""

    def iter_project_comments(
        self, organization: str, project: str, *, since: datetime | None = None
    ) -> Iterator[tuple[str, RemoteComment]] | None:
        """All comments of a project changed since `since`, with their issue's key, when the tracker
        can list them in one stream (GitHub); None where comments must be read per issue."""
        return None

    def close(self) -> None:  # noqa: B027 - optional hook: clients without a pool have nothing to release
        """Release the HTTP connection pool."""
