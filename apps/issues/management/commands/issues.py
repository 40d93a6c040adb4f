"""`issues reembed [--prune]`: give every live issue a vector of the configured embedding model."""

import sys
import time

from django.core.management.base import BaseCommand, CommandError

from apps.issues.embeddings.consumer import issues_embed_and_pair
from apps.issues.embeddings.providers import EmbeddingError, embedding_provider
from apps.issues.embeddings.store import embeddings_prune, issues_without_embedding

BATCH = 256


class Command(BaseCommand):
    help = (
        "Issue maintenance. `issues reembed`: embed every live issue that has no vector of the configured model "
        "(after EMBEDDING_PROVIDER or EMBEDDING_MODEL changed), refreshing duplicate pairs on the way; "
        "`--prune` then deletes vectors of other models and their indexes."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["reembed"])
        parser.add_argument("--prune", action="store_true", help="delete vectors of every other model afterwards")

    def handle(self, *args, action, prune, **options):
        try:
            provider = embedding_provider()
        except EmbeddingError as error:
            raise CommandError(str(error)) from error
        ids = issues_without_embedding(model_key=provider.model_key)
        self.stdout.write(f"{len(ids)} issues to embed with {provider.model_key} ({provider.dimensions} dimensions)")
        started = time.monotonic()
        with self._progress(len(ids)) as advance:
            for start in range(0, len(ids), BATCH):
                chunk = ids[start : start + BATCH]
                try:
                    issues_embed_and_pair(chunk)
                except EmbeddingError as error:
                    raise CommandError(
                        f"Stopped after {start} issues: {error} (run the command again to resume)"
                    ) from error
                advance(len(chunk))
        elapsed = time.monotonic() - started
        rate = f", {len(ids) / elapsed:.0f} issues/s" if ids and elapsed else ""
        self.stdout.write(self.style.SUCCESS(f"embedded {len(ids)} issues in {elapsed:.1f}s{rate}"))
        if prune:
            removed = embeddings_prune(keep_model_key=provider.model_key)
            self.stdout.write(f"pruned {removed} vectors of other models")

    def _progress(self, total: int):
        if sys.stdout.isatty():
            return _Bar(total)
        return _Lines(self.stdout, total)


class _Bar:
    def __init__(self, total: int):
        self.total = total

    def __enter__(self):
        from tqdm import tqdm

        self.bar = tqdm(total=self.total, desc="embedding", unit=" issues", dynamic_ncols=True)
        return self.bar.update

    def __exit__(self, *exc):
        self.bar.close()


class _Lines:
    """Plain progress lines when output is not a terminal (CI, cron, containers)."""

    def __init__(self, stdout, total: int):
        self.stdout, self.total, self.done = stdout, total, 0

    def __enter__(self):
        return self.advance

    def advance(self, count: int) -> None:
        self.done += count
        self.stdout.write(f"embedding: {self.done}/{self.total}")

    def __exit__(self, *exc):
        return None
