"""Real daphne processes serving Preloop against the test database, for end-to-end MCP tests."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from urllib.parse import urlsplit, urlunsplit

import httpx2
from django.db import connection

from preloop.paths import BASE_DIR
from tests.conftest import free_port


def _test_database_url() -> str:
    """DATABASE_URL with the database pytest-django created (test_…) instead of the configured one."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit((parts.scheme, parts.netloc, "/" + connection.settings_dict["NAME"], parts.query, ""))


class DaphneServer:
    """`daphne preloop.asgi:application` on a free loopback port, as `preloop web` runs it."""

    def __init__(self, **environment: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.mcp_url = f"{self.url}/mcp/v1"
        self.environment = environment
        self.process: subprocess.Popen | None = None

    def start(self) -> DaphneServer:
        env = {**os.environ, "ENVIRONMENT": "test", "DATABASE_URL": _test_database_url(), "PYTHONUNBUFFERED": "1",
               "DISABLE_VERSION_CHECK": "true", "LOG_LEVEL": "WARNING", "MCP_FORWARD_TIMEOUT_SECONDS": "2",
               "DATABASE_POOL_MAX_SIZE": "10",  # as in production (the test process itself runs without a pool)
               **self.environment}  # fmt: skip
        self.log = open(BASE_DIR / ".data" / f"daphne-{self.port}.log", "w+")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port), "preloop.asgi:application"],
            cwd=BASE_DIR, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"daphne exited: {self.output()}")
            try:
                if httpx2.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx2.HTTPError:
                time.sleep(0.2)
        raise RuntimeError(f"daphne did not start: {self.output()}")

    def output(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        os.unlink(self.log.name)
