"""Writes of notification preferences: channels, destinations, the webhook signing secret, quiet hours."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.core.exceptions import ValidationError
from django.db import transaction

from apps.notifications.models import Channel, NotificationPreference
from preloop.http import OutboundUrlRefused, outbound_url_check

URL_FIELDS = ("slack_webhook_url", "mattermost_webhook_url", "webhook_url")
CHANNEL_DESTINATION = {"slack": "slack_webhook_url", "mattermost": "mattermost_webhook_url", "webhook": "webhook_url"}
EDITABLE_FIELDS = (
    "enabled_channels",
    "email_address",
    *URL_FIELDS,
    "quiet_hours_start",
    "quiet_hours_end",
    "timezone",
)


def new_webhook_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


@dataclass(frozen=True)
class PreferenceSaved:
    preference: NotificationPreference
    webhook_secret: str | None = None  # set only when this save generated one: shown once


def _errors(preference: NotificationPreference) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    channels = preference.enabled_channels
    if not isinstance(channels, list) or not all(isinstance(channel, str) for channel in channels):
        return {"enabled_channels": ["A list of channel names."]}
    unknown = sorted(set(channels) - set(Channel.values))
    if unknown:
        errors["enabled_channels"] = [
            f"Unknown channel(s): {', '.join(unknown)}; choose from {', '.join(Channel.values)}."
        ]
    for field in URL_FIELDS:
        url = getattr(preference, field)
        if url:
            try:
                outbound_url_check(url)
            except OutboundUrlRefused as refused:
                errors.setdefault(field, []).append(str(refused))
    for channel, field in CHANNEL_DESTINATION.items():
        if channel in channels and not getattr(preference, field):
            errors.setdefault(field, []).append(f"Required while the {channel} channel is enabled.")
    if (preference.quiet_hours_start is None) != (preference.quiet_hours_end is None):
        missing = "quiet_hours_end" if preference.quiet_hours_end is None else "quiet_hours_start"
        errors[missing] = ["Quiet hours need both a start and an end."]
    elif preference.quiet_hours_start is not None and preference.quiet_hours_start == preference.quiet_hours_end:
        errors["quiet_hours_end"] = ["The end of quiet hours must differ from their start."]
    try:
        if preference.timezone not in available_timezones():
            raise ZoneInfoNotFoundError(preference.timezone)
        ZoneInfo(preference.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        errors["timezone"] = [f"Unknown time zone {preference.timezone!r}; use an IANA name such as Europe/Berlin."]
    return errors


@transaction.atomic
def preference_update(*, user, **changes) -> PreferenceSaved:
    """Change some of the user's preferences (the others stay); a first webhook URL gets a fresh signing secret."""
    preference = NotificationPreference.objects.select_for_update().filter(user=user).first()
    preference = preference or NotificationPreference(user=user)
    for field, value in changes.items():
        if field not in EDITABLE_FIELDS:
            raise ValidationError({field: ["This field cannot be changed here."]})
        setattr(preference, field, value)
    if isinstance(preference.enabled_channels, list):
        preference.enabled_channels = list(dict.fromkeys(preference.enabled_channels))
    errors = _errors(preference)
    if errors:
        raise ValidationError(errors)
    generated = None
    if preference.webhook_url and not preference.webhook_secret:
        generated = preference.webhook_secret = new_webhook_secret()
    preference.save()
    return PreferenceSaved(preference=preference, webhook_secret=generated)


@transaction.atomic
def webhook_secret_rotate(*, user) -> str:
    """A new signing secret for the user's webhook, returned once; the old one stops working at once."""
    preference, _ = NotificationPreference.objects.select_for_update().get_or_create(user=user)
    preference.webhook_secret = new_webhook_secret()
    preference.save(update_fields=["webhook_secret", "updated_at"])
    return preference.webhook_secret
