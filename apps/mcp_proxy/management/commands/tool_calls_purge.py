"""`tool_calls_purge [--days N]`: delete tool-call audit rows older than the retention, now."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.mcp_proxy.services import tool_calls_purge


class Command(BaseCommand):
    help = "Delete tool-call audit rows older than TOOL_CALL_RETENTION_DAYS (or --days N); 0 keeps them all."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, help="retention in days (default: TOOL_CALL_RETENTION_DAYS)")

    def handle(self, *args, days, **options):
        days = settings.TOOL_CALL_RETENTION_DAYS if days is None else days
        if days < 0:
            raise CommandError("--days must be 0 (keep everything) or a number of days.")
        if days == 0:
            self.stdout.write("Retention is 0 days: every tool call is kept.")
            return
        deleted = tool_calls_purge(retention_days=days)
        self.stdout.write(f"Deleted {deleted} tool call{'s' if deleted != 1 else ''} older than {days} days.")
