"""POSTing a notice to a user-supplied or configured URL through the one door (preloop/http.py).

Transient failures (timeouts, connection errors, 429, 5xx) are retried in this bounded loop with exponential
backoff (NOTIFICATION_HTTP_ATTEMPTS, NOTIFICATION_HTTP_BACKOFF_SECONDS); a 4xx is permanent and never retried.
A bounded loop inside one worker message, rather than Dramatiq retries, keeps the attempt count and the last
answer on one delivery row and never re-runs the channels that already succeeded.
"""

from __future__ import annotations

import httpx2
from django.conf import settings

from apps.notifications.channels.base import DeliveryResult, answer_excerpt
from preloop import http


def json_post(
    url: str, *, body: bytes, headers: dict | None = None, user_supplied: bool = True, signer=None
) -> DeliveryResult:
    """POST `body` (JSON bytes); `signer()` gives fresh headers per attempt (a signature's timestamp)."""
    if user_supplied:
        try:
            http.outbound_url_check(url)
        except http.OutboundUrlRefused as refused:
            return DeliveryResult.failed(str(refused), attempts=0)
    attempts = 0

    def count(request: httpx2.Request) -> None:
        nonlocal attempts
        attempts += 1
        if signer is not None:
            request.headers.update(signer())

    base_headers = {"Content-Type": "application/json", **(headers or {})}
    with http.client(
        timeout=settings.NOTIFICATION_HTTP_TIMEOUT_SECONDS, headers=base_headers, event_hooks={"request": [count]}
    ) as client:
        try:
            response = http.send_with_retries(
                client,
                "POST",
                url,
                content=body,
                attempts=settings.NOTIFICATION_HTTP_ATTEMPTS,
                backoff_seconds=settings.NOTIFICATION_HTTP_BACKOFF_SECONDS,
            )
        except httpx2.TransportError as error:
            return DeliveryResult.failed(f"{type(error).__name__}: {error or 'no answer'}", attempts=attempts)
    detail = answer_excerpt(response.text)
    if response.is_success:
        return DeliveryResult.sent(attempts=attempts, response_status=response.status_code, detail=detail)
    return DeliveryResult.failed(
        f"HTTP {response.status_code}: {detail}", attempts=attempts, response_status=response.status_code, detail=detail
    )
