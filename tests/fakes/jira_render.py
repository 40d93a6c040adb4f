"""How the Jira fake renders its records as JSON, per deployment (Cloud, Server) and API version (2, 3)."""

from __future__ import annotations

from .jira_data import (
    ISSUE_TYPES,
    PRIORITIES,
    STATUS_CATEGORIES,
    SUBTASK_TYPES,
    CommentRecord,
    IssueRecord,
    ProjectRecord,
    UserRecord,
    adf_to_wiki,
    format_timestamp,
)

ALL_FIELDS = (
    "summary",
    "description",
    "status",
    "issuetype",
    "priority",
    "labels",
    "assignee",
    "reporter",
    "creator",
    "created",
    "updated",
    "resolution",
    "resolutiondate",
    "project",
    "comment",
)
# Search answers with "navigable" fields by default; comments are not among them.
NAVIGABLE_FIELDS = frozenset(ALL_FIELDS) - {"comment"}
ISSUE_EXPAND = "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations"


def wanted_fields(specs: list[str] | None, default: str) -> frozenset[str] | None:
    """Jira's `fields` parameter (`*all`, `*navigable`, names, `-name`) as a set; None means bare ids."""
    names = [name.strip() for spec in specs or [] for name in spec.split(",") if name.strip()]
    if not names:
        return {"*all": frozenset(ALL_FIELDS), "*navigable": NAVIGABLE_FIELDS, "id": None}[default]
    if all(name in ("id", "key") for name in names):
        return frozenset()
    selected: set[str] = set()
    if all(name.startswith("-") for name in names):
        selected |= NAVIGABLE_FIELDS if default != "*all" else set(ALL_FIELDS)
    for name in names:
        if name == "*all":
            selected |= set(ALL_FIELDS)
        elif name == "*navigable":
            selected |= NAVIGABLE_FIELDS
        elif name.startswith("-"):
            selected.discard(name[1:])
        elif name in ALL_FIELDS:
            selected.add(name)
    return frozenset(selected)


