"""What the HTTP-based clients share: retries, conditional GETs, and errors a user can act on."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from datetime import datetime

import httpx2
from django.core.cache import cache

from apps.trackers.clients import base
from preloop import http

ETAG_CACHE_SECONDS = 6 * 3600
ETAG_CACHE_MAX_BYTES = 1024 * 1024


def parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


class HttpTrackerClient(base.TrackerClient):
    """Subclasses set `tracker_label` and the auth, and may refine `rate_limit_wait` and `describe_error`."""

    tracker_label = "tracker"

    def __init__(
        self,
        *,
        base_url: str,
        token: str,
        username: str = "",
        timeout: float = 20.0,
        max_wait_seconds: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.username = username
        self.max_wait_seconds = max_wait_seconds
        self.sleep = sleep
        self.http = http.client(timeout=timeout, base_url=self.base_url, **self.auth_options())

    def auth_options(self) -> dict:
        return {"headers": {"Authorization": f"Bearer {self.token}"}}

    def close(self) -> None:
        self.http.close()

    # --- requests -----------------------------------------------------------------------
    def rate_limit_wait(self, response: httpx2.Response) -> float | None:
        """Seconds to wait before retrying a response the tracker uses to say "slow down" (besides 429)."""
        return None

    def is_rate_limited(self, response: httpx2.Response) -> bool:
        return False

    def request(self, method: str, url: str, *, context: str = "", **options) -> httpx2.Response:
        """Send with retries; a final error status becomes a TrackerError naming `context`."""
        try:
            response = http.send_with_retries(
                self.http, method, url, rate_limit_wait=self.rate_limit_wait,
                max_wait_seconds=self.max_wait_seconds, sleep=self.sleep, **options,
            )  # fmt: skip
        except httpx2.TimeoutException as error:
            raise base.TrackerUnavailable(
                f"{self.tracker_label} did not answer in time{self._for(context)}."
            ) from error
        except httpx2.TransportError as error:
            raise base.TrackerUnavailable(
                f"Cannot reach {self.tracker_label} at {self.base_url}{self._for(context)}: {error}"
            ) from error
        if response.status_code >= 400:
            raise self.error_for(response, context)
        return response

    def get_json(self, url: str, *, context: str = "", params: dict | None = None, conditional: bool = False):
        """GET and decode JSON. With `conditional`, an unchanged resource costs a 304 (no rate limit on GitHub)."""
        return self.get(url, context=context, params=params, conditional=conditional).json()

    def get(self, url: str, *, context: str = "", params: dict | None = None, conditional: bool = False):
        if not conditional:
            return self.request("GET", url, context=context, params=params)
        request_url = str(self.http.build_request("GET", url, params=params).url)
        key = "etag:" + hashlib.sha256(f"{self.token}|{request_url}".encode()).hexdigest()
        cached = cache.get(key)
        headers = {"If-None-Match": cached["etag"]} if cached else {}
        response = self.request("GET", request_url, context=context, headers=headers)
        if response.status_code == 304 and cached:
            return httpx2.Response(200, headers=cached["headers"], content=cached["body"], request=response.request)
        etag = response.headers.get("ETag")
        if etag and len(response.content) <= ETAG_CACHE_MAX_BYTES:
            kept = {name: value for name, value in response.headers.items() if name.lower() in {"link", "content-type"}}
            cache.set(key, {"etag": etag, "headers": kept, "body": response.content}, ETAG_CACHE_SECONDS)
        return response

    # --- errors -------------------------------------------------------------------------
    @staticmethod
    def _for(context: str) -> str:
        return f" for {context}" if context else ""

    def error_message(self, response: httpx2.Response) -> str:
        try:
            body = response.json()
        except ValueError:
            return response.text[:200].strip()
        if isinstance(body, dict):
            for key in ("message", "error", "error_description", "errorMessages"):
                if body.get(key):
                    value = body[key]
                    return "; ".join(map(str, value)) if isinstance(value, list) else str(value)
        return str(body)[:200]

    def describe_error(self, response: httpx2.Response, context: str) -> str | None:
        """A tracker-specific explanation (missing scopes and the like); None for the generic one."""
        return None

    def error_for(self, response: httpx2.Response, context: str) -> base.TrackerError:
        status = response.status_code
        detail = self.error_message(response)
        where = self._for(context)
        specific = self.describe_error(response, context)
        label = self.tracker_label
        if status == 429 or self.is_rate_limited(response):
            wait = http.retry_after_seconds(response)
            message = f"{label} rate limit reached{where}; try again later."
            return base.TrackerRateLimited(specific or message, status_code=status, retry_after=wait)
        if status == 401:
            message = f"{label} rejected the token{where}: it is wrong, expired or revoked."
            return base.TrackerAuthError(specific or message, status_code=status)
        if status == 403:
            message = f"{label} refused access{where}: the token lacks a permission ({detail})."
            return base.TrackerPermissionError(specific or message, status_code=status)
        if status == 404:
            message = f"{label} has no such object{where}, or the token may not see it."
            return base.TrackerNotFound(specific or message, status_code=status)
        if status == 410:
            return base.TrackerGone(specific or f"{label} says this was deleted{where}.", status_code=status)
        if status in (400, 409, 422):
            message = f"{label} rejected the request{where}: {detail}"
            return base.TrackerValidationError(specific or message, status_code=status)
        return base.TrackerUnavailable(
            specific or f"{label} failed{where} (HTTP {status}): {detail}", status_code=status
        )

    def next_link(self, response: httpx2.Response) -> str | None:
        return response.links.get("next", {}).get("url")
