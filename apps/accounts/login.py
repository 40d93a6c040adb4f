"""Sign-in with password, shared by the REST token endpoint and the console, with throttling.

Failures are counted per account and per client address in a time window. Past the limit further
attempts are refused (429) until the window passes, so guessing is slowed to a crawl while the
real user is locked out for minutes at most, never for good.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.cache import cache


class LoginFailed(Exception):
    """Wrong identifier or password (deliberately not saying which)."""


class LoginThrottled(Exception):
    def __init__(self, retry_after_seconds: int):
        self.retry_after_seconds = retry_after_seconds
        minutes = max(1, retry_after_seconds // 60)
        super().__init__(f"Too many failed sign-in attempts; try again in {minutes} minutes.")


def login_authenticate(*, request, identifier: str, password: str):
    """The user for these credentials; raises LoginThrottled or LoginFailed."""
    from apps.accounts.selectors import user_find_for_login

    address = client_address(request)
    wait = login_blocked_for(identifier=identifier, address=address)
    if wait:
        raise LoginThrottled(wait)
    found = user_find_for_login(identifier)
    user = authenticate(request, email=found.email, password=password) if found else None
    if user is None:
        login_failure_record(identifier=identifier, address=address)
        raise LoginFailed("Invalid email/username or password.")
    login_success_record(identifier=identifier)
    return user


def _keys(identifier: str, address: str) -> list[str]:
    account = hashlib.sha256((identifier or "").strip().lower().encode()).hexdigest()[:32]
    return [f"login-failures:account:{account}", f"login-failures:address:{address or 'unknown'}"]


def login_blocked_for(*, identifier: str, address: str) -> int:
    """Seconds to wait before another attempt is allowed; 0 when one is allowed now."""
    counts = cache.get_many(_keys(identifier, address))
    if any(count >= settings.LOGIN_FAILURES_ALLOWED for count in counts.values()):
        return settings.LOGIN_FAILURE_WINDOW_SECONDS
    return 0


def login_failure_record(*, identifier: str, address: str) -> None:
    for key in _keys(identifier, address):
        if not cache.add(key, 1, timeout=settings.LOGIN_FAILURE_WINDOW_SECONDS):
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.add(key, 1, timeout=settings.LOGIN_FAILURE_WINDOW_SECONDS)


def login_success_record(*, identifier: str) -> None:
    cache.delete(_keys(identifier, "")[0])


def client_address(request) -> str:
    """The caller's address; daphne's --proxy-headers already resolves X-Forwarded-For."""
    return request.META.get("REMOTE_ADDR", "") if hasattr(request, "META") else ""
