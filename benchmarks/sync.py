"""Full sync of one large project from a loopback GitHub: issues stored per second and peak memory.

    ./start.sh bench sync                      # 20,000 issues and 50,000 comments, plus smaller runs
    ./start.sh bench sync --sizes 20000        # one size
    ./start.sh bench sync --profile            # where the time goes (cProfile, top 25)

Each size runs in a fresh process whose peak RSS is read afterwards; the fake GitHub runs in its own
process so its memory is not counted. Embeddings are not part of sync and are not measured here.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
COMMENTS_PER_ISSUE = 2.5


def serve_fake(issues: int, ready, stop) -> None:
    """The fake GitHub in its own process: seeded without HTTP, then serving until told to stop."""
    from tests.fakes.github import FakeGitHub

    fake = FakeGitHub()
    fake.clock.set("2026-01-01T00:00:00Z")
    fake.add_org("acme")
    fake.add_repo("acme", "big")
    comments = int(issues * COMMENTS_PER_ISSUE)
    for index in range(issues):
        number = fake.add_issue("acme", "big", f"Issue {index}: the importer times out on large files",
                                body="Steps to reproduce:\n1. Upload a 2 GB file\n2. Wait\n" * 3,
                                labels=["bug", f"area-{index % 7}"])["number"]  # fmt: skip
        for _ in range(int(COMMENTS_PER_ISSUE) + (1 if index % 2 == 0 else 0)):
            if comments <= 0:
                break
            fake.add_comment("acme", "big", number, "I can reproduce this on 2.3 with a 1.5 GB file.")
            comments -= 1
    fake.start()
    ready.send(fake.url)
    stop.recv()
    fake.stop()


def run_one(issues: int, profile: bool) -> dict:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "preloop.settings")
    django.setup()
    from apps.accounts.models import User
    from apps.issues.models import Comment, Issue
    from apps.trackers.services import tracker_create
    from apps.trackers.sync import tracker_sync

    ready_here, ready_there = multiprocessing.Pipe()
    stop_here, stop_there = multiprocessing.Pipe()
    server = multiprocessing.Process(target=serve_fake, args=(issues, ready_there, stop_there), daemon=True)
    seed_started = time.perf_counter()
    server.start()
    url = ready_here.recv()
    seed_seconds = time.perf_counter() - seed_started
    user = User.objects.create_user(email=f"bench-{issues}-{time.time_ns()}@example.com", password="x" * 20)
    tracker = tracker_create(owner=user, name="bench", tracker_type="github", url=url, api_token="ghp_testtoken")
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    if profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        summary = profiler.runcall(tracker_sync, tracker=tracker, full=True)
        pstats.Stats(profiler, stream=sys.stderr).sort_stats(os.environ.get("BENCH_SORT", "cumulative")).print_stats(30)
    else:
        summary = tracker_sync(tracker=tracker, full=True)
    seconds = time.perf_counter() - started
    rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    stop_here.send("stop")
    server.join(timeout=10)
    stored_issues = Issue.objects.filter(project__organization__tracker=tracker).count()
    stored_comments = Comment.objects.filter(issue__project__organization__tracker=tracker).count()
    return {
        "issues": issues, "stored_issues": stored_issues, "stored_comments": stored_comments,
        "errors": summary.errors, "seconds": round(seconds, 2), "issues_per_second": round(stored_issues / seconds),
        "rss_before_mb": round(rss_before / 1024, 1), "rss_peak_mb": round(rss_peak / 1024, 1),
        "rss_growth_mb": round((rss_peak - rss_before) / 1024, 1), "seed_seconds": round(seed_seconds, 1),
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="5000,10000,20000", help="comma-separated issue counts")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # internal: run one size in this process
    options = parser.parse_args()
    if options.one:
        print(json.dumps(run_one(options.one, options.profile)))
        return
    print("Full sync from a loopback GitHub (fake in its own process), comments = 2.5 x issues")
    print(f"{'issues':>8} {'comments':>9} {'seconds':>8} {'issues/s':>9} {'peak RSS MB':>12} {'RSS growth MB':>14}")
    for size in [int(value) for value in options.sizes.split(",")]:
        command = [sys.executable, __file__, "--one", str(size)] + (["--profile"] if options.profile else [])
        completed = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True)
        result = json.loads(completed.stdout.strip().splitlines()[-1])  # fmt: skip
        print(f"{result['issues']:>8} {result['stored_comments']:>9} {result['seconds']:>8} "
              f"{result['issues_per_second']:>9} {result['rss_peak_mb']:>12} {result['rss_growth_mb']:>14}"
              + (f"  errors: {result['errors']}" if result["errors"] else ""))  # fmt: skip
    print("goal: >= 1,000 issues/s stored, memory flat in the issue count")


if __name__ == "__main__":
    main()
