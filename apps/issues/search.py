"""Issue search: PostgreSQL full-text, vector similarity, or both fused by reciprocal rank (the default).

Only the requesting user's live issues are ever considered. Keyword search works the moment an issue is
stored; semantic search once a worker has embedded it. Queries are embedded in-process (the provider is
loaded once per process).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection, transaction
from django.db.models import F, Q
from django.db.models.functions import Cast
from pgvector.django import CosineDistance, VectorField

from apps.issues.embeddings.providers import EmbeddingError, EmbeddingProvider, embedding_provider
from apps.issues.models import Issue, IssueEmbedding
from apps.trackers.models import Project

MODES = ("hybrid", "semantic", "keyword")
RRF_K = 60  # the usual constant of reciprocal rank fusion: rank 1 weighs 1/61, rank 10 1/70
MAX_LIMIT = 100
HNSW_EF_SEARCH = 400  # recall@10 0.976 at 100 → 0.999 at 400 on 100k issues, latency unchanged (benchmarks/search.py)
# Below this cosine an issue is not "similar in meaning" at all (unrelated issue texts score about -0.1 to 0.15
# with the local model, the related ones of tests/issues/corpus.py 0.3 and up); without a floor every embedded
# issue would be a semantic "match".
MIN_SIMILARITY = 0.2
WORD = re.compile(r"[a-z0-9][a-z0-9_-]{2,}")


class SearchError(ValueError):
    """A search that cannot be run as asked: the message names the parameter."""

    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field_name = field_name


@dataclass(frozen=True)
class SearchFilters:
    organization: str = ""
    project: str = ""
    status: str = ""
    labels: tuple[str, ...] = ()
    issue_type: str = ""
    updated_since: datetime | None = None


@dataclass
class SearchHit:
    issue_id: object
    score: float
    keyword_rank: int | None = None
    semantic_rank: int | None = None
    similarity: float | None = None
    reason: str = ""
    issue: Issue | None = None


@dataclass
class SearchResult:
    query: str
    mode: str
    embedding_model: str | None
    hits: list[SearchHit]
    warnings: list[str] = field(default_factory=list)


def issue_search(*, user, query: str, mode: str = "hybrid", limit: int = 10, filters: SearchFilters = SearchFilters(),
                 provider: EmbeddingProvider | None = None) -> SearchResult:  # fmt: skip
    """Search the user's issues; see the module docstring for the modes."""
    query = (query or "").strip()
    if not query:
        raise SearchError("query", "Give a query: the words to look for.")
    if mode not in MODES:
        raise SearchError("mode", f"mode must be one of {', '.join(MODES)}, not {mode!r}.")
    if not 1 <= limit <= MAX_LIMIT:
        raise SearchError("limit", f"limit must be 1…{MAX_LIMIT}.")
    scope = _scope_filter(user, filters)
    pool = max(limit * 5, 50) if mode == "hybrid" else limit
    result = SearchResult(query=query, mode=mode, embedding_model=None, hits=[])
    keyword = _keyword_ranked(scope, query, pool) if mode != "semantic" else []
    semantic: list[tuple[str, float]] = []
    if mode != "keyword":
        try:
            provider = provider or embedding_provider()
            result.embedding_model = provider.model_key
            semantic = _semantic_ranked(scope, provider, query, pool)
        except EmbeddingError as error:
            if mode == "semantic":
                raise SearchError("mode", f"Semantic search is unavailable: {error}") from error
            result.warnings.append(f"Semantic search is unavailable, showing keyword matches only: {error}")
    result.hits = _fuse(keyword, semantic, mode, limit)
    _attach_issues(result.hits, query)
    return result


@dataclass(frozen=True)
class _Scope:
    """What a search may return, as filters on issues and on their vectors.

    The user's projects are resolved first into a list of ids: with literal ids PostgreSQL estimates
    the rows well and picks the GIN (full-text) or HNSW (vector) index; through a four-table join it
    misjudged and filtered every issue of the project row by row (measured with benchmarks/search.py).
    """

    user: object
    project_ids: tuple
    issue_lookups: dict  # Issue field lookups from the filters, besides project and liveness

    def issues(self):
        return Issue.objects.filter(**self.issue_lookups, project_id__in=self.project_ids, deleted_at__isnull=True)

    def vectors(self, model_key: str):
        on_issue = {f"issue__{lookup}": value for lookup, value in self.issue_lookups.items()}
        return IssueEmbedding.objects.filter(
            **on_issue,
            model=model_key,
            owner=self.user,
            project_id__in=self.project_ids,
            issue__deleted_at__isnull=True,
        )


def _scope_filter(user, filters: SearchFilters) -> _Scope:
    """The user's own live issues, narrowed by the filters."""
    projects = Project.objects.filter(organization__tracker__owner=user)
    if filters.organization:
        projects = projects.filter(_named("organization", filters.organization))
    if filters.project:
        organization, _, project = filters.project.rpartition("/")
        projects = projects.filter(_named("", project))
        if organization:
            projects = projects.filter(_named("organization", organization))
    lookups = {}
    if filters.status:
        status = filters.status.strip()
        if status.lower() in ("open", "closed"):
            lookups["state"] = status.lower()
        else:
            lookups["status__iexact"] = status
    if filters.labels:
        lookups["labels__contains"] = list(filters.labels)  # all of them
    if filters.issue_type:
        lookups["issue_type__iexact"] = filters.issue_type
    if filters.updated_since:
        lookups["updated_at_tracker__gte"] = filters.updated_since
    return _Scope(user=user, project_ids=tuple(projects.values_list("id", flat=True)), issue_lookups=lookups)


