"""The daily version check: sends only the instance UUID and version, never delays or fails anything."""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils import timezone

from preloop import __version__, http

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 5.0


def version_check_enabled() -> bool:
    return not (settings.PRELOOP_DISABLE_TELEMETRY or settings.DISABLE_VERSION_CHECK)


def version_check_run() -> str | None:
    """Ask VERSION_CHECK_URL for the latest version; returns it, or None when off or unreachable."""
    from apps.system.selectors import instance_get

    if not version_check_enabled():
        return None
    instance = instance_get()
    payload = {"instance_uuid": str(instance.uuid), "version": __version__}
    try:
        with http.client(timeout=TIMEOUT_SECONDS) as client:
            response = client.post(settings.VERSION_CHECK_URL, json=payload)
            response.raise_for_status()
        latest = str(response.json().get("latest_version", ""))[:50]
    except Exception as error:
        log.info("version check skipped: %s", error)
        return None
    instance.latest_version = latest
    instance.version_checked_at = timezone.now()
    instance.save(update_fields=["latest_version", "version_checked_at"])
    if latest and latest != payload["version"]:
        log.info("Preloop %s is available (this is %s)", latest, payload["version"])
    return latest
