"""The unified WebSocket, `/api/v1/ws/unified`: one connection per console tab or client, many topics.

Authentication, in this order: the console's session cookie; an `Authorization: Bearer` header;
a `token` query parameter; or a first message `{"type": "auth", "token": "..."}` sent within
AUTH_TIMEOUT_SECONDS. Tokens are JWTs or API keys with the `api` scope.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from urllib.parse import parse_qs, urlsplit

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.http.request import split_domain_port, validate_host
from django.utils import timezone

from apps.accounts.authentication import CredentialInvalid, credential_authenticate
from apps.notifications import topics
from apps.notifications.services import event_publish_async

AUTH_TIMEOUT_SECONDS = 10
CLOSE_UNAUTHORIZED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_HEARTBEAT_TIMEOUT = 4408
INVALID_JSON = object()


@database_sync_to_async
def _authenticate_token(token: str):
    user, credential = credential_authenticate(token)
    if not credential.allows("api"):
        raise CredentialInvalid("This credential lacks the 'api' scope.")
    return user


def _matches(filters: dict, data: dict) -> bool:
    return all(data.get(key) == value for key, value in filters.items())


class UnifiedConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        self.user = None
        self.session_id = str(uuid.uuid4())
        self.subscriptions: dict[str, dict] = {}
        self.last_seen = time.monotonic()
        self.tasks: list[asyncio.Task] = []
        await self.accept()
        token = (
            self._bearer_from_headers() or parse_qs(self.scope.get("query_string", b"").decode()).get("token", [""])[0]
        )
        session_user = self.scope.get("user")
        if session_user is not None and session_user.is_authenticated and self._same_origin():
            await self._start(session_user, method="session")
        elif token:
            await self._authenticate(token)
        else:
            self.tasks.append(asyncio.create_task(self._auth_deadline()))

    def _same_origin(self) -> bool:
        """A session cookie counts only from our own pages (the WebSocket form of CSRF protection)."""
        origin = dict(self.scope.get("headers", [])).get(b"origin")
        if origin is None:
            return True
        host = urlsplit(origin.decode("latin-1")).netloc
        return validate_host(split_domain_port(host)[0], settings.ALLOWED_HOSTS or ["localhost"])

    def _bearer_from_headers(self) -> str:
        for name, value in self.scope.get("headers", []):
            if name == b"authorization" and value[:7].lower() == b"bearer ":
                return value[7:].decode("latin-1").strip()
        return ""

    async def _authenticate(self, token: str) -> None:
        try:
            user = await _authenticate_token(token)
        except CredentialInvalid as error:
            await self.send_json({"type": "error", "topic": topics.SYSTEM, "error": str(error)})
            await self.close(code=CLOSE_UNAUTHORIZED)
            return
        await self._start(user, method="token")

    async def _auth_deadline(self) -> None:
        await asyncio.sleep(AUTH_TIMEOUT_SECONDS)
        if self.user is None:
            await self.send_json({"type": "error", "topic": topics.SYSTEM, "error": "Authentication timed out."})
            await self.close(code=CLOSE_UNAUTHORIZED)

    async def _start(self, user, *, method: str) -> None:
        self.user = user
        self.group = topics.user_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        self.tasks.append(asyncio.create_task(self._heartbeat()))
        await self.send_json(
            {
                "type": "connected",
                "topic": topics.SYSTEM,
                "session_id": self.session_id,
                "user_id": str(user.pk),
                "auth": method,
                "topics": sorted(topics.TOPICS),
                "heartbeat_seconds": settings.WEBSOCKET_HEARTBEAT_SECONDS,
            }
        )
        await event_publish_async(
            user_id=user.pk,
            topic=topics.SYSTEM,
            event_type="session_started",
            data={"session_id": self.session_id},
        )

    async def _heartbeat(self) -> None:
        interval = settings.WEBSOCKET_HEARTBEAT_SECONDS
        allowed_silence = interval * (settings.WEBSOCKET_HEARTBEAT_MISSES_ALLOWED + 1)
        while True:
            await asyncio.sleep(interval)
            if time.monotonic() - self.last_seen > allowed_silence:
                await self.close(code=CLOSE_HEARTBEAT_TIMEOUT)
                return
            await self.send_json({"type": "heartbeat", "topic": topics.SYSTEM, "timestamp": timezone.now().isoformat()})

    async def receive_json(self, content, **kwargs):
        self.last_seen = time.monotonic()
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == INVALID_JSON:
            await self._error("Messages must be JSON objects with a `type`.")
            return
        if self.user is None:
            if kind == "auth" and isinstance(content.get("token"), str):
                await self._authenticate(content["token"])
            else:
                await self.send_json(
                    {
                        "type": "error",
                        "topic": topics.SYSTEM,
                        "error": 'Authenticate first: {"type": "auth", "token": "..."}',
                    }
                )
            return
        handler = {
            "subscribe": self._subscribe,
            "unsubscribe": self._unsubscribe,
            "ping": self._ping,
            "pong": self._pong,
            "heartbeat": self._pong,
        }.get(kind)
        if handler is None:
            await self._error(f"Unknown message type {kind!r}; use subscribe, unsubscribe, ping or pong.")
            return
        await handler(content)

    async def decode_json(self, text_data):
        try:
            return await super().decode_json(text_data)
        except ValueError:
            return {"type": INVALID_JSON}

    async def _error(self, message: str, **extra) -> None:
        await self.send_json({"type": "error", "topic": topics.SYSTEM, "error": message, **extra})

    async def _subscribe(self, content: dict) -> None:
        topic, filters = content.get("topic"), content.get("filters") or {}
        if topic not in topics.TOPICS:
            await self._error(f"Unknown topic {topic!r}; choose from {', '.join(sorted(topics.TOPICS))}.")
            return
        if not isinstance(filters, dict):
            await self._error("filters must be an object of field: value pairs.", topic_requested=topic)
            return
        self.subscriptions[topic] = filters
        await self.send_json({"type": "subscribed", "topic": topic, "filters": filters})

    async def _unsubscribe(self, content: dict) -> None:
        topic = content.get("topic")
        self.subscriptions.pop(topic, None)
        await self.send_json({"type": "unsubscribed", "topic": topic})

    async def _ping(self, content: dict) -> None:
        await self.send_json({"type": "pong", "topic": topics.SYSTEM, "timestamp": timezone.now().isoformat()})

    async def _pong(self, content: dict) -> None:
        """Any message proves the client is alive; nothing to answer."""

    async def user_event(self, message: dict) -> None:
        event = message["event"]
        filters = self.subscriptions.get(event["topic"])
        if filters is None or not _matches(filters, event.get("data") or {}):
            return
        if event["event"] == "session_started" and event["data"].get("session_id") == self.session_id:
            return  # a connection is not told about itself
        await self.send_json({"type": "event", **event})

    async def disconnect(self, code):
        for task in self.tasks:
            task.cancel()
        if self.user is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)
            await event_publish_async(
                user_id=self.user.pk,
                topic=topics.SYSTEM,
                event_type="session_ended",
                data={"session_id": self.session_id},
            )
