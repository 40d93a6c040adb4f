import dramatiq

from apps.system.version_check import version_check_run


@dramatiq.actor(max_retries=0, time_limit=30_000)
def version_check() -> None:
    version_check_run()
