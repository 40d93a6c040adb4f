"""The GitHub fake's HTTP plumbing: token auth, primary and secondary rate limits, ETags, pagination, lookups."""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote, urlencode

from .github_store import _Issue, _Repo, stamp
from .server import Request, Response

DOCS = "https://docs.github.com/rest"
DEFAULT_PER_PAGE, MAX_PER_PAGE = 30, 100
RATE_LIMIT_WINDOW_SECONDS = 3600
SECONDARY_LIMIT_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
    "If you reach out to GitHub Support for help, please include the request ID {request_id}."
)


class GitHubHttpMixin:
    """Mixed into FakeGitHub: what wraps every route handler, and the lookups and paging handlers share."""

    @property
    def base_url(self) -> str:
        return self.url if self._server else "http://127.0.0.1:0"

    def _endpoint(self, handler: Callable[[Request], Response], *, counted: bool = True) -> Callable:
        def serve(request: Request) -> Response:
            denied = self._authenticate(request)
            if denied:
                return denied
            limited = self._rate_limited(request) if counted else None
            if limited:
                return limited
            return self._finish(request, handler(request), counted=counted)

        return serve

    def _authenticate(self, request: Request) -> Response | None:
        header = request.headers.get("authorization", "")
        if not header:
            return self._unauthorized("Requires authentication")
        scheme, _, credential = header.partition(" ")
        if scheme.lower() not in ("bearer", "token") or not hmac.compare_digest(credential.strip(), self.token):
            return self._unauthorized("Bad credentials")
        return None

    def _unauthorized(self, message: str) -> Response:
        headers = {
            "X-RateLimit-Limit": "60",
            "X-RateLimit-Remaining": "59",
            "X-RateLimit-Reset": str(self.rate_reset),
            "X-RateLimit-Used": "1",
            "X-RateLimit-Resource": "core",
            "X-GitHub-Request-Id": self._request_id(),
        }
        return Response(401, {"message": message, "documentation_url": DOCS, "status": "401"}, headers)

    def _rate_limited(self, request: Request) -> Response | None:
        now = time.time()
        if now >= self.rate_reset:
            self.rate_used, self.rate_reset = 0, math.ceil(now) + RATE_LIMIT_WINDOW_SECONDS
        request_id = self._request_id()
        if self._secondary_pending is not None:
            self._secondary_until, self._secondary_pending = now + self._secondary_pending, None
        if now < self._secondary_until:
            self.secondary_limit_hits += 1
            body = {
                "message": SECONDARY_LIMIT_MESSAGE.format(request_id=request_id),
                "documentation_url": "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
                "status": "403",
            }
            headers = {**self._rate_headers(), "Retry-After": str(math.ceil(self._secondary_until - now))}
            return Response(403, body, headers)
        if self.rate_used >= self.rate_limit:
            user_id = self._accounts[self.login.lower()].id
            body = {
                "message": f"API rate limit exceeded for user ID {user_id}. If you reach out to GitHub Support "
                f"for help, please include the request ID {request_id} and timestamp {stamp(datetime.now(UTC))}.",
                "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
                "status": "403",
            }
            return Response(403, body, self._rate_headers())
        return None

    def _rate_headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.rate_limit),
            "X-RateLimit-Remaining": str(max(0, self.rate_limit - self.rate_used)),
            "X-RateLimit-Reset": str(self.rate_reset),
            "X-RateLimit-Used": str(self.rate_used),
            "X-RateLimit-Resource": "core",
        }

    @staticmethod
    def _request_id() -> str:
        return uuid.uuid4().hex[:20].upper()

    def _finish(self, request: Request, response: Response, *, counted: bool) -> Response:
        """Adds GitHub's headers; a 200 gets an ETag, and a matching If-None-Match turns it into a free 304."""
        headers = {
            "X-OAuth-Scopes": ", ".join(self.scopes),
            "X-Accepted-OAuth-Scopes": "repo",
            "X-GitHub-Media-Type": "github.v3; format=json",
            "X-GitHub-Api-Version-Selected": "2022-11-28",
            "X-GitHub-Request-Id": self._request_id(),
            "Vary": "Accept, Authorization, Cookie, X-GitHub-OTP",
        }
        if response.status == 200 and isinstance(response.body, dict | list):
            payload = json.dumps(response.body, separators=(",", ":")).encode()
            etag = 'W/"' + hashlib.sha256(payload).hexdigest() + '"'
            if _etag_matches(request.headers.get("if-none-match"), etag):
                return Response(304, b"", {**headers, **self._rate_headers(), "ETag": etag})
            response.body = payload
            headers.update({"ETag": etag, "Content-Type": "application/json; charset=utf-8"})
        if counted:
            self.rate_used += 1
        response.headers = {**headers, **self._rate_headers(), **response.headers}
        return response

    def _page_args(self, request: Request) -> tuple[int, int]:
        def number(name: str, default: int) -> int:
            try:
                return int(request.arg(name) or default)
            except ValueError:
                return default

        per_page = number("per_page", DEFAULT_PER_PAGE)
        per_page = DEFAULT_PER_PAGE if per_page < 1 else min(per_page, MAX_PER_PAGE)
        return max(number("page", 1), 1), per_page

    def _paginate(
        self,
        request: Request,
        items: Sequence,
        render: Callable[[object], dict],
        link_path: str,
        *,
        reverse: bool = False,
    ) -> Response:
        """One page of `items` (ascending; `reverse` serves it descending) with GitHub's Link header."""
        page, per_page = self._page_args(request)
        total = len(items)
        last = max(1, math.ceil(total / per_page))
        start, stop = (page - 1) * per_page, page * per_page
        if reverse:
            chunk = list(reversed(items[max(0, total - stop) : max(0, total - start)]))
        else:
            chunk = list(items[start:stop])
        if page > last:
            self.pages_past_end.append(f"{request.path}?{urlencode(request.query, doseq=True)}")
        rels = []
        if page > 1:
            rels.append(("prev", page - 1))
        if page < last:
            rels += [("next", page + 1), ("last", last)]
        if page > 1:
            rels.append(("first", 1))
        headers = {}
        if rels:
            kept = [(key, value) for key, values in request.query.items() if key != "page" for value in values]
            base = self.base_url + link_path
            headers["Link"] = ", ".join(f'<{base}?{urlencode([*kept, ("page", p)])}>; rel="{rel}"' for rel, p in rels)
        return Response(200, [render(item) for item in chunk], headers)

    def _since(self, request: Request, resource: str) -> str | Response | None:
        value = request.arg("since")
        if not value:
            return None
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return _validation_failed(resource, {"resource": resource, "field": "since", "code": "invalid"})
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        if moment.microsecond:  # timestamps have whole seconds: "at or after 10:00:00.5" starts at 10:00:01
            moment = moment.replace(microsecond=0) + timedelta(seconds=1)
        return stamp(moment)

    def _repo_for(self, request: Request) -> _Repo | Response:
        params = request.params
        if params.get("repo_id"):
            repo = self._repos_by_id.get(int(params["repo_id"]))
        else:
            repo = self._repos.get((unquote(params["owner"]).lower(), unquote(params["repo"]).lower()))
        if repo is None or not self._can_see(repo):
            return _not_found("/repos/repos#get-a-repository")
        return repo

    def _issue_for(self, repo: _Repo, number: int, suffix: str = "") -> _Issue | Response:
        """The live issue, or GitHub's answer for a missing (404), deleted (410) or transferred (301) one."""
        issue = repo.issues.get(number)
        if issue is None:
            return _not_found("/issues/issues#get-an-issue")
        if issue.deleted:
            return Response(
                410,
                {
                    "message": "This issue was deleted",
                    "documentation_url": f"{DOCS}/issues/issues#get-an-issue",
                    "status": "410",
                },
            )
        if issue.moved_to:
            new_repo = self._repos_by_id[issue.moved_to[0]]
            if not self._can_see(new_repo):
                return _not_found("/issues/issues#get-an-issue")
            location = f"{self.base_url}/repositories/{new_repo.id}/issues/{issue.moved_to[1]}{suffix}"
            body = {
                "message": "Moved Permanently",
                "url": location,
                "documentation_url": f"{DOCS}/guides/best-practices-for-using-the-rest-api#follow-redirects",
            }
            return Response(301, body, {"Location": location})
        return issue


def _json_object(request: Request) -> dict:
    data = request.json()
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise json.JSONDecodeError("not an object", request.body.decode(errors="replace"), 0)
    return data


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    if header.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")
    return any(candidate.strip().removeprefix("W/") == wanted for candidate in header.split(","))


def _not_found(doc_path: str) -> Response:
    return Response(404, {"message": "Not Found", "documentation_url": f"{DOCS}{doc_path}", "status": "404"})


def _validation_failed(resource: str, *errors: dict) -> Response:
    body = {"message": "Validation Failed", "errors": list(errors), "documentation_url": DOCS, "status": "422"}
    return Response(422, body)
