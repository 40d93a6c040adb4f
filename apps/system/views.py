"""Liveness and readiness probes for load balancers and Kubernetes (served by ProbeMiddleware)."""

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from redis import Redis


def healthz(request):
    """The process is up and serving."""
    return JsonResponse({"status": "ok"})


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:  # any failure means not ready
        return False


def _redis_ok() -> bool:
    try:
        with Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2) as client:
            return bool(client.ping())
    except Exception:  # any failure means not ready
        return False


def readyz(request):
    """The database and Redis answer: this process can serve requests."""
    checks = {
        "database": "ok" if _database_ok() else "unreachable",
        "redis": "ok" if _redis_ok() else "unreachable",
    }
    ready = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503)
