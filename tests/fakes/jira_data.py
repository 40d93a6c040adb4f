"""The Jira fake's in-memory records and the text formats (ADF, wiki, timestamps) it converts between."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MILLISECOND = timedelta(milliseconds=1)

# statusCategory key -> (id, name, colorName), as Jira ships them.
STATUS_CATEGORIES = {
    "new": (2, "To Do", "blue-gray"),
    "indeterminate": (4, "In Progress", "yellow"),
    "done": (3, "Done", "green"),
}
DEFAULT_STATUSES = {"To Do": "new", "In Progress": "indeterminate", "Done": "done"}
DEFAULT_STATUS_IDS = {"To Do": "10000", "In Progress": "3", "Done": "10001"}
DEFAULT_TRANSITIONS = (
    {"id": "11", "name": "To Do", "to": "To Do"},
    {"id": "21", "name": "In Progress", "to": "In Progress"},
    {"id": "31", "name": "Done", "to": "Done"},
)
PRIORITIES = {"Highest": "1", "High": "2", "Medium": "3", "Low": "4", "Lowest": "5"}
ISSUE_TYPES = {"Task": "10001", "Bug": "10004", "Story": "10002", "Epic": "10000"}
SUBTASK_TYPES = {"Sub-task": "10003"}  # seeded with add_subtask only: a sub-task always has a parent


def to_ms(moment: datetime | str | int | float) -> int:
    """Epoch milliseconds from an aware datetime, an ISO string (naive means UTC) or a number of ms."""
    if isinstance(moment, int | float):
        return int(moment)
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - EPOCH) // MILLISECOND


def format_timestamp(milliseconds: int | None, time_zone: ZoneInfo) -> str | None:
    """Jira's REST timestamp: 2026-11-25T10:00:00.000+0000, in the user's time zone."""
    if milliseconds is None:
        return None
    moment = datetime.fromtimestamp(milliseconds / 1000, time_zone)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{milliseconds % 1000:03d}{moment:%z}"


@dataclass(slots=True, eq=False)
class UserRecord:
    id: int
    name: str  # Server's username
    email: str
    display_name: str
    account_id: str  # Cloud's identifier

    @property
    def key(self) -> str:
        return f"JIRAUSER{self.id}"


@dataclass(slots=True, eq=False)
class CommentRecord:
    id: int
    body: object  # ADF dict on Cloud, wiki string on Server
    author: UserRecord | None
    created: int
    updated: int


@dataclass(slots=True, eq=False)
class IssueRecord:
    id: int
    key: str
    project: ProjectRecord
    summary: str
    description: object
    issue_type: str
    status: str
    priority: str | None
    labels: list[str]
    assignee: UserRecord | None
    reporter: UserRecord | None
    created: int
    updated: int
    resolution_date: int | None = None
    parent_id: int | None = None  # a sub-task's parent
    comments: list[CommentRecord] = field(default_factory=list)
    history: list[dict] = field(default_factory=list)  # {"id", "author", "created", "items"}

    @property
    def number(self) -> int:
        return int(self.key.rsplit("-", 1)[1])


@dataclass(slots=True, eq=False)
class ProjectRecord:
    id: int
    key: str
    name: str
    lead: UserRecord | None
    next_number: int = 1
    browse: bool = True
    write: bool = True
    delete: bool = True  # the Delete Issues permission, separate from editing in Jira's permission schemes
    # (updated ms, issue id), ascending: incremental-sync searches read a page from here by bisecting.
    by_updated: list[tuple[int, int]] = field(default_factory=list)


# --- Atlassian Document Format <-> text -----------------------------------------------------
def adf_from_text(text: str | None) -> dict | None:
    """A plain string as Jira Cloud stores it: one paragraph, newlines as hard breaks."""
    if not text:
        return None
    content: list[dict] = []
    for index, line in enumerate(text.split("\n")):
        if index:
            content.append({"type": "hardBreak"})
        if line:
            content.append({"type": "text", "text": line})
    return {"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": content}]}


def is_adf_document(value: object) -> bool:
    return (
        isinstance(value, dict)
        and value.get("type") == "doc"
        and value.get("version") == 1
        and isinstance(value.get("content"), list)
    )


def adf_to_wiki(node: dict | None) -> str | None:
    """A rough wiki-markup rendering of ADF, as Cloud's v2 API and webhooks show descriptions and comments."""
    if node is None:
        return None
    kind = node.get("type")
    children = node.get("content", [])
    if kind == "doc":
        return "\n\n".join(adf_to_wiki(child) for child in children)
    if kind in ("bulletList", "orderedList"):
        marker = "*" if kind == "bulletList" else "#"
        return "\n".join(f"{marker} {adf_to_wiki(item)}" for item in children)
    inner = "".join(adf_to_wiki(child) for child in children)
    attrs = node.get("attrs") or {}
    if kind == "text":
        return node.get("text", "")
    if kind == "hardBreak":
        return "\n"
    if kind == "mention":
        return f"[~accountid:{attrs.get('id', '')}]"
    if kind == "heading":
        return f"h{attrs.get('level', 1)}. {inner}"
    if kind == "codeBlock":
        return "{code}" + inner + "{code}"
    return inner


class JiraError(Exception):
    """An error answer, in Jira's shape: {"errorMessages": [...], "errors": {field: message}}."""

    def __init__(self, status: int, *messages: str, errors: dict | None = None, body=None, headers=None):
        super().__init__(status, messages)
        self.status = status
        self.body = body if body is not None else {"errorMessages": list(messages), "errors": errors or {}}
        self.headers = headers or {}
