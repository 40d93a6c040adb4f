"""`sync scan all` / `sync scan tracker ID [--full]`: bring the local copy of issues up to date."""

import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from apps.trackers.models import Tracker
from apps.trackers.sync import tracker_sync


class Command(BaseCommand):
    help = "Sync issue trackers: `sync scan all [--full]` or `sync scan tracker TRACKER_ID [--full]`."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["scan"])
        parser.add_argument("target", choices=["all", "tracker"])
        parser.add_argument("tracker_id", nargs="?", help="with `tracker`: the tracker's id")
        parser.add_argument("--full", action="store_true", help="re-read everything and detect deleted issues")

    def handle(self, *args, action, target, tracker_id, full, **options):
        trackers = Tracker.objects.filter(is_active=True).select_related("owner").order_by("created_at")
        if target == "tracker":
            if not tracker_id:
                raise CommandError("Give the tracker's id: sync scan tracker TRACKER_ID")
            try:
                trackers = [Tracker.objects.select_related("owner").get(id=tracker_id)]
            except (Tracker.DoesNotExist, ValueError, ValidationError) as error:
                raise CommandError(f"No tracker with id {tracker_id!r}.") from error
        trackers = list(trackers)
        if not trackers:
            self.stdout.write("No active trackers to sync.")
            return
        failures = 0
        for tracker in trackers:
            label = f"{tracker.name} ({tracker.get_tracker_type_display()}, {tracker.owner.email})"
            with self._progress(label) as progress:
                summary = tracker_sync(tracker=tracker, full=full, progress=progress)
            if summary.skipped:
                self.stdout.write(f"{label}: skipped — a sync of this tracker is already running")
                continue
            status = self.style.SUCCESS("ok") if summary.ok else self.style.ERROR("errors")
            self.stdout.write(
                f"{label}: {status} — {summary.projects} projects, {summary.issues} issues, "
                f"{summary.comments} comment changes, {summary.deleted} gone"
            )
            for error in summary.errors:
                self.stdout.write(self.style.ERROR(f"  {error}"))
            failures += not summary.ok
        if failures:
            raise CommandError(f"{failures} of {len(trackers)} trackers had errors (see above).")

    def _progress(self, label: str):
        return _TerminalProgress(label) if sys.stdout.isatty() else _LogProgress(self.stdout, label)


class _TerminalProgress:
    """A tqdm bar per tracker on a terminal."""

    def __init__(self, label: str):
        self.label = label

    def __enter__(self):
        from tqdm import tqdm

        self.bar = tqdm(desc=self.label, unit=" issues", dynamic_ncols=True)
        return self

    def __call__(self, project: str, count: int) -> None:
        self.bar.set_postfix_str(project, refresh=False)
        self.bar.update(count)

    def __exit__(self, *exc):
        self.bar.close()


class _LogProgress:
    """Plain lines when output is not a terminal (CI, cron, containers)."""

    def __init__(self, stdout, label: str):
        self.stdout, self.label, self.totals = stdout, label, {}

    def __enter__(self):
        self.stdout.write(f"syncing {self.label}")
        return self

    def __call__(self, project: str, count: int) -> None:
        self.totals[project] = self.totals.get(project, 0) + count
        self.stdout.write(f"  {project}: {self.totals[project]} issues")

    def __exit__(self, *exc):
        return None
