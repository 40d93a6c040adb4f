"""Notification preferences, registered mobile devices and the record of every delivery."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from preloop.crypto import EncryptedTextField


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    PUSH = "push", "Mobile push"
    SLACK = "slack", "Slack"
    MATTERMOST = "mattermost", "Mattermost"
    WEBHOOK = "webhook", "Signed webhook"


def default_channels() -> list[str]:
    return [Channel.EMAIL]


class NotificationPreference(models.Model):
    """One per user: which channels notify them, where, and when not."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    enabled_channels = models.JSONField(default=default_channels)
    email_address = models.EmailField(blank=True, help_text="Where emails go; the account's address when empty.")
    # Incoming-webhook URLs carry their own secret in the path, so they are stored encrypted like passwords.
    slack_webhook_url = EncryptedTextField(blank=True, default="")
    mattermost_webhook_url = EncryptedTextField(blank=True, default="")
    webhook_url = EncryptedTextField(blank=True, default="")
    webhook_secret = EncryptedTextField(blank=True, default="")
    quiet_hours_start = models.TimeField(null=True, blank=True)
    quiet_hours_end = models.TimeField(null=True, blank=True)
    timezone = models.CharField(max_length=64, default="UTC")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"notification preferences of {self.user}"


class DevicePlatform(models.TextChoices):
    IOS = "ios", "iOS"
    ANDROID = "android", "Android"


class Device(models.Model):
    """A phone (or watch) that receives push notifications through the push proxy."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="devices")
    platform = models.CharField(max_length=16, choices=DevicePlatform.choices)
    name = models.CharField(max_length=100, blank=True)
    push_token = EncryptedTextField()
    # The token's hash finds a re-registration of the same device without decrypting every row.
    push_token_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["user", "push_token_hash"], name="device_unique_token")]

    def __str__(self) -> str:
        return f"{self.platform} device {self.name or self.id} of {self.user}"


class DeviceRegistrationToken(models.Model):
    """A short-lived, single-use secret shown as a QR code; only its hash is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"device registration token of {self.user} (expires {self.expires_at:%Y-%m-%d %H:%M})"


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"


class NotificationDelivery(models.Model):
    """One notice to one recipient over one channel: what happened, how many tries, what the other end said."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_deliveries")
    channel = models.CharField(max_length=16, choices=Channel.choices)
    request_id = models.CharField(max_length=64, db_index=True, help_text="The approval request announced.")
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    response_status = models.IntegerField(null=True, blank=True)
    response_excerpt = models.CharField(max_length=400, blank=True, help_text="The start of the other end's answer.")
    # The notice as JSON, encrypted: its links carry the approver's one-click tokens. Cleared once delivered.
    payload = EncryptedTextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    claimed_at = models.DateTimeField(null=True, blank=True, help_text="When a worker took it on.")
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.channel} to {self.user} for {self.request_id}: {self.status}"
