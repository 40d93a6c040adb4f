"""The GitLab fake's REST routes: the current user, users, token, groups, projects, project hooks.

Issue and note handlers live in gitlab_issues.py.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from urllib.parse import unquote

from .gitlab_http import _params, _truthy
from .gitlab_store import MAINTAINER, OWNER, _Group, _Project, stamp
from .server import Request, Response


class GitLabApiMixin:
    """Mixed into FakeGitLab. Handlers take a Request and return a Response; `_endpoint` wraps each."""

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
            ("DELETE", project + issue, self._delete_issue_route, "write"),
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