def _named(prefix: str, value: str) -> Q:
    """A project or organization given by its UUID or by its identifier (`acme`, `api`, `PROJ`)."""
    import uuid

    prefix = f"{prefix}__" if prefix else ""
    try:
        return Q(**{f"{prefix}id": uuid.UUID(value)})
    except ValueError:
        return Q(**{f"{prefix}identifier__iexact": value}) | Q(**{f"{prefix}name__iexact": value})


def _keyword_ranked(scope: _Scope, query: str, pool: int) -> list[tuple[str, float]]:
    search = SearchQuery(query, search_type="websearch", config="english")
    rows = (
        scope.issues()
        .filter(search_document=search)
        .annotate(rank=SearchRank(F("search_document"), search, normalization=32))
        .order_by("-rank", "-updated_at_tracker")
        .values_list("id", "rank")[:pool]
    )
    ranked = [(issue_id, float(rank)) for issue_id, rank in rows]
    key = _key_match(scope, query)
    if key and all(issue_id != key for issue_id, _ in ranked):
        ranked.insert(0, (key, 1.0))
    return ranked


def _key_match(scope: _Scope, query: str):
    """A query that is an issue's key (`#42`, `PROJ-7`) finds that issue first."""
    if not re.fullmatch(r"#?\d+|[A-Za-z][A-Za-z0-9_]*-\d+", query):
        return None
    key = query if not query.isdigit() else f"#{query}"
    return scope.issues().filter(key__iexact=key).values_list("id", flat=True).first()


def _semantic_ranked(scope: _Scope, provider: EmbeddingProvider, query: str, pool: int,
                     min_similarity: float = MIN_SIMILARITY) -> list[tuple[str, float]]:  # fmt: skip
    vector = provider.embed_query(query)
    distance = CosineDistance(Cast("embedding", VectorField(dimensions=provider.dimensions)), vector.tolist())
    with transaction.atomic():
        with connection.cursor() as cursor:
            # pgvector ≥ 0.8: keep scanning the HNSW graph until enough rows pass the filters, in order.
            cursor.execute("SET LOCAL hnsw.iterative_scan = strict_order")
            cursor.execute(f"SET LOCAL hnsw.ef_search = {HNSW_EF_SEARCH}")
        rows = list(
            scope.vectors(provider.model_key)
            .annotate(distance=distance)
            .order_by("distance")
            .values_list("issue_id", "distance")[:pool]
        )
    return [(issue_id, 1.0 - float(value)) for issue_id, value in rows if 1.0 - float(value) >= min_similarity]


def _fuse(keyword, semantic, mode: str, limit: int) -> list[SearchHit]:
    hits: dict = {}
    for rank, (issue_id, text_rank) in enumerate(keyword, start=1):
        hits[issue_id] = SearchHit(issue_id=issue_id, score=text_rank, keyword_rank=rank)
    for rank, (issue_id, similarity) in enumerate(semantic, start=1):
        hit = hits.setdefault(issue_id, SearchHit(issue_id=issue_id, score=similarity))
        hit.semantic_rank, hit.similarity = rank, similarity
    if mode == "hybrid":
        best = 2 / (RRF_K + 1)  # first in both lists: the score is 1.0
        for hit in hits.values():
            ranks = [rank for rank in (hit.keyword_rank, hit.semantic_rank) if rank]
            hit.score = sum(1 / (RRF_K + rank) for rank in ranks) / best
    ordered = sorted(hits.values(), key=lambda hit: (-hit.score, hit.keyword_rank or 1e9, hit.semantic_rank or 1e9))
    return [hit for hit in ordered if hit.score > 0][:limit]


def _attach_issues(hits: list[SearchHit], query: str) -> None:
    issues = Issue.objects.select_related("project__organization__tracker").defer("raw")
    by_id = issues.in_bulk([hit.issue_id for hit in hits]) if hits else {}
    words = set(WORD.findall(query.lower()))
    for hit in hits:
        hit.issue = by_id[hit.issue_id]
        hit.reason = _reason(hit, words)


def _reason(hit: SearchHit, words: set[str]) -> str:
    parts = []
    if hit.keyword_rank:
        in_title = sorted(word for word in words if word in hit.issue.title.lower())
        in_text = sorted(word for word in words - set(in_title) if word in hit.issue.description.lower())
        found = ([f"title has {', '.join(in_title)}"] if in_title else []) + (
            [f"description has {', '.join(in_text)}"] if in_text else []
        )
        parts.append(f"keyword match #{hit.keyword_rank}" + (f" ({'; '.join(found)})" if found else ""))
    if hit.semantic_rank:
        parts.append(f"similar in meaning #{hit.semantic_rank} (cosine {hit.similarity:.2f})")
    return "; ".join(parts)
