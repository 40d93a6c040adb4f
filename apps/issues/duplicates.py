"""Duplicate detection: an issue's most similar issues, and each project's stored duplicate pairs.

Similarity is the cosine of the issues' vectors (the configured embedding model). A project's
`duplicate_threshold` and `overlap_threshold` classify a pair; workers keep `DuplicatePair` rows current
as issues are embedded, and a dismissed pair stays dismissed.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Q
from django.db.models.functions import Cast
from django.utils import timezone
from pgvector.django import CosineDistance, VectorField

from apps.issues.embeddings.providers import EmbeddingError, EmbeddingProvider, embedding_provider
from apps.issues.embeddings.store import embedding_text
from apps.issues.models import DuplicateClassification, DuplicatePair, Issue, IssueEmbedding
from apps.trackers.models import Project

NEIGHBOURS_PER_ISSUE = 20


@dataclass
class SimilarIssue:
    issue: Issue
    similarity: float
    classification: str
    dismissed: bool


def classification_for(similarity: float, project: Project) -> str | None:
    if similarity >= project.duplicate_threshold:
        return DuplicateClassification.DUPLICATE
    if similarity >= project.overlap_threshold:
        return DuplicateClassification.OVERLAPPING
    return None


def _neighbours(issue: Issue, provider: EmbeddingProvider, limit: int, *, vector=None) -> list[tuple[object, float]]:
    """(issue id, similarity) of the live issues of the same project closest to `issue`, closest first."""
    if vector is None:
        stored = (
            IssueEmbedding.objects.filter(issue=issue, model=provider.model_key)
            .values_list("embedding", flat=True)
            .first()
        )
        vector = stored if stored is not None else provider.embed_query(embedding_text(issue))
    distance = CosineDistance(Cast("embedding", VectorField(dimensions=provider.dimensions)), list(vector))
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL hnsw.iterative_scan = strict_order")
        rows = list(
            IssueEmbedding.objects.filter(model=provider.model_key, project_id=issue.project_id)
            .exclude(issue_id=issue.id)
            .filter(issue__deleted_at__isnull=True)
            .annotate(distance=distance)
            .order_by("distance")
            .values_list("issue_id", "distance")[:limit]
        )
    return [(issue_id, 1.0 - float(value)) for issue_id, value in rows]


def _ordered(first, second) -> tuple:
    return (first, second) if first < second else (second, first)


def issue_similar(*, issue: Issue, limit: int = 10, include_dismissed: bool = False,
                  provider: EmbeddingProvider | None = None) -> list[SimilarIssue]:  # fmt: skip
    """The issues of the same project that duplicate or overlap this one, most similar first."""
    provider = provider or embedding_provider()
    project = issue.project
    candidates = [
        (other_id, similarity)
        for other_id, similarity in _neighbours(issue, provider, max(limit * 2, NEIGHBOURS_PER_ISSUE))
        if classification_for(similarity, project)
    ]
    dismissed = _dismissed_partners(issue, [other_id for other_id, _ in candidates])
    others = (
        Issue.objects.select_related("project__organization__tracker")
        .defer("raw")
        .in_bulk([other_id for other_id, _ in candidates])
    )
    found = [
        SimilarIssue(others[other_id], similarity, classification_for(similarity, project), other_id in dismissed)
        for other_id, similarity in candidates
        if include_dismissed or other_id not in dismissed
    ]
    return found[:limit]


def issue_unresolved_duplicates(*, issue: Issue, provider: EmbeddingProvider | None = None) -> list[Issue]:
    """Open issues that duplicate this one and nobody has dismissed (compliance's "no unresolved duplicate")."""
    try:
        similar = issue_similar(issue=issue, limit=10, provider=provider)
    except EmbeddingError:
        return []  # without vectors nothing is known to be a duplicate; the compliance finding says so
    return [
        found.issue
        for found in similar
        if found.classification == DuplicateClassification.DUPLICATE and found.issue.state == "open"
    ]


def _dismissed_partners(issue: Issue, other_ids: list) -> set:
    pairs = DuplicatePair.objects.filter(Q(issue_a=issue) | Q(issue_b=issue), dismissed_at__isnull=False)
    return {b if a == issue.id else a for a, b in pairs.values_list("issue_a_id", "issue_b_id")} & set(other_ids)


def duplicates_refresh(*, issue_ids, provider: EmbeddingProvider | None = None) -> int:
    """Re-find the stored pairs of these issues (after they were embedded); returns how many pairs are current."""
    provider = provider or embedding_provider()
    issues = Issue.objects.filter(id__in=list(issue_ids), deleted_at__isnull=True).select_related("project")
    vectors = dict(
        IssueEmbedding.objects.filter(issue_id__in=list(issue_ids), model=provider.model_key).values_list(
            "issue_id", "embedding"
        )
    )
    current = 0
    for issue in issues:
        if issue.id not in vectors:
            continue
        found = [
            (other_id, similarity)
            for other_id, similarity in _neighbours(issue, provider, NEIGHBOURS_PER_ISSUE, vector=vectors[issue.id])
            if similarity >= issue.project.overlap_threshold
        ]
        current += _pairs_store(issue, found, provider.model_key)
    return current


def _pairs_store(issue: Issue, found: list[tuple[object, float]], model_key: str) -> int:
    with transaction.atomic():
        rows = [
            DuplicatePair(
                project_id=issue.project_id, issue_a_id=a, issue_b_id=b, similarity=similarity, model=model_key
            )
            for other_id, similarity in found
            for a, b in [_ordered(issue.id, other_id)]
        ]
        DuplicatePair.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=["issue_a", "issue_b"],
            update_fields=["similarity", "model", "updated_at"],
        )  # fmt: skip
        kept = {other_id for other_id, _ in found}
        gone = DuplicatePair.objects.filter(Q(issue_a=issue) | Q(issue_b=issue), dismissed_at__isnull=True).exclude(
            Q(issue_a_id__in=kept) | Q(issue_b_id__in=kept)
        )
        gone.delete()
    return len(rows)


