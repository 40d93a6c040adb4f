"""How the issue tools show an issue: a JSON object for programs, Markdown for people and models."""

from __future__ import annotations

from apps.issues.models import Issue


def _when(value) -> str | None:
    return value.isoformat() if value else None


def issue_reference(issue: Issue) -> str:
    """The reference a user would write: `acme/api#42` for GitHub/GitLab, the key (`PROJ-7`) for Jira."""
    project = issue.project
    if issue.key.startswith("#"):
        return f"{project.organization.identifier}/{project.identifier}{issue.key}"
    return issue.key


def issue_as_dict(issue: Issue, *, with_comments: bool = False) -> dict:
    project = issue.project
    data = {
        "id": str(issue.id),
        "reference": issue_reference(issue),
        "key": issue.key,
        "number": issue.number,
        "project": f"{project.organization.identifier}/{project.identifier}",
        "project_id": str(project.id),
        "tracker_type": project.organization.tracker.tracker_type,
        "title": issue.title,
        "description": issue.description,
        "state": issue.state,
        "status": issue.status,
        "issue_type": issue.issue_type,
        "labels": list(issue.labels),
        "priority": issue.priority,
        "assignee": issue.assignee,
        "author": issue.author,
        "url": issue.url,
        "created_at": _when(issue.created_at_tracker),
        "updated_at": _when(issue.updated_at_tracker),
        "closed_at": _when(issue.closed_at),
        "deleted_at": _when(issue.deleted_at),
    }
    if with_comments:
        data["comments"] = [
            {
                "id": str(c.id),
                "author": c.author,
                "body": c.body,
                "url": c.url,
                "created_at": _when(c.created_at_tracker),
            }
            for c in issue.comments.all()
        ]
    return data


def issue_as_text(data: dict, *, heading: str = "") -> str:
    """Markdown of an `issue_as_dict` result."""
    lines = [heading] if heading else []
    lines.append(f"# {data['reference']}: {data['title']}")
    facts = [f"state: {data['state']}" + (f" ({data['status']})" if data["status"] else "")]
    for name in ("issue_type", "priority", "assignee", "author"):
        if data[name]:
            facts.append(f"{name.replace('_', ' ')}: {data[name]}")
    if data["labels"]:
        facts.append("labels: " + ", ".join(data["labels"]))
    lines.append(" · ".join(facts))
    if data["url"]:
        lines.append(data["url"])
    lines.append("")
    lines.append(data["description"] or "(no description)")
    comments = data.get("comments")
    if comments:
        lines.append("")
        lines.append(f"## Comments ({len(comments)})")
        for comment in comments:
            lines.append(f"**{comment['author'] or 'unknown'}** ({comment['created_at'] or 'undated'}):")
            lines.append(comment["body"])
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


ISSUE_OBJECT_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "description": "Preloop's id of the issue."},
        "reference": {"type": "string", "description": "How to name it in other calls, e.g. `acme/api#42`."},
        "title": {"type": "string"},
        "state": {"type": "string", "enum": ["open", "closed"]},
        "url": {"type": "string"},
    },
    "required": ["id", "reference", "title", "state"],
}
