"""The GitLab fake's issue and note routes: filtered and keyset-paginated listings, create, update, delete, notes."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence

from .gitlab_http import _names, _params, _truthy
from .gitlab_store import OWNER, _Issue, _issue_order_key, _KeyView, _Project, _unindex
from .server import Request, Response

KEYSET_ORDERS = ("created_at", "updated_at", "id", "title")
UPDATABLE_ISSUE_PARAMS = (
    "assignee_id, assignee_ids, confidential, created_at, description, discussion_locked, due_date, labels, "
    "add_labels, remove_labels, milestone_id, state_event, title, issue_type, weight, epic_id, epic_iid"
)


class GitLabIssuesMixin:
    """Mixed into FakeGitLab: the handlers under /projects/:id/issues (routes are in gitlab_api.py)."""

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

    def _delete_issue_route(self, request: Request) -> Response:
        """Like GitLab: only the project's owners (and instance administrators) may delete issues."""
        project = self._project_for(request)
        if isinstance(project, Response):
            return project
        issue = self._issue_for(project, request)
        if isinstance(issue, Response):
            return issue
        if (self._project_access(project) or 0) < OWNER:
            return Response(403, {"message": "403 Forbidden"})
        self._remove_issue(project, issue)
        return Response(204)

    @staticmethod
    def _remove_issue(project: _Project, issue: _Issue) -> None:
        """A deleted issue answers 404 and leaves every list (seeding and the API alike)."""
        _unindex(project, issue)
        issue.deleted = True
        project.version += 1

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
