"""Storing issue vectors: what text is embedded, skipping unchanged texts, one HNSW index per model."""

from __future__ import annotations

import hashlib
import logging

from django.db import connection, transaction
from psycopg import sql

from apps.issues.embeddings.providers import EmbeddingProvider, embedding_provider
from apps.issues.models import Issue, IssueEmbedding

log = logging.getLogger(__name__)
_indexed_models: set[str] = set()


def embedding_text(issue: Issue) -> str:
    """What an issue's vector stands for: its title, a blank line, its description."""
    return f"{issue.title}\n\n{issue.description}".strip()


def embedding_index_name(model_key: str) -> str:
    return "issues_embedding_hnsw_" + hashlib.sha256(model_key.encode()).hexdigest()[:12]


def embedding_cast(dimensions: int) -> str:
    """The indexed expression; queries must order by exactly this for the planner to use the index."""
    return f"(embedding::vector({int(dimensions)}))"


def embedding_index_ensure(*, model_key: str, dimensions: int) -> None:
    """Create the model's partial HNSW (cosine) index once; a no-op when it exists."""
    if model_key in _indexed_models:
        return
    statement = sql.SQL(
        "CREATE INDEX IF NOT EXISTS {name} ON issues_issueembedding USING hnsw ({cast} vector_cosine_ops) "
        "WHERE model = {model}"
    ).format(
        name=sql.Identifier(embedding_index_name(model_key)),
        cast=sql.SQL(embedding_cast(dimensions)),
        model=sql.Literal(model_key),
    )
    with connection.cursor() as cursor:
        if connection.in_atomic_block:
            # CREATE INDEX refuses to run while this transaction has deferred foreign-key checks pending.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(statement.as_string(cursor.connection))
    # Remembered once it is committed: a rolled-back index must be created again.
    transaction.on_commit(lambda: _indexed_models.add(model_key))


def embedding_index_drop(*, model_key: str) -> None:
    with connection.cursor() as cursor:
        statement = sql.SQL("DROP INDEX IF EXISTS {}").format(sql.Identifier(embedding_index_name(model_key)))
        cursor.execute(statement.as_string(cursor.connection))
    _indexed_models.discard(model_key)


def issues_embed(*, issue_ids, provider: EmbeddingProvider | None = None) -> list:
    """Embed the given issues whose text changed since their last vector of this model; returns their ids."""
    provider = provider or embedding_provider()
    issues = list(
        Issue.objects.filter(id__in=list(issue_ids), deleted_at__isnull=True)
        .select_related("project__organization__tracker")
        .only("id", "title", "description", "project_id", "project__organization__tracker__owner_id")
    )
    if not issues:
        return []
    digests = {issue.id: hashlib.sha256(embedding_text(issue).encode()).hexdigest() for issue in issues}
    current = dict(
        IssueEmbedding.objects.filter(issue_id__in=digests, model=provider.model_key).values_list(
            "issue_id", "content_digest"
        )
    )
    stale = [issue for issue in issues if current.get(issue.id) != digests[issue.id]]
    if not stale:
        return []
    vectors = provider.embed_documents([embedding_text(issue) for issue in stale])
    rows = [
        IssueEmbedding(
            issue_id=issue.id,
            owner_id=issue.project.organization.tracker.owner_id,
            project_id=issue.project_id,
            model=provider.model_key,
            dimensions=provider.dimensions,
            embedding=vector,
            content_digest=digests[issue.id],
        )
        for issue, vector in zip(stale, vectors, strict=True)
    ]
    embedding_index_ensure(model_key=provider.model_key, dimensions=provider.dimensions)
    with transaction.atomic():
        IssueEmbedding.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["issue", "model"],
            update_fields=["embedding", "content_digest", "dimensions", "embedded_at"],
        )
    log.info("embedded %s issues with %s", len(rows), provider.model_key)
    return [issue.id for issue in stale]


def issues_without_embedding(*, model_key: str, limit: int | None = None) -> list:
    """Ids of live issues that have no vector of the model yet, oldest first."""
    ids = (
        Issue.objects.filter(deleted_at__isnull=True)
        .exclude(embeddings__model=model_key)
        .order_by("created_at")
        .values_list("id", flat=True)
    )
    return list(ids[:limit] if limit else ids)


def embeddings_prune(*, keep_model_key: str) -> int:
    """Delete vectors of every other model and drop their indexes; returns how many vectors went."""
    others = list(IssueEmbedding.objects.exclude(model=keep_model_key).values_list("model", flat=True).distinct())
    deleted, _ = IssueEmbedding.objects.exclude(model=keep_model_key).delete()
    for model_key in others:
        embedding_index_drop(model_key=model_key)
    return deleted
