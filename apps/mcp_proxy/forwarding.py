"""Carrying one HTTP request to another process over the channel layer, and its response back.

Messages: `mcp.request` (scope, body, reply channel) and `mcp.disconnect` go to the owner's channel;
`mcp.accepted`, `mcp.response` (one ASGI send message) and `mcp.done` come back on the reply channel.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid

from django.conf import settings

log = logging.getLogger(__name__)


def _keepalive_seconds() -> float:
    """How often an owner says it still serves a forwarded response (10 s at the default forward timeout)."""
    return max(1.0, 2 * settings.MCP_FORWARD_TIMEOUT_SECONDS)


def _owner_silence_seconds() -> float:
    """Silence after which the owner counts as dead: three missed keep-alives and the forward timeout."""
    return 3 * _keepalive_seconds() + settings.MCP_FORWARD_TIMEOUT_SECONDS


SCOPE_KEYS = ("type", "asgi", "http_version", "method", "scheme", "path", "raw_path", "query_string", "root_path",
              "headers", "client", "server")  # fmt: skip


async def _body(receive) -> tuple[bytes, bool]:
    """The whole request body (MCP POSTs are single JSON messages), and whether the client left meanwhile."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"", True
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks), False


async def _not_found(send) -> None:
    body = json.dumps({"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "Session not found"}})
    await send({"type": "http.response.start", "status": 404, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body.encode()})


async def forward_request(owner: str, scope, receive, send, layer) -> bool:
    """Have `owner` serve this request and relay its response; False when the owner did not answer."""
    body, gone = await _body(receive)
    if gone:
        return True
    request_id = uuid.uuid4().hex
    reply = await layer.new_channel()  # same prefix as the listener: one list per process
    wire_scope = {key: scope[key] for key in SCOPE_KEYS if key in scope}
    wire_scope["headers"] = [[bytes(k), bytes(v)] for k, v in scope.get("headers", [])]
    wire_scope["client"] = list(scope["client"]) if scope.get("client") else None
    wire_scope["server"] = list(scope["server"]) if scope.get("server") else None
    await layer.send(owner, {"type": "mcp.request", "request_id": request_id, "reply": reply,
                             "scope": wire_scope, "body": body})  # fmt: skip
    try:
        first = await asyncio.wait_for(layer.receive(reply), timeout=settings.MCP_FORWARD_TIMEOUT_SECONDS)
    except TimeoutError:
        log.info("MCP session owner %s did not answer; the session is gone", owner)
        await _not_found(send)
        return False
    if first.get("type") != "mcp.accepted":
        await _not_found(send)
        return False

    async def relay() -> None:
        started = False
        while True:
            try:
                message = await asyncio.wait_for(layer.receive(reply), timeout=_owner_silence_seconds())
            except TimeoutError:  # the owner died mid-response: end it, the client reconnects or retries
                log.info("MCP session owner %s went silent during a forwarded response", owner)
                if not started:
                    await _not_found(send)
                else:
                    await send({"type": "http.response.body", "body": b""})
                return
            if message["type"] == "mcp.done":
                return
            if message["type"] == "mcp.response":
                started = True
                await send(message["message"])

    async def watch_client() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    relaying, watching = asyncio.create_task(relay()), asyncio.create_task(watch_client())
    try:
        done, _pending = await asyncio.wait({relaying, watching}, return_when=asyncio.FIRST_COMPLETED)
        if watching in done:  # the client left: let the owner's request end as it would locally
            await layer.send(owner, {"type": "mcp.disconnect", "request_id": request_id})
        else:
            relaying.result()
    finally:
        for task in (relaying, watching):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
    return True


async def forwarded_request_serve(endpoint, message: dict, disconnects: asyncio.Queue, layer) -> None:
    """On the owner: run a forwarded request through the endpoint, sending each ASGI message back."""
    reply = message["reply"]
    await layer.send(reply, {"type": "mcp.accepted"})
    scope = dict(message["scope"])
    scope["headers"] = [(bytes(k), bytes(v)) for k, v in scope["headers"]]
    scope["client"] = tuple(scope["client"]) if scope.get("client") else None
    scope["server"] = tuple(scope["server"]) if scope.get("server") else None
    body_sent = False

    async def receive():
        nonlocal body_sent
        if not body_sent:
            body_sent = True
            return {"type": "http.request", "body": message["body"], "more_body": False}
        return await disconnects.get()

    async def send(asgi_message) -> None:
        wire = dict(asgi_message)
        if "headers" in wire:
            wire["headers"] = [[bytes(k), bytes(v)] for k, v in wire["headers"]]
        await layer.send(reply, {"type": "mcp.response", "message": wire})

    async def keep_alive() -> None:  # an SSE stream may stay quiet for long; this says the owner still lives
        while True:
            await asyncio.sleep(_keepalive_seconds())
            await layer.send(reply, {"type": "mcp.alive"})

    scope["preloop.forwarded"] = True
    alive = asyncio.create_task(keep_alive())
    try:
        await endpoint(scope, receive, send)
    except Exception:
        log.exception("serving a forwarded MCP request failed")
    finally:
        alive.cancel()
        await layer.send(reply, {"type": "mcp.done"})
