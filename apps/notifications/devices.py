"""Mobile devices: registration through a QR code's single-use token, removal."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.notifications.models import Device, DevicePlatform, DeviceRegistrationToken
from preloop.crypto import secret_hash


@dataclass(frozen=True)
class IssuedRegistrationToken:
    token: str  # shown once, inside the QR code
    expires_at: datetime

    @property
    def qr_payload(self) -> str:
        """What the QR code encodes: the app connects to `server_url` and registers with the token."""
        return json.dumps({"server_url": settings.PRELOOP_URL, "registration_token": self.token})

    def qr_svg(self) -> str:
        import segno

        return segno.make(self.qr_payload, error="m").svg_inline(scale=5, border=2, title="Device registration")


def device_registration_token_create(*, user) -> IssuedRegistrationToken:
    """A single-use token, valid DEVICE_REGISTRATION_TOKEN_SECONDS, that registers a device to `user`."""
    token = "pldr_" + secrets.token_urlsafe(32)
    expires_at = timezone.now() + timedelta(seconds=settings.DEVICE_REGISTRATION_TOKEN_SECONDS)
    DeviceRegistrationToken.objects.create(user=user, token_hash=secret_hash(token), expires_at=expires_at)
    return IssuedRegistrationToken(token=token, expires_at=expires_at)


def _refuse(message: str) -> ValidationError:
    return ValidationError({"registration_token": [message]})


@transaction.atomic
def device_register(*, registration_token: str, platform: str, push_token: str, name: str = "") -> Device:
    """Redeem a registration token for a device; the same push token registered again updates that device."""
    if platform not in DevicePlatform.values:
        raise ValidationError({"platform": [f"Choose one of: {', '.join(DevicePlatform.values)}."]})
    if not push_token.strip():
        raise ValidationError({"push_token": ["Required."]})
    # Locked so two scans of one QR code cannot both register: the token works once.
    issued = (
        DeviceRegistrationToken.objects.select_for_update()
        .filter(token_hash=secret_hash(registration_token))
        .select_related("user")
        .first()
    )
    if issued is None:
        raise _refuse("This registration token is not valid. Scan the QR code on the notification preferences page.")
    if issued.used_at is not None:
        raise _refuse("This registration token was already used. Show a new QR code to register another device.")
    if issued.expires_at <= timezone.now():
        raise _refuse("This registration token has expired. Show a new QR code and scan it again.")
    if not issued.user.is_active:
        raise _refuse("This registration token is not valid.")
    issued.used_at = timezone.now()
    issued.save(update_fields=["used_at"])
    device, _ = Device.objects.update_or_create(
        user=issued.user,
        push_token_hash=secret_hash(push_token),
        defaults={"platform": platform, "name": name[:100], "push_token": push_token, "last_seen_at": timezone.now()},
    )
    return device


def device_delete(*, device: Device) -> None:
    device.delete()
