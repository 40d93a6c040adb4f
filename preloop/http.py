"""The one door to the outside: every outbound HTTP request is made with a client from here.

Clients always carry a timeout and identify Preloop; `send_with_retries` retries what is transient
(timeouts, connection failures, 429, 5xx, and what the caller recognises as a rate limit) with
backoff or after `Retry-After`, and never what is permanent (4xx).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime

import httpx2

from preloop import __version__

log = logging.getLogger(__name__)
DEFAULT_TIMEOUT_SECONDS = 10.0
USER_AGENT = f"Preloop/{__version__}"
TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})


def client(*, timeout: float = DEFAULT_TIMEOUT_SECONDS, **options) -> httpx2.Client:
    headers = {"User-Agent": USER_AGENT, **options.pop("headers", {})}
    return httpx2.Client(timeout=timeout, headers=headers, follow_redirects=False, **options)


def async_client(*, timeout: float = DEFAULT_TIMEOUT_SECONDS, **options) -> httpx2.AsyncClient:
    headers = {"User-Agent": USER_AGENT, **options.pop("headers", {})}
    return httpx2.AsyncClient(timeout=timeout, headers=headers, follow_redirects=False, **options)


def retry_after_seconds(response: httpx2.Response) -> float | None:
    """`Retry-After` as seconds (it may be a number or an HTTP date)."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None


def send_with_retries(
    http: httpx2.Client,
    method: str,
    url: str,
    *,
    attempts: int = 4,
    backoff_seconds: float = 0.5,
    max_wait_seconds: float = 60.0,
    rate_limit_wait: Callable[[httpx2.Response], float | None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    **request_options,
) -> httpx2.Response:
    """Send a request, retrying transient failures; returns the last response (or raises the transport error).

    `rate_limit_wait(response)` lets a caller mark more responses as "wait this long, then retry"
    (GitHub's 403 rate limits). A wait longer than `max_wait_seconds` is not slept: the response is
    returned for the caller to report.
    """
    for attempt in range(1, attempts + 1):
        try:
            response = http.request(method, url, **request_options)
        except httpx2.TransportError:
            if attempt == attempts:
                raise
            sleep(backoff_seconds * 2 ** (attempt - 1))
            continue
        wait = rate_limit_wait(response) if rate_limit_wait else None
        if wait is None and response.status_code in TRANSIENT_STATUSES:
            wait = retry_after_seconds(response)
            if wait is None:
                wait = backoff_seconds * 2 ** (attempt - 1)
        if wait is None or attempt == attempts or wait > max_wait_seconds:
            return response
        log.info("%s %s answered %s; retrying in %.1fs", method, url, response.status_code, wait)
        sleep(wait)
    raise AssertionError("unreachable")


class OutboundUrlRefused(ValueError):
    """A user-supplied URL Preloop will not call (wrong scheme, or a private address where those are off)."""


def outbound_url_check(url: str, *, allow_private: bool | None = None) -> str:
    """Refuse URLs that would let a user make Preloop call its own network (SSRF).

    Only http(s). Loopback, private, link-local (cloud metadata) and other non-public addresses are
    refused unless ALLOW_PRIVATE_OUTBOUND_URLS is on (the development default, so local servers work).
    Every address the host name resolves to is checked.
    """
    import ipaddress
    import socket
    from urllib.parse import urlsplit

    from django.conf import settings

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OutboundUrlRefused(f"Only http:// and https:// URLs with a host are allowed, not {url!r}.")
    if allow_private is None:
        allow_private = settings.ALLOW_PRIVATE_OUTBOUND_URLS
    if allow_private:
        return url
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    except socket.gaierror as error:
        raise OutboundUrlRefused(f"Cannot resolve {parts.hostname!r}: {error.strerror}.") from error
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise OutboundUrlRefused(
                f"{parts.hostname} resolves to the non-public address {address}; an administrator can allow "
                "such addresses with ALLOW_PRIVATE_OUTBOUND_URLS=true."
            )
    return url
