"""Fan-out of an approval notice: one queued delivery per recipient and channel, each sent by its own worker message.

Every outcome is a `NotificationDelivery` row and a log line; nothing here raises to the caller, so a broken
channel (or a broken broker) never fails the approval request that is being announced.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.notifications.channels import CHANNELS, ApprovalNotice, DeliveryResult, Recipient
from apps.notifications.models import DeliveryStatus, NotificationDelivery, NotificationPreference
from apps.notifications.selectors import preference_get

log = logging.getLogger(__name__)

# During quiet hours, channels that reach a person in their inbox or chat hold back; push still goes (the phone's
# own focus mode decides whether it rings) and so does the signed webhook (a machine receives it). An escalation
# ignores quiet hours: the policy said it cannot wait.
QUIET_HOURS_HELD_CHANNELS = frozenset({"email", "slack", "mattermost"})
# A worker's claim on a delivery lapses after this long (longer than the actor's time limit), so the sweep can
# hand a delivery whose worker died to another one.
CLAIM_EXPIRY_SECONDS = 10 * 60


def quiet_hours_active(*, preference: NotificationPreference, at: datetime | None = None) -> bool:
    """Whether `at` (now by default) falls in the user's quiet hours, read in their time zone."""
    start, end = preference.quiet_hours_start, preference.quiet_hours_end
    if start is None or end is None or start == end:
        return False
    local: time = (at or timezone.now()).astimezone(ZoneInfo(preference.timezone or "UTC")).time()
    if start < end:
        return start <= local < end
    return local >= start or local < end  # overnight, e.g. 22:00 to 07:00


def approval_notice_dispatch(
    *, notice: ApprovalNotice, recipients: list[Recipient], channels: list[str], ignore_quiet_hours: bool = False
) -> list[NotificationDelivery]:
    """Queue `notice` for each recipient on each of `channels` they enabled; returns the delivery rows.

    Channels this app does not send (`console`: the approvals WebSocket topic) are ignored. Each delivery is a
    Dramatiq message of its own, enqueued after commit.
    """
    from django.contrib.auth import get_user_model

    wanted = [channel for channel in dict.fromkeys(channels) if channel in CHANNELS]
    deliveries: list[NotificationDelivery] = []
    seen: set[str] = set()
    # Foreign keys are checked at commit in PostgreSQL: an unknown user would fail the caller's whole transaction.
    try:
        active = {str(pk) for pk in get_user_model().objects.filter(
            pk__in=[r.user_id for r in recipients], is_active=True).values_list("pk", flat=True)}  # fmt: skip
    except (ValueError, ValidationError):  # a malformed id among the recipients: check them one by one
        active = {r.user_id for r in recipients if _active_user(r.user_id)}
    for recipient in recipients:
        user_id = str(recipient.user_id)
        if user_id in seen:
            continue
        seen.add(user_id)
        if user_id not in active:
            log.warning("request %s: recipient %s is no active user; not notified", notice.request_id, user_id)
            continue
        try:
            with transaction.atomic():  # a savepoint: one recipient's failure leaves the caller's transaction usable
                deliveries.extend(_recipient_dispatch(notice, recipient, wanted, ignore_quiet_hours=ignore_quiet_hours))
        except Exception:  # one recipient's bad data must not keep the others from being told
            log.exception(
                "could not queue notifications of request %s for user %s", notice.request_id, recipient.user_id
            )
    return deliveries


def _active_user(user_id: str) -> bool:
    from django.contrib.auth import get_user_model

    try:
        return get_user_model().objects.filter(pk=user_id, is_active=True).exists()
    except (ValueError, ValidationError):
        return False


def _recipient_dispatch(
    notice: ApprovalNotice, recipient: Recipient, channels: list[str], *, ignore_quiet_hours: bool
) -> list[NotificationDelivery]:
    preference = preference_get(user_id=recipient.user_id)
    quiet = not ignore_quiet_hours and not notice.escalation and quiet_hours_active(preference=preference)
    personal = recipient.personalise(notice)
    deliveries = []
    for channel in channels:
        if channel not in preference.enabled_channels:
            log.debug("request %s: %s is not enabled by user %s", notice.request_id, channel, recipient.user_id)
            continue
        if quiet and channel in QUIET_HOURS_HELD_CHANNELS:
            delivery = NotificationDelivery.objects.create(
                user_id=recipient.user_id,
                channel=channel,
                request_id=notice.request_id,
                status=DeliveryStatus.SKIPPED,
                last_error="quiet hours",
                finished_at=timezone.now(),
            )
            log.info("notification %s (%s to user %s) held: quiet hours", delivery.id, channel, recipient.user_id)
        else:
            delivery = NotificationDelivery.objects.create(
                user_id=recipient.user_id,
                channel=channel,
                request_id=notice.request_id,
                payload=json.dumps(personal.to_json()),
            )
            transaction.on_commit(lambda delivery_id=str(delivery.id): _enqueue(delivery_id))
        deliveries.append(delivery)
    return deliveries


