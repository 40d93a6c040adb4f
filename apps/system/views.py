"""Liveness and readiness probes for load balancers and Kubernetes."""

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection
from django.http import JsonResponse


async def healthz(request):
    """The process is up and serving."""
    return JsonResponse({"status": "ok"})


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        return False


async def _redis_ok() -> bool:
    from redis.asyncio import Redis

    client = Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
    try:
        return bool(await client.ping())
    except Exception:
        return False
    finally:
        await client.aclose()


async def readyz(request):
    """The database and Redis answer: this process can serve requests."""
    checks = {
        "database": "ok" if await sync_to_async(_database_ok)() else "unreachable",
        "redis": "ok" if await _redis_ok() else "unreachable",
    }
    ready = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503)
