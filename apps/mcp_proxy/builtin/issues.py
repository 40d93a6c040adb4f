"""The issue tools: get_issue, create_issue, update_issue, over the user's synced trackers."""

from __future__ import annotations

import uuid

from apps.issues.models import Issue
from apps.issues.references import HOW_TO_WRITE, IssueReferenceInvalid, issue_reference_resolve
from apps.issues.selectors import issue_get
from apps.issues.writes import issue_comment_add, issue_create, issue_update
from apps.mcp_proxy.builtin.issue_format import ISSUE_OBJECT_SCHEMA, issue_as_dict, issue_as_text
from apps.mcp_proxy.registry import ToolError, ToolOutput, ToolSpec, tool_register
from apps.trackers.clients.base import IssueDraft
from apps.trackers.models import Project
from apps.trackers.selectors import project_list

ISSUE_REFERENCE = {
    "type": "string",
    "minLength": 1,
    "description": "The issue: `organization/project#number` (`acme/api#42`), a Jira key (`PROJ-123`), "
    "its URL in the tracker, or Preloop's issue id.",
}
TEXT = {"type": "string", "maxLength": 65536}
FIELDS = {
    "title": {"type": "string", "minLength": 1, "maxLength": 1000, "description": "One line summary."},
    "description": {**TEXT, "description": "The body, in Markdown."},
    "labels": {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 255}, "maxItems": 100,
               "description": "Label names; replaces the issue's labels."},
    "priority": {"type": "string", "maxLength": 100, "description": "e.g. `High`; Jira priority name, "
                 "or a `priority: …` label on GitHub/GitLab."},
    "assignee": {"type": "string", "maxLength": 255, "description": "Tracker user name (GitHub login, GitLab "
                 "username, Jira account id); empty string to unassign."},
    "issue_type": {"type": "string", "maxLength": 100, "description": "Jira issue type, e.g. `Bug`; default Task."},
}  # fmt: skip
ISSUE_RESULT_SCHEMA = {"type": "object", "properties": {"issue": ISSUE_OBJECT_SCHEMA}, "required": ["issue"]}


def _issue(user, reference: str) -> Issue:
    try:
        return issue_reference_resolve(user=user, reference=reference)
    except Issue.DoesNotExist as missing:
        raise ToolError(f"{missing} {HOW_TO_WRITE} Only issues of your own synced trackers can be used.") from None
    except IssueReferenceInvalid as problem:
        raise ToolError(str(problem)) from None


def _project(user, reference: str) -> Project:
    """A project of the user's: its id, `organization/project`, or an identifier only one project has."""
    text = reference.strip()
    projects = project_list(user=user).select_related("organization__tracker")
    try:
        matches = projects.filter(id=uuid.UUID(text))
    except ValueError:
        if "/" in text:
            organization, _, identifier = text.rpartition("/")
            matches = projects.filter(organization__identifier__iexact=organization, identifier__iexact=identifier)
        else:
            matches = projects.filter(identifier__iexact=text)
    found = list(matches[:2])
    if len(found) == 1:
        return found[0]
    known = ", ".join(sorted(f"{p.organization.identifier}/{p.identifier}" for p in projects[:20]))
    if not found:
        raise ToolError(f"No project {text!r} among your trackers' projects. Known projects: {known or 'none'}.")
    raise ToolError(f"{text!r} fits more than one project; write it as `organization/project` ({known}).")


def _detail(user, issue: Issue, heading: str) -> ToolOutput:
    data = issue_as_dict(issue_get(user=user, issue_id=issue.id), with_comments=True)
    return ToolOutput(structured={"issue": data}, text=issue_as_text(data, heading=heading))


def get_issue(*, user, arguments: dict, context=None) -> ToolOutput:
    issue = _issue(user, arguments["issue"])
    data = issue_as_dict(issue, with_comments=True)
    return ToolOutput(structured={"issue": data}, text=issue_as_text(data))


