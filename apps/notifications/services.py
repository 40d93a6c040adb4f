"""Publishing events to a user's WebSocket topics, from sync code, async code or a worker."""

from __future__ import annotations

import logging
import uuid

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.utils import timezone

from apps.notifications.topics import TOPICS, user_group

log = logging.getLogger(__name__)


def _message(*, topic: str, event_type: str, data: dict) -> dict:
    if topic not in TOPICS:
        raise ValueError(f"unknown topic {topic!r}; choose from {sorted(TOPICS)}")
    return {
        "type": "user.event",  # the consumer method `user_event` handles it
        "event": {
            "id": str(uuid.uuid4()),
            "topic": topic,
            "event": event_type,
            "data": data,
            "timestamp": timezone.now().isoformat(),
        },
    }


async def event_publish_async(*, user_id, topic: str, event_type: str, data: dict) -> None:
    """Send an event to every open WebSocket of the user subscribed to `topic`, on any server process."""
    await get_channel_layer().group_send(user_group(user_id), _message(topic=topic, event_type=event_type, data=data))


def event_publish(*, user_id, topic: str, event_type: str, data: dict) -> None:
    """Sync twin of event_publish_async; inside a transaction it waits for the commit."""
    message = _message(topic=topic, event_type=event_type, data=data)

    def send() -> None:
        try:
            async_to_sync(get_channel_layer().group_send)(user_group(user_id), message)
        except Exception:  # an event is a notification; losing Redis must not fail the write it reports
            log.exception("could not publish %s event to user %s", topic, user_id)

    transaction.on_commit(send)
