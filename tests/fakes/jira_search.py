"""JQL search in the Jira fake: Cloud's enhanced search (nextPageToken) and Server's offset search (startAt).

An incremental sync's query (one project, `updated` bounds, ORDER BY updated) is answered by bisecting the
project's issues kept sorted by `updated`, so a page costs O(page + log n) however large the project.
"""

from __future__ import annotations

import base64
import json
import sys
import zlib
from bisect import bisect_left, bisect_right
from collections.abc import Callable

from .jira_data import STATUS_CATEGORIES, IssueRecord, JiraError, ProjectRecord, UserRecord
from .jira_jql import DATE_FIELDS, Clause, JqlError, jql_date_ms, parse_jql
from .jira_render import wanted_fields

REMOVED_SEARCH = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
    "A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"
)
UNBOUNDED = "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
BAD_TOKEN = "The nextPageToken is invalid or does not belong to this query."
COMPARE: dict[str, Callable[[int, int], bool]] = {
    "=": lambda value, bound: value == bound,
    "!=": lambda value, bound: value != bound,
    ">": lambda value, bound: value > bound,
    ">=": lambda value, bound: value >= bound,
    "<": lambda value, bound: value < bound,
    "<=": lambda value, bound: value <= bound,
}


class _IndexHits:
    """Matches that are a contiguous run of one project's (updated, id) index."""

    def __init__(self, index: list[tuple[int, int]], low: int, high: int, descending: bool):
        self.index, self.low, self.high, self.descending = index, low, high, descending
        self.total = high - low

    def at_offset(self, start: int, count: int) -> list[int]:
        if self.descending:
            end = self.high - start
            entries = reversed(self.index[max(self.low, end - count) : end]) if end > self.low else []
        else:
            entries = self.index[self.low + start : min(self.high, self.low + start + count)]
        return [issue_id for _, issue_id in entries]

    def after(self, position: list | None, count: int) -> tuple[list[int], list | None, bool]:
        """A page following `position` (the last (updated, id) seen): issues bumped meanwhile are not skipped."""
        if self.descending:
            end = bisect_left(self.index, tuple(position), self.low, self.high) if position else self.high
            begin = max(self.low, end - count)
            entries, more = list(reversed(self.index[begin:end])), begin > self.low
        else:
            begin = bisect_right(self.index, tuple(position), self.low, self.high) if position else self.low
            entries = self.index[begin : min(self.high, begin + count)]
            more = begin + count < self.high
        return [issue_id for _, issue_id in entries], (list(entries[-1]) if entries else None), more


class _ListHits:
    def __init__(self, ids: list[int]):
        self.ids, self.total = ids, len(ids)

    def at_offset(self, start: int, count: int) -> list[int]:
        return self.ids[start : start + count]