def project_duplicates_scan(*, project: Project, provider: EmbeddingProvider | None = None) -> int:
    """Refresh every pair of the project (after thresholds change, or on request)."""
    ids = list(Issue.objects.filter(project=project, deleted_at__isnull=True).values_list("id", flat=True))
    total = 0
    for start in range(0, len(ids), 200):
        total += duplicates_refresh(issue_ids=ids[start : start + 200], provider=provider)
    return total


def duplicate_pair_dismiss(*, issue: Issue, other: Issue, user, dismissed: bool = True) -> DuplicatePair:
    """Mark two issues as not duplicates (or undo that); the mark survives later scans."""
    if other.project_id != issue.project_id or other.id == issue.id:
        raise ValueError("Only two different issues of the same project can be a duplicate pair.")
    a, b = _ordered(issue.id, other.id)
    pair = DuplicatePair.objects.filter(issue_a_id=a, issue_b_id=b).first()
    if pair is None:
        similarity = _pair_similarity(a, b)
        pair = DuplicatePair(project_id=issue.project_id, issue_a_id=a, issue_b_id=b, similarity=similarity,
                             model=embedding_provider().model_key)  # fmt: skip
    pair.dismissed_at = timezone.now() if dismissed else None
    pair.dismissed_by = user if dismissed else None
    pair.save()
    return pair


def _pair_similarity(a, b) -> float:
    provider = embedding_provider()
    vectors = dict(
        IssueEmbedding.objects.filter(issue_id__in=[a, b], model=provider.model_key).values_list(
            "issue_id", "embedding"
        )
    )
    if len(vectors) < 2:
        return 0.0
    return float(sum(x * y for x, y in zip(vectors[a], vectors[b], strict=True)))


@dataclass
class ProjectDuplicates:
    project: Project
    pairs: list[DuplicatePair]
    clusters: list[list[Issue]]


def project_duplicates(*, project: Project, include_dismissed: bool = False, limit: int = 200) -> ProjectDuplicates:
    """The project's pairs at or above its overlap threshold, and the clusters its duplicate pairs form."""
    pairs = (
        DuplicatePair.objects.filter(
            project=project,
            similarity__gte=project.overlap_threshold,
            issue_a__deleted_at__isnull=True,
            issue_b__deleted_at__isnull=True,
        )
        .select_related("issue_a", "issue_b")
        .defer("issue_a__raw", "issue_b__raw")
        .order_by("-similarity")
    )
    if not include_dismissed:
        pairs = pairs.filter(dismissed_at__isnull=True)
    pairs = list(pairs[:limit])
    for pair in pairs:
        pair.classification = classification_for(pair.similarity, project)
    return ProjectDuplicates(project=project, pairs=pairs, clusters=_clusters(pairs))


def _clusters(pairs: list[DuplicatePair]) -> list[list[Issue]]:
    """Connected groups of issues joined by undismissed duplicate pairs (union-find), largest first."""
    parent: dict = {}

    def root(node):
        while parent.setdefault(node, node) != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    issues = {}
    for pair in pairs:
        if pair.dismissed_at is None and pair.classification == DuplicateClassification.DUPLICATE:
            issues[pair.issue_a_id], issues[pair.issue_b_id] = pair.issue_a, pair.issue_b
            parent[root(pair.issue_a_id)] = root(pair.issue_b_id)
    groups: dict = {}
    for issue_id in issues:
        groups.setdefault(root(issue_id), []).append(issues[issue_id])
    return sorted(
        (sorted(group, key=lambda issue: issue.key) for group in groups.values() if len(group) > 1),
        key=len,
        reverse=True,
    )
