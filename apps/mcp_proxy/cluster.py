"""MCP sessions across server processes (ARCHITECTURE decision 3).

The process that answers `initialize` owns the SDK's in-memory session and records
`session id → its channel name` in Redis. A request for that session reaching another process is
forwarded over the Redis channel layer to the owner, which runs it and streams the ASGI response
messages (JSON or SSE) back. An owner that does not acknowledge within MCP_FORWARD_TIMEOUT_SECONDS
is gone: the answer is 404, and the client initializes again, as the spec says.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import time

import redis.asyncio as redis
from channels.layers import get_channel_layer
from django.conf import settings
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings

from apps.mcp_proxy import notifier
from apps.mcp_proxy.forwarding import forward_request, forwarded_request_serve
from apps.mcp_proxy.server import server_build

log = logging.getLogger(__name__)
SESSION_HEADER = b"mcp-session-id"
RECORD_REFRESH_SECONDS = 60.0


def _session_key(session_id: str) -> str:
    prefix = settings.CHANNEL_LAYERS["default"].get("CONFIG", {}).get("prefix", "preloop")
    return f"{prefix}:mcp:session:{session_id}"


class McpCluster:
    """One per process: the SDK session manager (started on first use: daphne sends no lifespan) and the
    listener for requests other processes forward here."""

    def __init__(self):
        self.manager = StreamableHTTPSessionManager(
            app=server_build(),
            # The endpoint checks Origin itself (before authentication); the SDK's Host check would refuse
            # every name not listed, including the ones ALLOWED_HOSTS already admits.
            security_settings=TransportSecuritySettings(enable_dns_rebinding_protection=False),
            session_idle_timeout=settings.MCP_SESSION_IDLE_SECONDS,
        )
        self.channel_name: str | None = None
        self._started: asyncio.Future | None = None
        self._redis: redis.Redis | None = None
        self._pending: dict[str, asyncio.Queue] = {}
        self._recorded: dict[str, float] = {}  # session id → when its owner was last written to Redis

    async def _ensure_started(self) -> None:
        if self._started is None:
            self._started = asyncio.get_running_loop().create_future()
            asyncio.get_running_loop().create_task(self._run(), name="mcp-session-manager")
        await asyncio.shield(self._started)

    async def _run(self) -> None:
        """Keeps the session manager's task group alive for the life of the process, and listens."""
        try:
            layer = get_channel_layer()
            # One "specific" prefix for every channel of this process: channels_redis pops them all from one list.
            self.channel_name = await layer.new_channel()
            notifier.process_channel_name = self.channel_name
            self._redis = redis.from_url(settings.REDIS_URL)
            async with self.manager.run():
                self._started.set_result(None)
                await self._listen(layer)
        except BaseException as error:
            if not self._started.done():
                self._started.set_exception(error)
            log.exception("the MCP session manager stopped")
            raise

    async def _listen(self, layer) -> None:
        tasks: set[asyncio.Task] = set()
        while True:
            try:
                message = await layer.receive(self.channel_name)
            except Exception:  # Redis hiccup (restart, timeout): keep listening; the sessions live on here
                log.info("receiving forwarded MCP requests failed (%s); retrying", sys.exc_info()[1])
                await asyncio.sleep(0.5)
                continue
            if message.get("type") == "mcp.request":
                queue: asyncio.Queue = asyncio.Queue()
                self._pending[message["request_id"]] = queue
                task = asyncio.create_task(self._serve_forwarded(message, queue))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            elif message.get("type") == notifier.MESSAGE_TYPE:
                task = asyncio.create_task(notifier.list_changed_deliver(user_id=message["user_id"],
                                                                         kinds=message["kinds"]))  # fmt: skip
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            elif message.get("type") == "mcp.disconnect":
                queue = self._pending.get(message["request_id"])
                if queue is not None:
                    queue.put_nowait({"type": "http.disconnect"})

    async def _serve_forwarded(self, message: dict, queue: asyncio.Queue) -> None:
        from apps.mcp_proxy.endpoint import McpEndpoint

        try:
            await forwarded_request_serve(McpEndpoint(cluster=self), message, queue, get_channel_layer())
        finally:
            self._pending.pop(message["request_id"], None)

    async def session_owner(self, session_id: str) -> str | None:
        value = await self._redis.get(_session_key(session_id))
        return value.decode() if value else None

    async def handle(self, scope, receive, send) -> None:
        """Serve the request here, or forward it to the process that owns its session."""
        await self._ensure_started()
        session_id = scope.get("preloop.session_id")
        # A session this process holds is served here without asking Redis (the hot path).
        if session_id and not scope.get("preloop.forwarded") and session_id not in self.manager._server_instances:
            owner = await self.session_owner(session_id)
            if owner and owner != self.channel_name:
                answered = await forward_request(owner, scope, receive, send, get_channel_layer())
                if not answered:  # the owner is gone; forget it so the next request is a clean 404
                    await self._redis.delete(_session_key(session_id))
                return
        await self.manager.handle_request(scope, receive, self._recording(scope, send))

    def _owner_record_due(self, session_id: str) -> bool:
        """Record a session's owner when it opens, then refresh it at most once a minute (not per request)."""
        now = time.monotonic()
        if now - self._recorded.get(session_id, -RECORD_REFRESH_SECONDS) < RECORD_REFRESH_SECONDS:
            return False
        if len(self._recorded) > 10_000:  # forget sessions long gone
            self._recorded = {key: at for key, at in self._recorded.items() if now - at < RECORD_REFRESH_SECONDS}
        self._recorded[session_id] = now
        return True

    def _recording(self, scope, send):
        """Wrap `send` to record a session this process opens, refresh it on use, forget it on DELETE."""
        requested = scope.get("preloop.session_id")

        async def recording_send(message) -> None:
            if message["type"] == "http.response.start" and message["status"] < 400:
                opened = next((v.decode() for k, v in message.get("headers", []) if k.lower() == SESSION_HEADER), None)
                session_id = opened or requested
                if session_id and scope["method"] == "DELETE":
                    await self._redis.delete(_session_key(session_id))
                elif session_id and self._owner_record_due(session_id):
                    ttl = int(settings.MCP_SESSION_IDLE_SECONDS) + 60
                    with contextlib.suppress(redis.RedisError):
                        await self._redis.set(_session_key(session_id), self.channel_name, ex=ttl)
            await send(message)

        return recording_send
