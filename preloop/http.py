"""The one door to the outside: every outbound HTTP request is made with a client from here.

Clients always carry a timeout and identify Preloop. Later issues add the private-address guard
for user-supplied URLs and retry policy here, so every caller gets them at once.
"""

from __future__ import annotations

import httpx2

from preloop import __version__

DEFAULT_TIMEOUT_SECONDS = 10.0
USER_AGENT = f"Preloop/{__version__}"


def client(*, timeout: float = DEFAULT_TIMEOUT_SECONDS, **options) -> httpx2.Client:
    headers = {"User-Agent": USER_AGENT, **options.pop("headers", {})}
    return httpx2.Client(timeout=timeout, headers=headers, follow_redirects=False, **options)


def async_client(*, timeout: float = DEFAULT_TIMEOUT_SECONDS, **options) -> httpx2.AsyncClient:
    headers = {"User-Agent": USER_AGENT, **options.pop("headers", {})}
    return httpx2.AsyncClient(timeout=timeout, headers=headers, follow_redirects=False, **options)