class JiraRenderMixin:
    """Mixed into FakeJira: needs `url`, `cloud`, `time_zone`, `statuses`, `status_ids`."""

    def _api(self, version: str) -> str:
        return f"{self.url}/rest/api/{version}"

    def _timestamp(self, milliseconds: int | None) -> str | None:
        return format_timestamp(milliseconds, self.time_zone)

    def _avatars(self, seed: str) -> dict:
        return {
            size: f"{self.url}/secure/useravatar?size={size}&ownerId={seed}"
            for size in ("48x48", "24x24", "16x16", "32x32")
        }

    def _user_json(self, user: UserRecord | None, version: str) -> dict | None:
        if user is None:
            return None
        common = {
            "emailAddress": user.email,
            "avatarUrls": self._avatars(user.account_id if self.cloud else user.key),
            "displayName": user.display_name,
            "active": True,
            "timeZone": str(self.time_zone),
        }
        if self.cloud:
            return {
                "self": f"{self._api(version)}/user?accountId={user.account_id}",
                "accountId": user.account_id,
                "accountType": "atlassian",
                **common,
            }
        return {"self": f"{self._api(version)}/user?username={user.name}", "name": user.name, "key": user.key, **common}

    def _project_json(self, project: ProjectRecord, version: str, *, full: bool = False) -> dict:
        data = {
            "expand": "description,lead,issueTypes,url,projectKeys,permissions,insight",
            "self": f"{self._api(version)}/project/{project.id}",
            "id": str(project.id),
            "key": project.key,
            "name": project.name,
            "avatarUrls": {
                size: f"{self.url}/secure/projectavatar?pid={project.id}&size={size}" for size in ("48x48", "24x24")
            },
            "projectTypeKey": "software",
        }
        if self.cloud:
            data |= {"simplified": False, "style": "classic", "isPrivate": False}
        if full:
            data |= {
                "description": "",
                "lead": self._user_json(project.lead, version),
                "assigneeType": "UNASSIGNED",
                "issueTypes": [self._issue_type_json(name, version) for name in ISSUE_TYPES],
                "components": [],
                "versions": [],
            }
        return data

    def _status_json(self, name: str, version: str) -> dict:
        status_id = self.status_ids[name]
        category = self.statuses[name]
        category_id, category_name, color = STATUS_CATEGORIES[category]
        return {
            "self": f"{self._api(version)}/status/{status_id}",
            "description": "",
            "iconUrl": f"{self.url}/images/icons/statuses/generic.png",
            "name": name,
            "id": status_id,
            "statusCategory": {
                "self": f"{self._api(version)}/statuscategory/{category_id}",
                "id": category_id,
                "key": category,
                "colorName": color,
                "name": category_name,
            },
        }

    def _issue_type_json(self, name: str, version: str) -> dict:
        type_id = ISSUE_TYPES.get(name) or SUBTASK_TYPES[name]
        return {
            "self": f"{self._api(version)}/issuetype/{type_id}",
            "id": type_id,
            "description": "",
            "iconUrl": f"{self.url}/secure/viewavatar?size=medium&avatarId={type_id}&avatarType=issuetype",
            "name": name,
            "subtask": name in SUBTASK_TYPES,
            "hierarchyLevel": {"Epic": 1, "Sub-task": -1}.get(name, 0),
        }

    def _priority_json(self, name: str | None, version: str) -> dict | None:
        if name is None:
            return None
        return {
            "self": f"{self._api(version)}/priority/{PRIORITIES[name]}",
            "iconUrl": f"{self.url}/images/icons/priorities/{name.lower()}.svg",
            "name": name,
            "id": PRIORITIES[name],
        }

    def _rich_text_out(self, value: object, version: str) -> object:
        """Cloud stores ADF: v3 shows it as is, v2 (and webhooks) as wiki markup. Server stores wiki markup."""
        if self.cloud and version == "2":
            return adf_to_wiki(value)
        return value

    def _comment_json(self, issue: IssueRecord, comment: CommentRecord, version: str) -> dict:
        data = {
            "self": f"{self._api(version)}/issue/{issue.id}/comment/{comment.id}",
            "id": str(comment.id),
            "author": self._user_json(comment.author, version),
            "body": self._rich_text_out(comment.body, version),
            "updateAuthor": self._user_json(comment.author, version),
            "created": self._timestamp(comment.created),
            "updated": self._timestamp(comment.updated),
        }
        if self.cloud:
            data["jsdPublic"] = True
        return data

    def _field_value(self, issue: IssueRecord, name: str, version: str) -> object:
        if name == "summary":
            return issue.summary
        if name == "description":
            return self._rich_text_out(issue.description, version)
        if name == "status":
            return self._status_json(issue.status, version)
        if name == "issuetype":
            return self._issue_type_json(issue.issue_type, version)
        if name == "priority":
            return self._priority_json(issue.priority, version)
        if name == "labels":
            return list(issue.labels)
        if name == "assignee":
            return self._user_json(issue.assignee, version)
        if name in ("reporter", "creator"):
            return self._user_json(issue.reporter, version)
        if name in ("created", "updated", "resolutiondate"):
            return self._timestamp(
                {"created": issue.created, "updated": issue.updated}.get(name, issue.resolution_date)
            )
        if name == "resolution":
            if issue.resolution_date is None:
                return None
            return {"self": f"{self._api(version)}/resolution/10000", "id": "10000", "description": "", "name": "Done"}
        if name == "project":
            return self._project_json(issue.project, version)
        if name == "comment":
            comments = [self._comment_json(issue, comment, version) for comment in issue.comments]
            return {
                "comments": comments,
                "self": f"{self._api(version)}/issue/{issue.id}/comment",
                "maxResults": len(comments),
                "total": len(comments),
                "startAt": 0,
            }
        raise KeyError(name)

    def _issue_json(self, issue: IssueRecord, version: str, fields: frozenset[str] | None, *, expand: str = "") -> dict:
        if fields is None:  # enhanced search without `fields`: ids only
            return {"id": str(issue.id)}
        data = {
            "expand": ISSUE_EXPAND,
            "id": str(issue.id),
            "self": f"{self._api(version)}/issue/{issue.id}",
            "key": issue.key,
            "fields": {name: self._field_value(issue, name, version) for name in ALL_FIELDS if name in fields},
        }
        if "changelog" in expand.split(","):
            histories = [self._history_json(history, version) for history in reversed(issue.history)]
            data["changelog"] = {
                "startAt": 0,
                "maxResults": len(histories),
                "total": len(histories),
                "histories": histories,
            }
        return data

    def _history_json(self, history: dict, version: str) -> dict:
        return {
            "id": str(history["id"]),
            "author": self._user_json(history["author"], version),
            "created": self._timestamp(history["created"]),
            "items": [dict(item) for item in history["items"]],
        }
