"""Duplicate-finding quality on labelled data: recall@1/5/10 and MAP of Preloop's own duplicate search.

    ./start.sh bench duplicates                                   # benchmarks/data (400 issues, 120 pairs)
    ./start.sh bench duplicates --issues my-issues.jsonl --pairs my-pairs.jsonl
    EMBEDDING_PROVIDER=openai EMBEDDING_API_KEY=… ./start.sh bench duplicates   # another provider

Format of the two files: benchmarks/data/README.md. The issues are stored in one project of a throw-away
user and embedded by the configured provider through the production path (`issues_embed`); every issue of
a known pair then asks the production neighbour query (the HNSW index, as `GET /issues/{id}/duplicates`)
for its 100 nearest issues. recall@k: share of an issue's known duplicates in its top k, averaged; MAP:
mean average precision over those 100 (exact when the file has at most 101 issues per group of queries).
It also prints how the project thresholds would classify: the share of known pairs at or above each
similarity, and how many other pairs (false alarms) are.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
DATA = Path(__file__).resolve().parent / "data"
DEPTH = 100


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def groups_of(pairs: list[dict], ids: set[str]) -> dict[str, set[str]]:
    """Issue id -> its known duplicates; pairs sharing an issue join into one group."""
    group_of: dict[str, set[str]] = {}
    for pair in pairs:
        a, b = str(pair["a"]), str(pair["b"])
        for issue_id in (a, b):
            if issue_id not in ids:
                raise SystemExit(f"the pairs file names {issue_id!r}, which is not in the issues file")
        merged = group_of.get(a, {a}) | group_of.get(b, {b})
        for member in merged:
            group_of[member] = merged
    return {issue_id: group - {issue_id} for issue_id, group in group_of.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=Path, default=DATA / "issues.jsonl")
    parser.add_argument("--pairs", type=Path, default=DATA / "pairs.jsonl")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "preloop.settings")
    import django

    django.setup()
    from apps.accounts.models import User
    from apps.issues.duplicates import _neighbours
    from apps.issues.embeddings.providers import embedding_provider
    from apps.issues.embeddings.store import issues_embed
    from apps.issues.models import Issue
    from apps.trackers.models import Organization, Project, Tracker
    from preloop.db import bulk_copy

    rows = read_jsonl(args.issues)
    wanted = groups_of(read_jsonl(args.pairs), {str(row["id"]) for row in rows})
    user = User.objects.create_user(email=f"dup-bench-{uuid.uuid4().hex[:8]}@example.com", password="x" * 12)
    tracker = Tracker.objects.create(owner=user, name="bench", tracker_type="github", api_token="t")
    organization = Organization.objects.create(tracker=tracker, name="bench", identifier="bench")
    project = Project.objects.create(organization=organization, name="bench", identifier="bench")
    issues = [
        Issue(
            id=uuid.uuid4(),
            project=project,
            external_id=str(row["id"]),
            key=str(row["id"]),
            title=row["title"][:1000],
            description=row.get("description") or "",
        )
        for row in rows
    ]
    bulk_copy(Issue, issues)
    provider = embedding_provider()
    started = time.monotonic()
    for start in range(0, len(issues), 256):
        issues_embed(issue_ids=[issue.id for issue in issues[start : start + 256]], provider=provider)
    elapsed = time.monotonic() - started
    print(f"{len(issues)} issues embedded with {provider.model_key} in {elapsed:.1f}s ({len(issues) / elapsed:.0f}/s)")

    by_key = {issue.key: issue for issue in issues}
    key_of = {issue.id: issue.key for issue in issues}
    recall = {1: [], 5: [], 10: []}
    average_precisions, known_similarities, other_similarities = [], [], []
    for key, duplicates in wanted.items():
        ranked = _neighbours(by_key[key], provider, DEPTH)
        ranks = [rank for rank, (issue_id, _) in enumerate(ranked, start=1) if key_of[issue_id] in duplicates]
        for k in recall:
            recall[k].append(sum(rank <= k for rank in ranks) / len(duplicates))
        average_precisions.append(sum(found / rank for found, rank in enumerate(ranks, start=1)) / len(duplicates))
        for issue_id, similarity in ranked[:10]:
            (known_similarities if key_of[issue_id] in duplicates else other_similarities).append(similarity)
    print(f"{len(wanted)} queries (issues with known duplicates), nearest {DEPTH} each")
    print(" ".join(f"recall@{k} {statistics.mean(values):.3f}" for k, values in recall.items()),
          f" MAP {statistics.mean(average_precisions):.3f}")  # fmt: skip
    print("\nsimilarity   known pairs at or above   other top-10 neighbours at or above")
    for threshold in (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9):
        share = sum(s >= threshold for s in known_similarities) / max(1, len(known_similarities))
        others = sum(s >= threshold for s in other_similarities)
        marker = {project.duplicate_threshold: "  <- duplicate (default)", project.overlap_threshold: "  <- overlapping (default)"}  # fmt: skip
        print(f"{threshold:10.2f}   {share:23.1%}   {others:10d}{marker.get(threshold, '')}")


if __name__ == "__main__":
    main()
