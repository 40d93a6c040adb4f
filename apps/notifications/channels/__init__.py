"""Notification channels, one module each with the same shape: `send(*, notice, recipient, settings)`.

Adding a channel: a module here with `send`, an entry in `CHANNELS` and in `models.Channel`, its fields in the
preferences, and a test against a loopback fake of the service.
"""

from __future__ import annotations

from apps.notifications.channels import email, mattermost, push, slack, webhook
from apps.notifications.channels.base import ApprovalNotice, ChannelSender, DeliveryResult, Recipient

CHANNELS: dict[str, ChannelSender] = {
    "email": email.send,
    "push": push.send,
    "slack": slack.send,
    "mattermost": mattermost.send,
    "webhook": webhook.send,
}

__all__ = ["CHANNELS", "ApprovalNotice", "DeliveryResult", "Recipient"]