class JiraSearchMixin:
    """Mixed into FakeJira."""

    # --- planning --------------------------------------------------------------------------
    def _visible_projects(self, user: UserRecord | None) -> list[ProjectRecord]:
        return [project for project in self.projects.values() if project.browse and user is not None]

    def _search(self, jql: str, user: UserRecord | None, *, bounded: bool):
        try:
            query = parse_jql(jql)
            if bounded and not query.clauses:
                raise JqlError(UNBOUNDED)
            return self._plan(query, user)
        except JqlError as error:
            raise JiraError(400, str(error)) from None

    def _plan(self, query, user):
        visible = self._visible_projects(user)
        chosen: set[int] | None = None
        filters: list[Callable[[IssueRecord], bool]] = []
        bounds: list[tuple[str, int]] = []
        for clause in query.clauses:
            if clause.field == "project":
                ids = {self._jql_project(value, visible).id for value in clause.values}
                if clause.operator in ("=", "in"):
                    chosen = ids if chosen is None else chosen & ids
                else:
                    filters.append(lambda issue, ids=ids: issue.project.id not in ids)
            elif clause.field in DATE_FIELDS:
                bound = jql_date_ms(
                    clause.values[0], field=clause.field, now_ms=self._now_ms(), time_zone=self.time_zone
                )
                if clause.field == "updated" and clause.operator in (">", ">=", "<", "<="):
                    bounds.append((clause.operator, bound))
                filters.append(lambda issue, c=clause, b=bound: COMPARE[c.operator](getattr(issue, c.field), b))
            else:
                filters.append(self._clause_filter(clause, visible))
        projects = [project for project in visible if chosen is None or project.id in chosen]
        fast = (
            len(projects) == 1
            and len(bounds) == len(filters)
            and len(query.order) == 1
            and query.order[0][0] == "updated"
        )
        if fast:
            return self._index_hits(projects[0], bounds, descending=query.order[0][1])
        matches = [
            self.issues[issue_id]
            for project in projects
            for _, issue_id in project.by_updated
            if all(check(self.issues[issue_id]) for check in filters)
        ]
        matches.sort(key=lambda issue: issue.id)
        for field, descending in reversed(query.order or (("key", True),)):
            matches.sort(key=_SORT_KEYS[field], reverse=descending)
        return _ListHits([issue.id for issue in matches])

    @staticmethod
    def _index_hits(project: ProjectRecord, bounds, *, descending: bool) -> _IndexHits:
        index, low, high = project.by_updated, 0, len(project.by_updated)
        for operator, bound in bounds:
            if operator == ">=":
                low = max(low, bisect_left(index, (bound, 0)))
            elif operator == ">":
                low = max(low, bisect_right(index, (bound, sys.maxsize)))
            elif operator == "<=":
                high = min(high, bisect_right(index, (bound, sys.maxsize)))
            else:
                high = min(high, bisect_left(index, (bound, 0)))
        return _IndexHits(index, low, max(low, high), descending)

    def _jql_project(self, value: str, visible: list[ProjectRecord]) -> ProjectRecord:
        for project in visible:
            if value.lower() in (project.key.lower(), str(project.id), project.name.lower()):
                return project
        raise JqlError(f"The value '{value}' does not exist for the field 'project'.")

    def _clause_filter(self, clause: Clause, visible: list[ProjectRecord]) -> Callable[[IssueRecord], bool]:
        negate = clause.operator in ("!=", "not in")
        if clause.field == "key":
            wanted = set()
            for value in clause.values:
                issue = self._issue_by_reference(value)
                if issue is None or issue.project not in visible:
                    raise JqlError(f"An issue with key '{value}' does not exist for field 'key'.")
                wanted.add(issue.id)
            return lambda issue: (issue.id in wanted) != negate
        if clause.field == "status":
            names = {self._jql_status(value) for value in clause.values}
            return lambda issue: (issue.status in names) != negate
        if clause.field == "statusCategory":
            categories = {self._jql_status_category(value) for value in clause.values}
            return lambda issue: (self.statuses[issue.status] in categories) != negate
        labels = set(clause.values)
        return lambda issue: bool(labels & set(issue.labels)) != negate

    def _jql_status(self, value: str) -> str:
        for name, status_id in self.status_ids.items():
            if value.lower() in (name.lower(), status_id):
                return name
        raise JqlError(f"The value '{value}' does not exist for the field 'status'.")

    @staticmethod
    def _jql_status_category(value: str) -> str:
        for key, (category_id, name, _) in STATUS_CATEGORIES.items():
            if value.lower() in (key, name.lower(), str(category_id)):
                return key
        raise JqlError(f"The value '{value}' does not exist for the field 'statusCategory'.")

    # --- endpoints ---------------------------------------------------------------------------
    def _search_params(self, request) -> dict:
        """GET query parameters or the POST body, with `fields` as a list either way."""
        if request.method == "POST":
            params = self._json_body(request) or {}
            fields = params.get("fields")
            params["fields"] = [fields] if isinstance(fields, str) else list(fields or [])
            expand = params.get("expand")
            params["expand"] = ",".join(expand) if isinstance(expand, list) else expand or ""
            return params
        params = {name: values[0] for name, values in request.query.items()}
        params["fields"] = request.query.get("fields", [])
        return params

    def _enhanced_search(self, request, version: str, user: UserRecord | None):
        """Cloud's /search/jql: {"issues", "nextPageToken" (absent on the last page), "isLast"}; ids only by default."""
        params = self._search_params(request)
        jql = params.get("jql") or ""
        fields = wanted_fields(params["fields"], "id")
        limit = max(1, min(_int(params.get("maxResults"), 50), 5000 if not fields else 100))
        hits = self._search(jql, user, bounded=True)
        state = self._decode_token(params.get("nextPageToken"), jql)
        if isinstance(hits, _IndexHits):
            ids, last, more = hits.after(state.get("after"), limit)
            following = {"after": last}
        else:
            offset = state.get("offset", 0)
            ids = hits.at_offset(offset, limit)
            more, following = offset + limit < hits.total, {"offset": offset + limit}
        body = {
            "issues": [
                self._issue_json(self.issues[i], version, fields, expand=params.get("expand") or "") for i in ids
            ]
        }
        if more:
            body["nextPageToken"] = self._encode_token(following, jql)
        body["isLast"] = not more
        return body

    def _offset_search(self, request, version: str, user: UserRecord | None):
        """Server's /search: startAt, maxResults (capped), total."""
        params = self._search_params(request)
        fields = wanted_fields(params["fields"], "*navigable")
        start = max(0, _int(params.get("startAt"), 0))
        limit = max(0, min(_int(params.get("maxResults"), 50), self.search_max_results))
        hits = self._search(params.get("jql") or "", user, bounded=False)
        ids = hits.at_offset(start, limit)
        issues = [self._issue_json(self.issues[i], version, fields, expand=params.get("expand") or "") for i in ids]
        return {"expand": "schema,names", "startAt": start, "maxResults": limit, "total": hits.total, "issues": issues}

    @staticmethod
    def _encode_token(state: dict, jql: str) -> str:
        raw = json.dumps({**state, "jql": zlib.crc32(jql.encode())}).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @staticmethod
    def _decode_token(token: str | None, jql: str) -> dict:
        if not token:
            return {}
        try:
            state = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        except ValueError:
            raise JiraError(400, BAD_TOKEN) from None
        if not isinstance(state, dict) or state.pop("jql", None) != zlib.crc32(jql.encode()):
            raise JiraError(400, BAD_TOKEN)
        return state


def _int(value, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except (TypeError, ValueError):
        raise JiraError(400, f"'{value}' is not a valid number.") from None


_SORT_KEYS = {
    "updated": lambda issue: issue.updated,
    "created": lambda issue: issue.created,
    "key": lambda issue: (issue.project.key, issue.number),
}
