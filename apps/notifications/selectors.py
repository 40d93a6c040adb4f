"""Reads of notification data, always scoped to one user."""

from __future__ import annotations

from django.db.models import QuerySet

from apps.notifications.models import Device, NotificationDelivery, NotificationPreference


def preference_get(*, user_id) -> NotificationPreference:
    """The user's preferences; the defaults (email only) when they never saved any."""
    preference = NotificationPreference.objects.filter(user_id=user_id).first()
    return preference or NotificationPreference(user_id=user_id)


def device_list(*, user) -> QuerySet[Device]:
    return Device.objects.filter(user=user)


def delivery_list(*, user) -> QuerySet[NotificationDelivery]:
    return NotificationDelivery.objects.filter(user=user)
