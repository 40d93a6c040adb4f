"""The Jira fake's REST routes: authentication, projects, issues, comments, transitions, assignees, users."""

from __future__ import annotations

import base64
import binascii
import json
import re

from .jira_data import (
    ISSUE_TYPES,
    PRIORITIES,
    IssueRecord,
    JiraError,
    ProjectRecord,
    UserRecord,
    adf_from_text,
    is_adf_document,
)
from .jira_render import wanted_fields
from .jira_search import REMOVED_SEARCH, _int
from .server import Request, Response

CANNOT_SET = "Field '{}' cannot be set. It is not on the appropriate screen, or unknown."
NO_SUMMARY = "You must specify a summary of the issue."
NOT_ADF = "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
NOT_STRING = "Operation value must be a string"
EDITABLE = ("summary", "description", "labels", "priority", "assignee", "reporter", "issuetype")
SERVER_401_HTML = (
    "<!DOCTYPE html><html><head><title>Unauthorized (401)</title></head><body><h1>Unauthorized (401)</h1>"
    "<p>Encountered a <code>&quot;401 - Unauthorized&quot;</code> error while loading this page.</p></body></html>"
)


class JiraApiMixin:
    """Mixed into FakeJira. Handlers take (request, version, user) and return a JSON body or a Response."""

    def _register_routes(self) -> None:
        issue = "/issue/(?P<key>[^/]+)"
        routes = [
            ("GET", "/myself", self._get_myself, {}),
            ("GET", "/serverInfo", self._get_server_info, {"anonymous": True}),
            ("GET", "/project/search", self._get_project_page, {"cloud_only": True}),
            ("GET", "/project", self._get_projects, {}),
            ("GET", "/project/(?P<project>[^/]+)", self._get_project, {}),
            ("GET", "/search/jql", self._enhanced_search, {"cloud_only": True}),
            ("POST", "/search/jql", self._enhanced_search, {"cloud_only": True}),
            ("GET", "/search", self._old_search, {"anonymous": True}),
            ("POST", "/search", self._old_search, {"anonymous": True}),
            ("POST", "/issue", self._post_issue, {}),
            ("GET", issue, self._get_issue, {}),
            ("PUT", issue, self._put_issue, {}),
            ("DELETE", issue, self._delete_issue_route, {}),  # in jira_delete.py
            ("GET", issue + "/comment", self._get_comments, {}),
            ("POST", issue + "/comment", self._post_comment, {}),
            ("GET", issue + r"/comment/(?P<comment>\d+)", self._get_comment, {}),
            ("GET", issue + "/transitions", self._get_transitions, {}),
            ("POST", issue + "/transitions", self._post_transition, {}),
            ("PUT", issue + "/assignee", self._put_assignee, {}),
            ("GET", "/user/search", self._get_user_search, {}),
            ("GET", "/user", self._get_user, {}),
        ]
        for method, path, handler, options in routes:
            self._api_route(method, path, handler, **options)

    def _api_route(self, method: str, path: str, handler, *, anonymous: bool = False, cloud_only: bool = False) -> None:
        prefix = re.escape(self.context_path)

        def serve(request: Request) -> Response:
            try:
                version = {"latest": "2"}.get(request.params["version"], request.params["version"])
                if (version == "3" or cloud_only) and not self.cloud:
                    uri = f"{self.url}{request.path[len(self.context_path) :]}"
                    return Response(404, {"message": f"null for uri: {uri}", "status-code": 404})
                if method in ("POST", "PUT") and request.body and "json" not in request.headers.get("content-type", ""):
                    return Response(415, "Unsupported Media Type")
                user = self._authenticate(request)
                if user is None and not anonymous and self.anonymous_401:
                    raise self._unauthenticated(failed=False)
                result = handler(request, version, user)
                return result if isinstance(result, Response) else Response(200, result)
            except JiraError as error:
                return Response(error.status, error.body, error.headers)

        self.route(method, f"{prefix}/rest/api/(?P<version>2|3|latest){path}", serve)

    # --- authentication and permissions ------------------------------------------------------
    def _authenticate(self, request: Request) -> UserRecord | None:
        header = request.headers.get("authorization", "")
        if not header:
            return None
        scheme, _, credentials = header.partition(" ")
        user = None
        if scheme.lower() == "basic":
            try:
                login, _, secret = base64.b64decode(credentials, validate=True).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                raise self._unauthenticated(failed=True) from None
            user = self._credentials.get(("basic", login.lower(), secret))
        elif scheme.lower() == "bearer" and not self.cloud:  # Data Center personal access tokens
            user = self._credentials.get(("bearer", credentials.strip()))
        if user is None:
            raise self._unauthenticated(failed=True)
        return user

    def _unauthenticated(self, *, failed: bool) -> JiraError:
        headers = {"X-Seraph-LoginReason": "AUTHENTICATED_FAILED"} if failed else {}
        if self.cloud:
            return JiraError(401, body="Client must be authenticated to access this resource.", headers=headers)
        if failed:
            return JiraError(401, body=SERVER_401_HTML, headers={**headers, "Content-Type": "text/html;charset=UTF-8"})
        return JiraError(401, "You are not authenticated. Authentication required to perform this operation.")

    @property
    def _issue_missing(self) -> str:
        return "Issue does not exist or you do not have permission to see it." if self.cloud else "Issue Does Not Exist"

    def _find_issue(self, reference: str, user: UserRecord | None) -> IssueRecord:
        """The issue by key, id or a key it had before a move (which answers under its new key)."""
        issue = self._issue_by_reference(reference)
        if issue is None or user is None or not issue.project.browse:
            raise JiraError(404, self._issue_missing)
        return issue

    def _writable_issue(self, request: Request, user: UserRecord | None, action: str) -> IssueRecord:
        if user is None:
            raise self._unauthenticated(failed=False)
        issue = self._find_issue(request.params["key"], user)
        if not issue.project.write:
            raise JiraError(403, f"You do not have permission to {action} in this project.")
        return issue

    @staticmethod
    def _json_body(request: Request):
        try:
            return json.loads(request.body or b"null")
        except ValueError as error:
            raise JiraError(400, f"Unexpected character in the JSON body: {error}") from None

    def _json_object(self, request: Request) -> dict:
        body = self._json_body(request)
        if not isinstance(body, dict):
            raise JiraError(400, "Can not deserialize the request: a JSON object is expected.")
        return body

    # --- who and where -------------------------------------------------------------------------
    def _get_myself(self, request, version, user):
        if user is None:
            raise self._unauthenticated(failed=False)
        return {
            **self._user_json(user, version),
            "locale": "en_US",
            "groups": {"size": 1, "items": []},
            "applicationRoles": {"size": 1, "items": []},
            "expand": "groups,applicationRoles",
        }

    def _get_server_info(self, request, version, user):
        numbers = [int(part) for part in self.version.split("-")[0].split(".")]
        return {
            "baseUrl": self.url,
            "version": self.version,
            "versionNumbers": numbers,
            "deploymentType": self.deployment_type,
            "buildNumber": 100300 if self.cloud else 9120015,
            "buildDate": "2026-11-01T00:00:00.000+0000",
            "serverTime": self._timestamp(self._now_ms()),
            "scmInfo": "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c",
            "serverTitle": "Jira",
        }

    def _get_projects(self, request, version, user):
        return [
            self._project_json(project, version)
            for project in sorted(self._visible_projects(user), key=lambda p: p.key)
        ]

    def _get_project_page(self, request, version, user):
        projects = sorted(self._visible_projects(user), key=lambda project: project.key)
        text = (request.arg("query") or "").lower()
        keys = {key for value in request.query.get("keys", []) for key in value.split(",") if key}
        projects = [
            p
            for p in projects
            if (not text or text in p.key.lower() or text in p.name.lower()) and (not keys or p.key in keys)
        ]
        start, limit = max(0, _int(request.arg("startAt"), 0)), max(1, min(_int(request.arg("maxResults"), 50), 100))
        page = projects[start : start + limit]
        is_last = start + limit >= len(projects)
        body = {"self": f"{self._api(version)}/project/search?startAt={start}&maxResults={limit}"}
        if not is_last:
            body["nextPage"] = f"{self._api(version)}/project/search?startAt={start + limit}&maxResults={limit}"
        values = [self._project_json(project, version) for project in page]
        return body | {
            "maxResults": limit,
            "startAt": start,
            "total": len(projects),
            "isLast": is_last,
            "values": values,
        }

    def _get_project(self, request, version, user):
        reference = request.params["project"]
        for project in self._visible_projects(user):
            if reference.upper() == project.key or reference == str(project.id):
                return self._project_json(project, version, full=True)
        kind = "id" if reference.isdigit() else "key"
        raise JiraError(404, f"No project could be found with {kind} '{reference}'.")

    def _old_search(self, request, version, user):
        if self.cloud:  # removed on Cloud in 2025 (CHANGE-2046), for v2 and v3 alike
            raise JiraError(410, REMOVED_SEARCH)
        if user is None and self.anonymous_401:
            raise self._unauthenticated(failed=False)
        return self._offset_search(request, version, user)

    # --- issues --------------------------------------------------------------------------------
    def _get_issue(self, request, version, user):
        issue = self._find_issue(request.params["key"], user)
        fields = wanted_fields(request.query.get("fields"), "*all")
        return self._issue_json(issue, version, fields, expand=request.arg("expand", ""))

    def _post_issue(self, request, version, user):
        if user is None:
            raise self._unauthenticated(failed=False)
        fields = dict(self._json_object(request).get("fields") or {})
        errors: dict[str, str] = {}
        project = self._project_reference(fields.pop("project", None), user, errors)
        issue_type = self._named(fields.pop("issuetype", None), ISSUE_TYPES)
        if issue_type is None:
            errors["issuetype"] = "Specify a valid issue type" if self.cloud else "issue type is required"
        if not isinstance(fields.get("summary"), str) or not fields["summary"].strip():
            errors["summary"] = NO_SUMMARY
            fields.pop("summary", None)
        changes = self._field_changes(fields, version, errors)
        if errors:
            raise JiraError(400, errors=errors)
        if not project.write:
            raise JiraError(403, "You do not have permission to create issues in this project.")
        at = self._tick()
        issue = self._create_issue(
            project,
            summary=changes["summary"],
            description=changes.get("description"),
            issue_type=issue_type,
            priority=changes.get("priority", "Medium"),
            labels=changes.get("labels", []),
            assignee=changes.get("assignee"),
            reporter=changes.get("reporter", user),
            created=at,
            updated=at,
        )
        return Response(201, {"id": str(issue.id), "key": issue.key, "self": f"{self._api(version)}/issue/{issue.id}"})

    def _project_reference(self, value, user, errors) -> ProjectRecord | None:
        if isinstance(value, dict):
            reference = str(value.get("key") or value.get("id") or "")
            for project in self._visible_projects(user):
                if reference in (project.key, str(project.id)):
                    return project
        errors["project"] = "Specify a valid project ID or key" if self.cloud else "project is required"
        return None

    @staticmethod
    def _named(value, known: dict[str, str]) -> str | None:
        """A {"name": ...} or {"id": ...} reference to one of Jira's named things."""
        if not isinstance(value, dict):
            return None
        for name, item_id in known.items():
            if value.get("name") == name or str(value.get("id")) == item_id:
                return name
        return None

    def _field_changes(self, fields: dict, version: str, errors: dict) -> dict:
        """Validate create/edit `fields`; record-named changes, and Jira's per-field errors into `errors`."""
        changes = {}
        for name, value in fields.items():
            if name == "summary":
                if not isinstance(value, str) or not value.strip():
                    errors[name] = NO_SUMMARY
                elif len(value) > 255:
                    errors[name] = "Summary must be less than 255 characters."
                else:
                    changes[name] = value
            elif name == "description":
                changes[name] = self._rich_text_from_api(value, version, name, errors)
            elif name == "labels":
                changes[name] = self._labels(value, errors)
            elif name == "priority":
                changes[name] = None if value is None else self._named(value, PRIORITIES)
                if value is not None and changes[name] is None:
                    errors[name] = "The priority selected is invalid."
            elif name == "issuetype":
                changes["issue_type"] = self._named(value, ISSUE_TYPES)
                if changes["issue_type"] is None:
                    errors[name] = "The issue type selected is invalid."
            elif name in ("assignee", "reporter"):
                changes[name] = self._user_reference(value, name, errors)
            else:
                errors[name] = CANNOT_SET.format(name)
        return changes

    def _rich_text_from_api(self, value, version: str, name: str, errors: dict):
        if value is None or value == "":
            return None
        if self.cloud and version == "3":
            if not is_adf_document(value):
                errors[name] = NOT_ADF
            return value
        if not isinstance(value, str):
            errors[name] = NOT_STRING
            return None
        return adf_from_text(value) if self.cloud else value

    @staticmethod
    def _labels(value, errors: dict) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(label, str) for label in value):
            errors["labels"] = "data was not an array"
            return []
        for label in value:
            if not label or any(character.isspace() for character in label):
                errors["labels"] = f"The label '{label}' contains spaces which is invalid."
        return list(dict.fromkeys(value))

    def _user_reference(self, value, name: str, errors: dict) -> UserRecord | None:
        """Cloud names people by {"accountId"}, Server by {"name"}; null clears the field."""
        if value is None:
            return None
        attribute = "accountId" if self.cloud else "name"
        reference = value.get(attribute) if isinstance(value, dict) else None
        if reference is None and isinstance(value, dict) and attribute in value:
            return None
        user = self._api_user(reference) if isinstance(reference, str) else None
        if user is None:
            errors[name] = (
                "Specified user does not exist or you do not have required permissions"
                if self.cloud
                else f"User '{reference}' does not exist."
            )
        return user

    def _api_user(self, reference: str) -> UserRecord | None:
        """Over HTTP, Cloud knows people by accountId only (no usernames since GDPR), Server by username or key."""
        for candidate in self.users:
            if self.cloud and candidate.account_id == reference:
                return candidate
            if not self.cloud and reference.lower() in (candidate.name.lower(), candidate.key.lower()):
                return candidate
        return None

    def _put_issue(self, request, version, user):
        issue = self._writable_issue(request, user, "edit issues")
        body = self._json_object(request)
        errors: dict[str, str] = {}
        changes = self._field_changes(body.get("fields") or {}, version, errors)
        comments = []
        for name, operations in (body.get("update") or {}).items():
            for operation in operations if isinstance(operations, list) else []:
                if name == "comment" and isinstance(operation.get("add"), dict):
                    comments.append(self._rich_text_from_api(operation["add"].get("body"), version, "comment", errors))
                elif name == "labels":
                    labels = list(changes.get("labels", issue.labels))
                    if "set" in operation:
                        labels = self._labels(operation["set"], errors)
                    if "add" in operation:
                        labels += [label for label in self._labels([operation["add"]], errors) if label not in labels]
                    if operation.get("remove") in labels:
                        labels.remove(operation["remove"])
                    changes["labels"] = labels
                elif name in EDITABLE and "set" in operation:
                    changes |= self._field_changes({name: operation["set"]}, version, errors)
                else:
                    errors[name] = CANNOT_SET.format(name)
        if errors:
            raise JiraError(400, errors=errors)
        self._apply_changes(issue, changes, user)
        for comment_body in filter(None, comments):
            self._create_comment(issue, comment_body, user, self._tick())
        return Response(204)

    # --- comments ------------------------------------------------------------------------------
    def _get_comments(self, request, version, user):
        issue = self._find_issue(request.params["key"], user)
        start = max(0, _int(request.arg("startAt"), 0))
        limit = max(0, min(_int(request.arg("maxResults"), 5000), 5000))
        comments = sorted(issue.comments, key=lambda c: (c.created, c.id), reverse=request.arg("orderBy") == "-created")
        page = [self._comment_json(issue, comment, version) for comment in comments[start : start + limit]]
        return {"startAt": start, "maxResults": limit, "total": len(comments), "comments": page}

    def _get_comment(self, request, version, user):
        issue = self._find_issue(request.params["key"], user)
        for comment in issue.comments:
            if str(comment.id) == request.params["comment"]:
                return self._comment_json(issue, comment, version)
        raise JiraError(404, f"Can not find a comment for the id: {request.params['comment']}.")

    def _post_comment(self, request, version, user):
        issue = self._writable_issue(request, user, "comment on issues")
        errors: dict[str, str] = {}
        body = self._rich_text_from_api(self._json_object(request).get("body"), version, "comment", errors)
        if body is None and not errors:
            errors["comment"] = "Comment body can not be empty!"
        if errors:
            raise JiraError(400, errors=errors)
        comment = self._create_comment(issue, body, user, self._tick())
        return Response(201, self._comment_json(issue, comment, version))

    # --- workflow and assignee -----------------------------------------------------------------
    def _transition_json(self, transition: dict, version: str) -> dict:
        data = {"id": transition["id"], "name": transition["name"], "to": self._status_json(transition["to"], version)}
        if self.cloud:
            data |= {"hasScreen": False, "isGlobal": transition["from"] is None, "isInitial": False}
            data |= {"isAvailable": True, "isConditional": False, "isLooped": False}
        return data

    def _get_transitions(self, request, version, user):
        issue = self._find_issue(request.params["key"], user)
        wanted = request.arg("transitionId")
        transitions = [t for t in self.available_transitions(issue) if wanted in (None, t["id"])]
        return {"expand": "transitions", "transitions": [self._transition_json(t, version) for t in transitions]}

    def _post_transition(self, request, version, user):
        issue = self._writable_issue(request, user, "transition issues")
        body = self._json_object(request)
        requested = body.get("transition")
        transition_id = str(requested.get("id", "")) if isinstance(requested, dict) else ""
        if not transition_id.isdigit():
            raise JiraError(400, "'transition' identifier must be an integer")
        transition = next((t for t in self.available_transitions(issue) if t["id"] == transition_id), None)
        if transition is None:
            raise JiraError(400, f"Transition id '{transition_id}' is not valid for this issue.")
        if body.get("fields"):  # the default workflow's transitions have no screen
            raise JiraError(400, errors={name: CANNOT_SET.format(name) for name in body["fields"]})
        errors: dict[str, str] = {}
        comments = [
            self._rich_text_from_api(operation["add"].get("body"), version, "comment", errors)
            for operation in (body.get("update") or {}).get("comment", [])
            if isinstance(operation.get("add"), dict)
        ]
        if errors:
            raise JiraError(400, errors=errors)
        self._set_status(issue, transition["to"], user)
        for comment_body in filter(None, comments):
            self._create_comment(issue, comment_body, user, self._tick())
        return Response(204)

    def _put_assignee(self, request, version, user):
        issue = self._writable_issue(request, user, "assign issues")
        body = self._json_object(request)
        attribute = "accountId" if self.cloud else "name"
        if attribute not in body:
            raise JiraError(400, errors={"assignee": f"'{attribute}' must be provided"})
        if body[attribute] == "-1":  # "automatic": the project's default assignee, its lead here
            assignee = issue.project.lead
        else:
            errors: dict[str, str] = {}
            assignee = self._user_reference(body, "assignee", errors)
            if errors:
                raise JiraError(400, errors=errors)
        self._apply_changes(issue, {"assignee": assignee}, user)
        return Response(204)

    # --- users ---------------------------------------------------------------------------------
    def _get_user_search(self, request, version, user):
        if self.cloud:
            text, account_id = request.arg("query"), request.arg("accountId")
            if not text and not account_id:
                raise JiraError(400, "One of 'query' or 'accountId' query parameters must be provided.")
        else:
            text, account_id = request.arg("username"), None
            if not text:
                raise JiraError(400, "The username query parameter was not provided")
        text = (text or "").lower()

        def matches(candidate: UserRecord) -> bool:
            if account_id:
                return candidate.account_id == account_id
            words = [candidate.email.lower(), *candidate.display_name.lower().split()]
            return any(word.startswith(text) for word in words + ([] if self.cloud else [candidate.name.lower()]))

        start, limit = max(0, _int(request.arg("startAt"), 0)), max(1, min(_int(request.arg("maxResults"), 50), 1000))
        found = [candidate for candidate in self.users if matches(candidate)]
        return [self._user_json(candidate, version) for candidate in found[start : start + limit]]

    def _get_user(self, request, version, user):
        reference = request.arg("accountId") if self.cloud else request.arg("username") or request.arg("key")
        found = self._api_user(reference) if reference else None
        if found is None:
            raise JiraError(404, f"User '{reference}' does not exist.")
        return self._user_json(found, version)
