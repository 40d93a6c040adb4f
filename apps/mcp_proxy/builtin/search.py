"""The `search` tool: find issues by words and meaning, or the issues similar to one (its duplicates)."""

from __future__ import annotations

from django.utils.dateparse import parse_datetime

from apps.issues.duplicates import issue_similar
from apps.issues.embeddings.providers import EmbeddingError
from apps.issues.search import MODES, SearchError, SearchFilters, issue_search
from apps.mcp_proxy.builtin.issue_format import ISSUE_OBJECT_SCHEMA, issue_reference
from apps.mcp_proxy.builtin.issues import ISSUE_REFERENCE, _issue
from apps.mcp_proxy.registry import ToolError, ToolOutput, ToolSpec, tool_register

MAX_RESULTS = 50


def _brief(issue) -> dict:
    project = issue.project
    return {
        "id": str(issue.id), "reference": issue_reference(issue), "title": issue.title, "state": issue.state,
        "status": issue.status, "labels": list(issue.labels), "url": issue.url,
        "project": f"{project.organization.identifier}/{project.identifier}",
    }  # fmt: skip


def _filters(arguments: dict) -> SearchFilters:
    since = None
    if arguments.get("updated_since"):
        since = parse_datetime(arguments["updated_since"])
        if since is None:
            raise ToolError("updated_since must be an ISO 8601 date-time, e.g. 2026-01-31T00:00:00Z.")
    return SearchFilters(
        project=arguments.get("project", ""), status=arguments.get("status", ""),
        labels=tuple(arguments.get("labels", ())), issue_type=arguments.get("type", ""), updated_since=since,
    )  # fmt: skip


def _similar(user, arguments: dict) -> ToolOutput:
    issue = _issue(user, arguments["similar_to"])
    try:
        found = issue_similar(issue=issue, limit=min(arguments.get("limit", 10), MAX_RESULTS))
    except EmbeddingError as error:
        raise ToolError(f"Similar issues cannot be computed right now: {error}") from None
    results = [{"issue": _brief(hit.issue), "similarity": round(hit.similarity, 3),
                "classification": hit.classification, "dismissed": hit.dismissed} for hit in found]  # fmt: skip
    reference = issue_reference(issue)
    lines = [f"Issues similar to {reference} ({issue.title}):" if found else
             f"No issue of {reference}'s project is similar enough to be a duplicate or to overlap."]  # fmt: skip
    lines += [f"{n}. {r['issue']['reference']} {r['issue']['title']} — {r['classification']} "
              f"(similarity {r['similarity']:.2f}, {r['issue']['state']})" for n, r in enumerate(results, 1)]  # fmt: skip
    return ToolOutput(structured={"similar_to": reference, "results": results}, text="\n".join(lines))


def search(*, user, arguments: dict, context=None) -> ToolOutput:
    if arguments.get("similar_to"):
        return _similar(user, arguments)
    if not arguments.get("query", "").strip():
        raise ToolError("Give `query` (what to look for) or `similar_to` (an issue whose duplicates to find).")
    try:
        result = issue_search(user=user, query=arguments["query"], mode=arguments.get("mode", "hybrid"),
                              limit=min(arguments.get("limit", 10), MAX_RESULTS), filters=_filters(arguments))  # fmt: skip
    except SearchError as error:
        raise ToolError(f"{error.field_name}: {error}") from None
    results = [{"issue": _brief(hit.issue), "score": round(hit.score, 3), "reason": hit.reason}
               for hit in result.hits]  # fmt: skip
    lines = [*(f"Note: {warning}" for warning in result.warnings)]
    lines.append(f"{len(results)} issue(s) for {result.query!r} ({result.mode}):" if results
                 else f"No issue matches {result.query!r} ({result.mode}).")  # fmt: skip
    lines += [f"{n}. {r['issue']['reference']} {r['issue']['title']} [{r['issue']['state']}] — {r['reason']}"
              for n, r in enumerate(results, 1)]  # fmt: skip
    structured = {"query": result.query, "mode": result.mode, "results": results, "warnings": result.warnings}
    return ToolOutput(structured=structured, text="\n".join(lines))


RESULT_ISSUE = {**ISSUE_OBJECT_SCHEMA, "properties": {**ISSUE_OBJECT_SCHEMA["properties"],
                                                      "project": {"type": "string"}}}  # fmt: skip

tool_register(ToolSpec(
    name="search",
    title="Search issues",
    description="Search the issues of your connected trackers. Give `query` to search by words and meaning "
    "(hybrid by default: full-text and semantic similarity fused, so paraphrases are found too); each result says "
    "why it matched. Or give `similar_to` with an issue (`acme/api#42`, `PROJ-123`, a URL or Preloop's id) to list "
    "the issues of its project that duplicate or overlap it, most similar first — use it before creating an issue "
    "to avoid a duplicate. Narrow with project, status, labels, type and updated_since.",
    input_schema={"type": "object", "properties": {
        "query": {"type": "string", "maxLength": 1000, "description": "Words or a question; `\"exact phrase\"`, "
                  "`-excluded`; an issue key such as `#42` or `PROJ-7` finds that issue first."},
        "similar_to": {**ISSUE_REFERENCE, "description": "Instead of a query: the issue whose duplicates and "
                       "overlapping issues to find."},
        "mode": {"type": "string", "enum": list(MODES), "default": "hybrid",
                 "description": "hybrid (default), keyword (exact words) or semantic (meaning only)."},
        "project": {"type": "string", "description": "Only this project: `acme/api`, `api`, a Jira key or its id."},
        "status": {"type": "string", "description": "open, closed, or a tracker status such as `In Progress`."},
        "labels": {"type": "array", "items": {"type": "string", "minLength": 1}, "maxItems": 20,
                   "description": "Only issues with all of these labels."},
        "type": {"type": "string", "description": "Issue type, e.g. Bug."},
        "updated_since": {"type": "string", "format": "date-time", "description": "ISO 8601 date-time."},
        "limit": {"type": "integer", "minimum": 1, "maximum": MAX_RESULTS, "default": 10},
    }, "additionalProperties": False},
    output_schema={"type": "object", "properties": {
        "results": {"type": "array", "items": {"type": "object", "properties": {
            "issue": RESULT_ISSUE, "score": {"type": "number"}, "reason": {"type": "string"},
            "similarity": {"type": "number"}, "classification": {"type": "string"}}, "required": ["issue"]}},
    }, "required": ["results"]},
    handler=search,
    read_only=True, idempotent=True,
))  # fmt: skip
