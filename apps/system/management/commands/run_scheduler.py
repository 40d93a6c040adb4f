"""The periodic scheduler: enqueues Dramatiq jobs on their intervals (one scheduler per deployment)."""

import logging
import signal

from apscheduler.schedulers.blocking import BlockingScheduler
from django.core.management.base import BaseCommand
from django.utils import timezone

from apps.system.schedule import PERIODIC_JOBS

log = logging.getLogger("preloop.scheduler")


class Command(BaseCommand):
    help = "Run the periodic scheduler (enqueues background jobs on their intervals)."

    def handle(self, *args, **options):
        scheduler = BlockingScheduler(timezone="UTC")
        for job in PERIODIC_JOBS:
            scheduler.add_job(
                job.enqueue,
                "interval",
                seconds=job.interval_seconds,
                id=job.name,
                next_run_time=timezone.now() if job.run_at_start else None,
                coalesce=True,
                max_instances=1,
            )
            log.info("scheduled %s every %ss", job.name, job.interval_seconds)

        def stop(*_args):
            scheduler.shutdown(wait=False)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        scheduler.start()
        log.info("scheduler stopped")
