"""A real Chromium (Debian's package) driven by Playwright, against pytest-django's live server.

Decision 11: without /usr/bin/chromium the browser tests skip and name the package to install,
except under CI=true, where they fail instead of silently skipping.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connections

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"


def require_chromium(chromium: Path = CHROMIUM) -> None:
    """Return when Chromium is installed; otherwise skip, or fail under CI=true."""
    if chromium.exists():
        return
    message = f"{chromium} is missing: install Debian's package with `apt-get install chromium`"
    if os.environ.get("CI", "").strip().lower() == "true":
        pytest.fail(f"{message} (CI=true: browser tests never skip)", pytrace=False)
    pytest.skip(message)


@pytest.fixture
def page(live_server, transactional_db) -> Iterator:
    """A fresh browser page; the live server's URL is `live_server.url`.

    Playwright's sync API runs an event loop in this thread, which makes Django refuse ORM calls
    (SynchronousOnlyOperation) for as long as it runs; the test's ORM calls are allowed for that
    time only, and the variable is restored afterwards.
    """
    require_chromium()
    from playwright.sync_api import sync_playwright

    previous = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    try:
        with sync_playwright() as playwright:
            try:
                browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
                try:
                    context = browser.new_context()
                    context.set_default_timeout(10_000)
                    yield context.new_page()
                    context.close()
                finally:
                    browser.close()
            finally:
                # Inside Playwright's block the ORM runs in another context with its own connection;
                # close it here, or it outlives the test and blocks dropping the test database.
                connections.close_all()
    finally:
        if previous is None:
            os.environ.pop(ASYNC_UNSAFE, None)
        else:
            os.environ[ASYNC_UNSAFE] = previous
