"""A small threaded HTTP server for fakes of external APIs: routes, JSON, recording, injected faults."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str  # without the query string, percent-encoding kept as sent
    query: dict[str, list[str]]
    headers: dict[str, str]  # names lower-cased
    body: bytes
    params: dict[str, str] = field(default_factory=dict)  # from the route pattern

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def json(self):
        return json.loads(self.body or b"null")


@dataclass
class Response:
    status: int = 200
    body: object = None  # dict/list → JSON; bytes/str → sent as is
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Fault:
    status: int
    times: int = 1
    headers: dict[str, str] = field(default_factory=dict)
    body: object = None
    path_contains: str = ""
    delay_seconds: float = 0.0


Handler = Callable[[Request], Response]


class FakeServer:
    """Subclasses register routes with `route(method, pattern, handler)`; patterns are regexes over the path."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern, Handler]] = []
        self.requests: list[Request] = []
        self.faults: list[Fault] = []
        self.lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None

    # --- set-up -------------------------------------------------------------------------
    def route(self, method: str, pattern: str, handler: Handler) -> None:
        self._routes.append((method, re.compile(f"^{pattern}$"), handler))

    def fail_next(
        self,
        status: int,
        *,
        times: int = 1,
        headers: dict | None = None,
        body: object = None,
        path_contains: str = "",
        delay_seconds: float = 0.0,
    ) -> None:
        """The next `times` requests (whose path contains `path_contains`) get this answer instead."""
        with self.lock:
            self.faults.append(Fault(status, times, headers or {}, body, path_contains, delay_seconds))

    def start(self) -> FakeServer:
        fake = self

        class RequestHandler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                fake._dispatch(self)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), RequestHandler)
        self._server.daemon_threads = True
        # A short poll interval: stop() waits for the serving loop to notice, 0.5 s per fake by default.
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # --- serving ------------------------------------------------------------------------
    def _take_fault(self, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.path_contains in path:
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def _dispatch(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        request = Request(
            method=handler.command,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={name.lower(): value for name, value in handler.headers.items()},
            body=handler.rfile.read(length) if length else b"",
        )
        with self.lock:
            self.requests.append(request)
        fault = self._take_fault(parts.path)
        if fault:
            if fault.delay_seconds:
                import time

                time.sleep(fault.delay_seconds)
            response = Response(
                fault.status, fault.body if fault.body is not None else {"message": "injected"}, fault.headers
            )
        else:
            response = self._route(request)
        self._send(handler, response)

    def _route(self, request: Request) -> Response:
        allowed = False
        for method, pattern, route_handler in self._routes:
            match = pattern.match(request.path)
            if not match:
                continue
            if method != request.method:
                allowed = True
                continue
            request.params = match.groupdict()
            try:
                with self.lock:
                    return route_handler(request)
            except json.JSONDecodeError:
                return Response(400, {"message": "Problems parsing JSON"})
        return Response(405 if allowed else 404, {"message": "Not Found"})

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, response: Response) -> None:
        body = response.body
        if isinstance(body, dict | list):
            payload = json.dumps(body).encode()
            content_type = "application/json; charset=utf-8"
        elif isinstance(body, str):
            payload, content_type = body.encode(), "text/plain; charset=utf-8"
        else:
            payload, content_type = body or b"", "application/octet-stream"
        if response.status in (204, 304):
            payload = b""
        handler.send_response(response.status)
        headers = {"Content-Type": content_type, **response.headers, "Content-Length": str(len(payload))}
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(payload)


class FakeClock:
    """Timestamps for seeded and API-made changes: real UTC now unless `set`; `advance` moves it; `tick` never repeats.

    Every write of a fake takes `tick()`, so two writes never share a timestamp even at the API's resolution
    (whole seconds on GitHub, milliseconds on GitLab) and tests can rely on updated_at ordering.
    """

    def __init__(self, resolution: timedelta = timedelta(seconds=1)) -> None:
        self.resolution = resolution
        self._frozen: datetime | None = None
        self._offset = timedelta(0)
        self._last: datetime | None = None
        self._lock = threading.Lock()

    def now(self) -> datetime:
        base = self._frozen if self._frozen is not None else datetime.now(UTC)
        moment = base + self._offset
        return moment - (moment - datetime.min.replace(tzinfo=UTC)) % self.resolution

    def set(self, when: datetime | str) -> None:
        """Freeze "now" at `when` (aware datetime or ISO 8601 string); `advance` still moves it."""
        if isinstance(when, str):
            when = datetime.fromisoformat(when.replace("Z", "+00:00"))
        with self._lock:
            self._frozen, self._offset = when.astimezone(UTC), timedelta(0)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += timedelta(seconds=seconds)

    def observe(self, when: datetime) -> None:
        """A timestamp written explicitly (seeding): later ticks come after it."""
        with self._lock:
            if self._last is None or when > self._last:
                self._last = when

    def tick(self) -> datetime:
        """The timestamp of one write: now, or one resolution step after the previous write if that is later."""
        with self._lock:
            moment = self.now()
            if self._last is not None and moment <= self._last:
                moment = self._last + self.resolution
            self._last = moment
            return moment