def create_issue(*, user, arguments: dict, context=None) -> ToolOutput:
    project = _project(user, arguments["project"])
    fields = {name: arguments[name] for name in FIELDS if name in arguments}
    issue = issue_create(project=project, draft=IssueDraft(**fields))
    return _detail(user, issue, heading=f"Created {project.organization.identifier}/{project.identifier}{issue.key}"
                   if issue.key.startswith("#") else f"Created {issue.key}")  # fmt: skip


def update_issue(*, user, arguments: dict, context=None) -> ToolOutput:
    issue = _issue(user, arguments["issue"])
    state, status = arguments.get("state"), arguments.get("status")
    if state and status and state != status and status in ("open", "closed"):
        raise ToolError(f"state {state!r} and status {status!r} disagree; give one of them.")
    fields = {name: arguments[name] for name in ("title", "description", "labels", "priority", "assignee")
              if name in arguments}  # fmt: skip
    if status or state:
        fields["status"] = status or state
    comment = arguments.get("comment", "")
    if not fields and not comment:
        raise ToolError("Nothing to change: give at least one of title, description, status, state, labels, "
                        "priority, assignee or comment.")  # fmt: skip
    if fields:
        issue = issue_update(issue=issue, changes=IssueDraft(**fields))
    if comment:
        issue_comment_add(issue=issue, body=comment)
    done = ", ".join([*fields, *(["comment"] if comment else [])])
    return _detail(user, issue, heading=f"Updated ({done}).")


tool_register(ToolSpec(
    name="get_issue",
    title="Get issue",
    description="Read one issue from your connected trackers (GitHub, GitLab, Jira) with its description, state, "
    "labels, assignee and all comments. Address it as you would write it: `acme/api#42`, `PROJ-123`, its URL, or "
    "Preloop's id. Reads Preloop's synced copy, kept current by sync and webhooks.",
    input_schema={"type": "object", "properties": {"issue": ISSUE_REFERENCE}, "required": ["issue"],
                  "additionalProperties": False},
    output_schema=ISSUE_RESULT_SCHEMA,
    handler=get_issue,
    read_only=True, idempotent=True,
))  # fmt: skip

tool_register(ToolSpec(
    name="create_issue",
    title="Create issue",
    description="Create an issue in one of your tracker projects; it is written to the tracker first, then stored "
    "in Preloop. Name the project as `organization/project` (e.g. `acme/api`, or `acme` + `PROJ` for Jira: "
    "`acme.atlassian.net/PROJ`) or by its Preloop id. Returns the new issue with its reference and URL.",
    input_schema={"type": "object", "properties": {
        "project": {"type": "string", "minLength": 1, "description": "`organization/project` or the project id."},
        **FIELDS,
    }, "required": ["project", "title"], "additionalProperties": False},
    output_schema=ISSUE_RESULT_SCHEMA,
    handler=create_issue,
    open_world=True,
))  # fmt: skip

tool_register(ToolSpec(
    name="update_issue",
    title="Update issue",
    description="Change an issue in its tracker and/or add a comment: title, description, state (open/closed) or "
    "a Jira status name such as `In Progress`, labels (replaces them), priority, assignee. Send only what "
    "changes. Address the issue as `acme/api#42`, `PROJ-123`, its URL, or Preloop's id.",
    input_schema={"type": "object", "properties": {
        "issue": ISSUE_REFERENCE,
        **{name: schema for name, schema in FIELDS.items() if name != "issue_type"},
        "state": {"type": "string", "enum": ["open", "closed"], "description": "Open or close the issue."},
        "status": {"type": "string", "minLength": 1, "maxLength": 100,
                   "description": "open/closed, or on Jira a workflow status name such as `In Progress`."},
        "comment": {**TEXT, "minLength": 1, "description": "A comment to add, in Markdown."},
    }, "required": ["issue"], "additionalProperties": False},
    output_schema=ISSUE_RESULT_SCHEMA,
    handler=update_issue,
    destructive=True, open_world=True,
))  # fmt: skip
