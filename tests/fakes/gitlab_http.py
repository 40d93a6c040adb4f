"""The GitLab fake's HTTP plumbing: token auth and scopes, throttling, offset and keyset pagination, lookups."""

from __future__ import annotations

import base64
import hmac
import json
import math
import time
import uuid
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from email.utils import formatdate
from urllib.parse import parse_qs, unquote, urlencode

from .gitlab_store import _Issue, _issue_order_key, _parse_time, _Project, stamp
from .server import Request, Response

DEFAULT_PER_PAGE, MAX_PER_PAGE = 20, 100
TOTALS_LIMIT = 10_000  # beyond this many rows GitLab leaves out X-Total, X-Total-Pages and rel="last"
RATE_LIMIT_PER_MINUTE = 2000


class GitLabHttpMixin:
    """Mixed into FakeGitLab: what wraps every route handler, and the lookups and paging handlers share."""

    @property
    def base_url(self) -> str:
        return self.url if self._server else "http://127.0.0.1:0"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/v4"

    def _endpoint(self, handler: Callable[[Request], Response], scope: str) -> Callable:
        """Wraps a handler with auth, the token-scope check (`read`, `write`, `user`, `any`) and throttling."""

        def serve(request: Request) -> Response:
            denied = self._authenticate(request) or self._check_scope(scope) or self._throttled()
            if denied:
                return denied
            response = handler(request)
            response.headers = {
                "Cache-Control": "max-age=0, private, must-revalidate",
                "X-Request-Id": uuid.uuid4().hex[:26].upper(),
                "X-Runtime": "0.012345",
                **self._rate_headers(),
                **response.headers,
            }
            return response

        return serve

    def _authenticate(self, request: Request) -> Response | None:
        token = request.headers.get("private-token") or request.arg("private_token") or request.arg("access_token")
        scheme, _, credential = request.headers.get("authorization", "").partition(" ")
        if not token and scheme.lower() == "bearer":
            token = credential.strip()
        if not token or not hmac.compare_digest(token, self.token):
            return Response(401, {"message": "401 Unauthorized"})
        if self.token_revoked:
            error = "Token was revoked. You will have to re-authorize with the user."
            return Response(401, {"error": "invalid_token", "error_description": error})
        if date.fromisoformat(self.token_expires_at) <= date.today():
            return Response(401, {"error": "invalid_token", "error_description": "Token has expired."})
        return None

    def _check_scope(self, needed: str) -> Response | None:
        allowed = {
            "any": None,
            "user": {"api", "read_api", "read_user"},
            "read": {"api", "read_api"},
            "write": {"api"},
        }[needed]
        if allowed is None or allowed & set(self.scopes):
            return None
        body = {
            "error": "insufficient_scope",
            "error_description": "The request requires higher privileges than provided by the access token.",
            "scope": " ".join(sorted(allowed)),
        }
        return Response(
            403, body, {"WWW-Authenticate": 'Bearer realm="Protected by OAuth 2", error="insufficient_scope"'}
        )

    def _throttled(self) -> Response | None:
        now = time.time()
        minute = int(now // 60)
        if minute != self._minute:
            self._minute, self._minute_count = minute, 0
        self._minute_count += 1
        if self._throttle_pending is not None:
            self._throttle_until, self._throttle_pending = now + self._throttle_pending, None
        if now < self._throttle_until:
            self.rate_limited_requests += 1
            retry_after = max(1, math.ceil(self._throttle_until - now))
            headers = {**self._rate_headers(), "Retry-After": str(retry_after), "RateLimit-Remaining": "0"}
            headers["RateLimit-Reset"] = str(math.ceil(self._throttle_until))
            headers["RateLimit-ResetTime"] = formatdate(math.ceil(self._throttle_until), usegmt=True)
            return Response(429, "Retry later\n", headers)
        return None

    def _rate_headers(self) -> dict[str, str]:
        reset = (self._minute + 1) * 60
        return {
            "RateLimit-Name": "throttle_authenticated_api",
            "RateLimit-Limit": str(RATE_LIMIT_PER_MINUTE),
            "RateLimit-Observed": str(self._minute_count),
            "RateLimit-Remaining": str(max(0, RATE_LIMIT_PER_MINUTE - self._minute_count)),
            "RateLimit-Reset": str(reset),
            "RateLimit-ResetTime": formatdate(reset, usegmt=True),
        }

    def _page_args(self, request: Request) -> tuple[int, int] | Response:
        values = {}
        for name, default in (("page", 1), ("per_page", DEFAULT_PER_PAGE)):
            raw = request.arg(name)
            try:
                values[name] = int(raw) if raw not in (None, "") else default
            except ValueError:
                return Response(400, {"error": f"{name} is invalid"})
        per_page = values["per_page"]
        per_page = DEFAULT_PER_PAGE if per_page < 1 else min(per_page, MAX_PER_PAGE)
        return max(values["page"], 1), per_page

    def _link(self, request: Request, **replace) -> str:
        kept = [(key, value) for key, values in request.query.items() if key not in replace for value in values]
        return f"{self.base_url}{request.path}?{urlencode([*kept, *replace.items()])}"

    def _paginate(
        self, request: Request, items: Sequence, render: Callable[[object], dict], *, reverse: bool = False
    ) -> Response:
        """One page of `items` (ascending; `reverse` serves it descending) with GitLab's offset-pagination headers."""
        args = self._page_args(request)
        if isinstance(args, Response):
            return args
        page, per_page = args
        total = len(items)
        pages = max(1, math.ceil(total / per_page))
        start, stop = (page - 1) * per_page, page * per_page
        if reverse:
            chunk = list(reversed(items[max(0, total - stop) : max(0, total - start)]))
        else:
            chunk = list(items[start:stop])
        if page > pages:
            self.pages_past_end.append(f"{request.path}?{urlencode(request.query, doseq=True)}")
        counted = total <= TOTALS_LIMIT
        headers = {
            "X-Page": str(page),
            "X-Per-Page": str(per_page),
            "X-Prev-Page": str(page - 1) if page > 1 else "",
            "X-Next-Page": str(page + 1) if page < pages else "",
        }
        if counted:
            headers.update({"X-Total": str(total), "X-Total-Pages": str(pages)})
        rels = []
        if page > 1:
            rels.append(("prev", page - 1))
        if page < pages:
            rels.append(("next", page + 1))
        rels.append(("first", 1))
        if counted:
            rels.append(("last", pages))
        headers["Link"] = ", ".join(
            f'<{self._link(request, page=str(p), per_page=str(per_page))}>; rel="{rel}"' for rel, p in rels
        )
        return Response(200, [render(item) for item in chunk], headers)

    def _keyset_page(
        self, request: Request, items: list[_Issue], order_by: str, render: Callable, *, reverse: bool
    ) -> Response:
        """Keyset pagination (`pagination=keyset`): an opaque `cursor`; only rel="next", no totals."""
        args = self._page_args(request)
        if isinstance(args, Response):
            return args
        per_page = args[1]
        key = _issue_order_key(order_by)
        cursor = request.arg("cursor")
        if cursor:
            try:
                decoded = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
                value = int(decoded["id"]) if order_by == "id" else decoded[order_by]
                position = (value, int(decoded["id"]))
            except (ValueError, KeyError, TypeError):
                return Response(400, {"message": "400 Bad request - Invalid cursor parameter"})
            index = bisect_left(items, position, key=key) if reverse else bisect_right(items, position, key=key)
        else:
            index = len(items) if reverse else 0
        if reverse:
            chunk = list(reversed(items[max(0, index - per_page) : index]))
            more = index - per_page > 0
        else:
            chunk = items[index : index + per_page]
            more = index + per_page < len(items)
        headers = {}
        if more and chunk:
            last_key = key(chunk[-1])
            token = json.dumps({order_by: last_key[0], "id": str(last_key[1]), "_kd": "n"}).encode()
            next_cursor = base64.urlsafe_b64encode(token).decode().rstrip("=")
            headers["Link"] = f'<{self._link(request, cursor=next_cursor, per_page=str(per_page))}>; rel="next"'
        return Response(200, [render(item) for item in chunk], headers)

    def _project_for(self, request: Request) -> _Project | Response:
        project = self._find_project(unquote(request.params["project"]))
        if project is None or not self._can_see_project(project):
            return Response(404, {"message": "404 Project Not Found"})
        return project

    def _issue_for(self, project: _Project, request: Request) -> _Issue | Response:
        issue = project.issues.get(int(request.params["iid"]))
        if issue is None or issue.deleted:
            return Response(404, {"message": "404 Not found"})
        return issue

    def _time_arg(self, request: Request, name: str) -> str | Response | None:
        value = request.arg(name)
        if not value:
            return None
        try:
            moment = _parse_time(value)
        except ValueError:
            return Response(400, {"error": f"{name} is invalid"})
        if moment.microsecond % 1000 and name.endswith("_after"):  # milliseconds: "at or after" rounds up
            moment += timedelta(microseconds=1000 - moment.microsecond % 1000)
        return stamp(moment)


def _params(request: Request) -> dict | Response:
    """Grape's parameters: query string, then a JSON or form body (`name[]` collects arrays)."""
    params: dict = {}

    def collect(pairs: dict[str, list[str]]) -> None:
        for key, values in pairs.items():
            params[key.removesuffix("[]")] = values if key.endswith("[]") else values[0]

    collect(request.query)
    if request.body:
        if "json" in request.headers.get("content-type", ""):
            try:
                body = json.loads(request.body)
            except ValueError:
                return Response(400, {"error": "400 Bad Request"})
            if not isinstance(body, dict):
                return Response(400, {"error": "400 Bad Request"})
            params.update(body)
        else:
            collect(parse_qs(request.body.decode(), keep_blank_values=True))
    return params


def _names(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [name.strip() for name in value.split(",") if name.strip()]
    return [str(name).strip() for name in value if str(name).strip()]  # type: ignore[union-attr]


def _truthy(value: object) -> bool:
    return value is True or str(value).lower() in ("true", "1", "yes")
