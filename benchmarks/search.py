"""Issue search at scale: p50/p95 latency per mode (query embedding included) and HNSW recall@10.

    ./start.sh bench search                    # 100,000 issues
    ./start.sh bench search --million          # 1,000,000 issues
    ./start.sh bench search --issues 20000 --queries 100

The corpus is generated: issue texts from realistic parts (components, symptoms, environments), owned by
two users (90 % / 10 %, so every query filters by owner as production does). Vectors: `--real` issues
(default 2,000) are embedded with the real local model; every other issue's vector is synthetic, the
vector of the real issue whose text it varies plus noise, so the index holds clustered data like real
embeddings do (ARCHITECTURE decision 9 allows this). Queries are embedded with the real model, in the
timed path, through the production search function. Recall@10: HNSW top 10 (the production semantic
query) against the exact top 10 computed with numpy over the same user's vectors.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

COMPONENTS = ["login page", "checkout", "search", "issue list", "dashboard", "CSV export", "webhooks", "API tokens",
              "notifications", "file upload", "billing", "user settings", "SSO", "mobile app", "audit log",
              "project import", "comments", "labels", "attachments", "reports"]  # fmt: skip
SYMPTOMS = ["returns a 500 error", "is very slow", "times out", "shows a blank page", "crashes", "loses data",
            "shows the wrong time zone", "ignores the filter", "sends duplicate emails", "fails silently",
            "has a broken layout", "rejects valid input", "logs users out", "leaks memory", "double-charges"]  # fmt: skip
CONTEXTS = ["on Safari", "on Firefox", "on Chrome", "on Android", "on iOS", "for large projects", "after the upgrade",
            "behind a proxy", "with SSO enabled", "for users in Europe", "with non-ASCII names", "on slow networks",
            "when offline", "for admins only", "on the first visit"]  # fmt: skip
DETAILS = ["Steps to reproduce: open it, wait a minute, refresh.", "Expected it to work as in the last release.",
           "Seen by several customers this week.", "Logs show a timeout in the database call.",
           "It started after the 2.4 deploy.", "A workaround is to clear the cache.", "Only some accounts see it.",
           "Happens about one time in ten.", "Support has three tickets about it.", "The console shows a JS error."]  # fmt: skip
QUERY_VERBS = ["broken", "not working", "error", "slow", "problem with", "bug in", "cannot use"]


# A synthetic vector is a real one + MIX times another real one + noise of norm about NOISE: about 0.85 cosine to
# its base. Near-copies (noise 0.25, cosine 0.97, 50 per base) made the HNSW graph fall apart into islands, a
# structure real issue corpora do not have.
MIX = 0.35
NOISE = 0.5


def issue_text(rng: random.Random) -> tuple[str, str]:
    component, symptom, context = rng.choice(COMPONENTS), rng.choice(SYMPTOMS), rng.choice(CONTEXTS)
    title = f"{component.capitalize()} {symptom} {context}"
    return title, " ".join(rng.sample(DETAILS, 3))


def query_text(rng: random.Random) -> str:
    return f"{rng.choice(COMPONENTS)} {rng.choice(QUERY_VERBS)} {rng.choice(CONTEXTS)}"


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def build_corpus(total: int, real: int, rng: random.Random):
    """Users, projects, issues and vectors, written with COPY; returns (bench user, its vectors, ids)."""
    import numpy as np
    from django.db import connection

    from apps.accounts.models import User
    from apps.issues.embeddings.providers import embedding_provider
    from apps.issues.embeddings.store import embedding_index_ensure
    from apps.issues.models import Issue, IssueEmbedding
    from apps.trackers.models import Organization, Project, Tracker
    from preloop.db import bulk_copy

    provider = embedding_provider()
    users = [User.objects.create_user(email=f"bench{n}@example.com", password="x" * 12) for n in range(2)]
    projects = []
    for user in users:
        tracker = Tracker.objects.create(owner=user, name="bench", tracker_type="github", api_token="t")
        organization = Organization.objects.create(tracker=tracker, name="acme", identifier="acme")
        projects.append(Project.objects.create(organization=organization, name="big", identifier="big"))
    started = time.monotonic()
    texts = [issue_text(rng) for _ in range(real)]
    base = provider.embed_documents([f"{title}\n\n{body}" for title, body in texts])
    print(f"embedded {real} real issue texts with {provider.model_key} in {time.monotonic() - started:.1f}s")
    started = time.monotonic()
    noise = np.random.default_rng(rng.randrange(2**32))
    owner_vectors, owner_ids = [], []
    for start in range(0, total, 20_000):
        issues, vectors = [], []
        for index in range(start, min(total, start + 20_000)):
            pick = index % real if index < real else rng.randrange(real)
            title, body = texts[pick] if index < real else issue_text(rng)
            vector = base[pick]
            if index >= real:  # a variation of a real issue: its vector, drawn towards another one, plus noise
                vector = vector + MIX * base[rng.randrange(real)]
                vector = vector + noise.normal(0, NOISE / np.sqrt(provider.dimensions), provider.dimensions)
                vector = (vector / np.linalg.norm(vector)).astype(np.float32)
            user_index = 0 if index % 10 else 1
            issue = Issue(id=uuid.uuid4(), project=projects[user_index], external_id=str(index), key=f"#{index}",
                          number=index, title=title, description=body)  # fmt: skip
            issues.append(issue)
            vectors.append((issue, users[user_index], projects[user_index], vector))
            if user_index == 0:
                owner_vectors.append(vector)
                owner_ids.append(issue.id)
        bulk_copy(Issue, issues)
        bulk_copy(IssueEmbedding, [
            IssueEmbedding(issue=issue, owner=user, project=project, model=provider.model_key,
                           dimensions=provider.dimensions, embedding=vector, content_digest="synthetic")
            for issue, user, project, vector in vectors
        ])  # fmt: skip
        print(f"  stored {min(total, start + 20_000):,} issues", flush=True)
    print(f"stored {total:,} issues and vectors in {time.monotonic() - started:.1f}s")
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '1GB'")
        # What autovacuum does on a live system: COPYed rows sit in the GIN index's pending list (scanned
        # linearly by every query) until a vacuum merges them.
        cursor.execute("VACUUM ANALYZE issues_issue")
    embedding_index_ensure(model_key=provider.model_key, dimensions=provider.dimensions)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE issues_issueembedding")
    print(f"built the HNSW index (m=16, ef_construction=64) in {time.monotonic() - started:.1f}s")
    return users[0], np.vstack(owner_vectors), owner_ids


def explain(user, query: str) -> None:
    """EXPLAIN ANALYZE of the statements one hybrid search runs (Django's query capture)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from apps.issues import search

    with CaptureQueriesContext(connection) as captured:
        search.issue_search(user=user, query=query, mode="hybrid")
    with connection.cursor() as cursor:
        for statement in captured.captured_queries:
            sql = statement["sql"]
            if not sql.startswith("SELECT"):
                continue
            cursor.execute("BEGIN")
            cursor.execute("SET LOCAL hnsw.iterative_scan = strict_order")
            cursor.execute(f"SET LOCAL hnsw.ef_search = {search.HNSW_EF_SEARCH}")
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            print(sql[:300], "\n  " + "\n  ".join(row[0] for row in cursor.fetchall()), "\n")
            cursor.execute("ROLLBACK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=100_000)
    parser.add_argument("--million", action="store_true", help="1,000,000 issues")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--real", type=int, default=2_000, help="issues embedded with the real model")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--explain", action="store_true", help="print the plans of one query per mode")
    parser.add_argument("--ef-search", type=int, help="HNSW candidates per search (default: the product's setting)")
    args = parser.parse_args()
    total = 1_000_000 if args.million else args.issues
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "preloop.settings")
    import django

    django.setup()
    import numpy as np

    from apps.issues import search
    from apps.issues.embeddings.providers import embedding_provider

    if args.ef_search:
        search.HNSW_EF_SEARCH = args.ef_search
    rng = random.Random(args.seed)  # noqa: S311 - reproducible test data, not secrets
    user, vectors, ids = build_corpus(total, min(args.real, total), rng)
    provider = embedding_provider()
    queries = [query_text(rng) for _ in range(args.queries)]
    for query in queries[:5]:  # warm-up: the model, connections, caches
        search.issue_search(user=user, query=query, mode="hybrid")
    if args.explain:
        explain(user, queries[0])
    print(f"\n{total:,} issues ({len(ids):,} of the searching user), {len(queries)} queries, limit 10")
    print(f"{'mode':<10} {'p50 ms':>8} {'p95 ms':>8} {'mean hits':>10}")
    for mode in ("keyword", "semantic", "hybrid"):
        timings, hits = [], []
        for query in queries:
            started = time.perf_counter()
            result = search.issue_search(user=user, query=query, mode=mode, limit=10)
            timings.append((time.perf_counter() - started) * 1000)
            hits.append(len(result.hits))
        print(f"{mode:<10} {pct(timings, 50):8.1f} {pct(timings, 95):8.1f} {statistics.mean(hits):10.1f}")
    embed_ms = []
    recalls = []
    scope = search._scope_filter(user, search.SearchFilters())
    for query in queries:
        started = time.perf_counter()
        vector = provider.embed_query(query)
        embed_ms.append((time.perf_counter() - started) * 1000)
        approximate = search._semantic_ranked(scope, provider, query, 10, min_similarity=-1.0)
        # Distance-based recall (as ann-benchmarks counts it): a result is right when it is at least as close
        # as the exact 10th neighbour. Variations of one issue tie, so which ids come back among equals is arbitrary.
        tenth = np.sort(vectors @ vector)[-10]
        recalls.append(sum(similarity >= tenth - 1e-4 for _, similarity in approximate) / 10)

    print(f"\nquery embedding alone: p50 {pct(embed_ms, 50):.1f} ms, p95 {pct(embed_ms, 95):.1f} ms")
    print(f"HNSW recall@10 against exact search (distance-based): {statistics.mean(recalls):.3f} "
          f"(min {min(recalls):.1f}, ef_search {search.HNSW_EF_SEARCH})")  # fmt: skip
    print("vectors: the first --real issues embedded with the real model, the others synthetic (see the docstring)")


if __name__ == "__main__":
    main()