def _enqueue(delivery_id: str) -> None:
    from apps.notifications.tasks import notification_deliver

    try:
        notification_deliver.send(delivery_id)
    except Exception:  # the broker is down: the row stays queued, and the sweep sends it later
        log.exception("could not enqueue notification delivery %s", delivery_id)


def notification_delivery_run(*, delivery_id: str) -> NotificationDelivery | None:
    """Send one queued delivery through its channel and record the outcome (the worker's job)."""
    # Claimed atomically: a copy of this message (the sweep's, a broker redelivery) never sends it twice.
    now = timezone.now()
    claimable = Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - timedelta(seconds=CLAIM_EXPIRY_SECONDS))
    claimed = NotificationDelivery.objects.filter(claimable, id=delivery_id, status=DeliveryStatus.QUEUED).update(
        claimed_at=now
    )
    delivery = NotificationDelivery.objects.select_related("user").filter(id=delivery_id).first()
    if not claimed or delivery is None:
        return delivery  # gone, done, or being sent by another worker right now
    user = delivery.user
    recipient = Recipient(user_id=str(user.pk), email=user.email, name=user.get_full_name())
    try:
        notice = ApprovalNotice.from_json(json.loads(delivery.payload))
        result = CHANNELS[delivery.channel](
            notice=notice,
            recipient=recipient,
            settings=preference_get(user_id=user.pk),
            delivery_id=str(delivery.id),
        )
    except Exception as error:  # a bug in one channel is that delivery's failure, not the worker's
        log.exception("notification %s over %s crashed", delivery.id, delivery.channel)
        result = DeliveryResult.failed(f"{type(error).__name__}: {error}")
    return _outcome_record(delivery, result)


def _outcome_record(delivery: NotificationDelivery, result: DeliveryResult) -> NotificationDelivery:
    delivery.status = result.status
    delivery.attempts += result.attempts
    delivery.response_status = result.response_status
    delivery.last_error = result.error[:2000]
    delivery.response_excerpt = result.detail[:400]
    delivery.finished_at = timezone.now()
    delivery.payload = ""  # the links inside carry one-click tokens: not kept longer than needed
    delivery.save(
        update_fields=[
            "status",
            "attempts",
            "response_status",
            "response_excerpt",
            "last_error",
            "finished_at",
            "payload",
            "updated_at",
        ]
    )
    level = logging.WARNING if result.status == DeliveryStatus.FAILED else logging.INFO
    log.log(
        level,
        "notification %s (%s to user %s, request %s): %s after %d attempt(s)%s%s",
        delivery.id,
        delivery.channel,
        delivery.user_id,
        delivery.request_id,
        result.status,
        result.attempts,
        f", answer {result.response_status}" if result.response_status else "",
        f": {result.error or result.detail}" if (result.error or result.detail) else "",
    )
    return delivery


def notification_deliveries_stale(*, older_than_seconds: int = 120) -> list[str]:
    """Deliveries still queued after a while (broker down at commit time, a worker that died)."""
    now = timezone.now()
    unclaimed = Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - timedelta(seconds=CLAIM_EXPIRY_SECONDS))
    stale = NotificationDelivery.objects.filter(
        unclaimed, status=DeliveryStatus.QUEUED, created_at__lt=now - timedelta(seconds=older_than_seconds)
    )
    return [str(pk) for pk in stale.values_list("id", flat=True)[:1000]]


def notification_test_send(*, user, channel: str) -> list[NotificationDelivery]:
    """Send a sample notice to `user` over one channel they enabled, through the same dispatcher (quiet hours aside)."""
    from django.conf import settings

    preference = preference_get(user_id=user.pk)
    if channel not in CHANNELS:
        raise ValidationError({"channel": [f"Unknown channel; choose from {', '.join(CHANNELS)}."]})
    if channel not in preference.enabled_channels:
        raise ValidationError({"channel": [f"Enable the {channel} channel first."]})
    notice = ApprovalNotice(
        request_id=f"test-{timezone.now():%Y%m%d%H%M%S}",
        requester_name=user.get_full_name(),
        requester_email=user.email,
        tool_name="create_issue",
        source_label="Preloop built-in (test notification)",
        arguments={"project": "acme/web", "title": "Test notification from Preloop"},
        justification="This is a test: the buttons lead to your notification preferences.",
        client_name="Preloop console",
        expires_at=timezone.now() + timedelta(minutes=10),
        approve_url=f"{settings.PRELOOP_URL}/notification-preferences",
        decline_url=f"{settings.PRELOOP_URL}/notification-preferences",
        detail_url=f"{settings.PRELOOP_URL}/notification-preferences",
    )
    return approval_notice_dispatch(
        notice=notice, recipients=[Recipient.for_user(user)], channels=[channel], ignore_quiet_hours=True
    )
