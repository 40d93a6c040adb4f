"""The dispatcher: one delivery per recipient and enabled channel, failures contained, quiet hours."""

from datetime import UTC, datetime, time, timedelta

import pytest
from django.utils import timezone

from apps.notifications.channels import Recipient
from apps.notifications.delivery import approval_notice_dispatch, quiet_hours_active
from apps.notifications.models import DeliveryStatus, NotificationDelivery, NotificationPreference
from apps.notifications.preferences import preference_update
from tests.notifications.conftest import deliveries_settled, make_notice


def _quiet_all_day(user):
    """Quiet hours covering every instant of the day (00:00 until the last microsecond)."""
    preference_update(user=user, quiet_hours_start=time(0, 0), quiet_hours_end=time(23, 59, 59, 999999))


@pytest.mark.django_db(transaction=True)
def test_a_failing_channel_never_blocks_the_others(
    alice, notice, smtp_server, fake_slack, fake_mattermost, webhook_receiver, dramatiq_worker
):
    saved = preference_update(
        user=alice,
        enabled_channels=["email", "slack", "mattermost", "webhook"],
        slack_webhook_url=fake_slack.webhook_url,
        mattermost_webhook_url=fake_mattermost.webhook_url,
        webhook_url=webhook_receiver.hook_url,
    )
    webhook_receiver.secret = saved.webhook_secret
    fake_slack.fail_next(503, times=100)  # Slack is down for good
    fake_mattermost.stop()  # Mattermost is unreachable

    deliveries = approval_notice_dispatch(
        notice=notice, recipients=[Recipient.for_user(alice)], channels=["email", "slack", "mattermost", "webhook"]
    )

    outcome = {delivery.channel: delivery for delivery in deliveries_settled(deliveries)}
    assert outcome["slack"].status == DeliveryStatus.FAILED and outcome["slack"].response_status == 503
    assert outcome["mattermost"].status == DeliveryStatus.FAILED and "Connect" in outcome["mattermost"].last_error
    assert outcome["email"].status == DeliveryStatus.SENT and len(smtp_server.messages) == 1
    assert outcome["webhook"].status == DeliveryStatus.SENT and len(webhook_receiver.verified) == 1


@pytest.mark.django_db(transaction=True)
def test_every_approver_gets_their_own_delivery_and_links(alice, bob, notice, smtp_server, dramatiq_worker):
    recipients = [
        Recipient.for_user(
            alice, approve_url="https://p.example/a?token=A1", decline_url="https://p.example/d?token=A2"
        ),
        Recipient.for_user(bob, approve_url="https://p.example/a?token=B1", decline_url="https://p.example/d?token=B2"),
        Recipient.for_user(alice),  # named twice: told once
    ]

    deliveries = deliveries_settled(approval_notice_dispatch(notice=notice, recipients=recipients, channels=["email"]))

    assert [delivery.user_id for delivery in deliveries] == [alice.pk, bob.pk]
    bodies = {
        mail["to"][0]: mail["message"].get_body(preferencelist=("plain",)).get_content()
        for mail in smtp_server.messages
    }
    assert "token=A1" in bodies["alice@example.com"] and "token=B1" not in bodies["alice@example.com"]
    assert "token=B1" in bodies["bob@example.com"] and "token=A1" not in bodies["bob@example.com"]


@pytest.mark.django_db
def test_it_sends_only_channels_both_the_policy_asks_for_and_the_user_enabled(alice, notice, fake_slack):
    preference_update(user=alice, enabled_channels=["email", "slack"], slack_webhook_url=fake_slack.webhook_url)

    deliveries = approval_notice_dispatch(
        notice=notice, recipients=[Recipient.for_user(alice)], channels=["console", "slack", "push", "webhook"]
    )

    assert [delivery.channel for delivery in deliveries] == ["slack"]  # console is the WebSocket's, not ours


@pytest.mark.django_db
def test_a_user_without_preferences_gets_email(alice, notice):
    deliveries = approval_notice_dispatch(
        notice=notice, recipients=[Recipient.for_user(alice)], channels=["email", "push"]
    )

    assert [(delivery.channel, delivery.status) for delivery in deliveries] == [("email", DeliveryStatus.QUEUED)]


@pytest.mark.django_db
def test_an_unknown_or_inactive_recipient_is_logged_and_the_others_still_queued(alice, bob, notice, caplog):
    stranger = Recipient(user_id="00000000-0000-0000-0000-000000000000", email="ghost@example.com")
    garbled = Recipient(user_id="not-a-uuid", email="garbled@example.com")
    bob.is_active = False
    bob.save()

    deliveries = approval_notice_dispatch(
        notice=notice,
        recipients=[stranger, garbled, Recipient.for_user(bob), Recipient.for_user(alice)],
        channels=["email"],
    )

    assert [str(delivery.user_id) for delivery in deliveries] == [str(alice.pk)]
    assert NotificationDelivery.objects.count() == 1  # and the transaction still commits (checked at teardown)
    assert "00000000-0000-0000-0000-000000000000 is no active user" in caplog.text
    assert f"{bob.pk} is no active user" in caplog.text


@pytest.mark.django_db
def test_stored_payloads_are_encrypted(alice, notice):
    from django.db import connection

    [delivery] = approval_notice_dispatch(notice=notice, recipients=[Recipient.for_user(alice)], channels=["email"])

    with connection.cursor() as cursor:
        cursor.execute("SELECT payload FROM notifications_notificationdelivery WHERE id = %s", [delivery.id])
        [raw] = cursor.fetchone()
    assert "approve-tok" not in raw and "delete_branch" not in raw
    assert "approve-tok" in NotificationDelivery.objects.get(id=delivery.id).payload


# --- quiet hours ---------------------------------------------------------------------------
@pytest.mark.django_db
def test_quiet_hours_hold_email_and_chat_but_not_push_or_webhook(alice, notice, fake_slack, webhook_receiver, settings):
    settings.PUSH_PROXY_URL, settings.PUSH_PROXY_API_KEY = "http://127.0.0.1:9/push", "key"
    preference_update(
        user=alice,
        enabled_channels=["email", "push", "slack", "webhook"],
        slack_webhook_url=fake_slack.webhook_url,
        webhook_url=webhook_receiver.hook_url,
    )
    _quiet_all_day(alice)

    deliveries = approval_notice_dispatch(
        notice=notice, recipients=[Recipient.for_user(alice)], channels=["email", "push", "slack", "webhook"]
    )

    status = {delivery.channel: (delivery.status, delivery.last_error) for delivery in deliveries}
    assert status == {
        "email": (DeliveryStatus.SKIPPED, "quiet hours"),
        "slack": (DeliveryStatus.SKIPPED, "quiet hours"),
        "push": (DeliveryStatus.QUEUED, ""),
        "webhook": (DeliveryStatus.QUEUED, ""),
    }


@pytest.mark.django_db
def test_an_escalation_ignores_quiet_hours(alice):
    _quiet_all_day(alice)

    [quiet] = approval_notice_dispatch(notice=make_notice(), recipients=[Recipient.for_user(alice)], channels=["email"])
    [urgent] = approval_notice_dispatch(
        notice=make_notice(escalation=True), recipients=[Recipient.for_user(alice)], channels=["email"]
    )

    assert quiet.status == DeliveryStatus.SKIPPED
    assert urgent.status == DeliveryStatus.QUEUED


@pytest.mark.parametrize(
    ("start", "end", "utc_time", "zone", "expected"),
    [
        (time(22), time(7), datetime(2026, 11, 25, 23, 30, tzinfo=UTC), "UTC", True),  # overnight, before midnight
        (time(22), time(7), datetime(2026, 11, 25, 6, 59, tzinfo=UTC), "UTC", True),  # overnight, after midnight
        (time(22), time(7), datetime(2026, 11, 25, 7, 0, tzinfo=UTC), "UTC", False),  # the end is not quiet
        (time(22), time(7), datetime(2026, 11, 25, 12, 0, tzinfo=UTC), "UTC", False),
        (time(12), time(14), datetime(2026, 11, 25, 12, 0, tzinfo=UTC), "UTC", True),  # same-day window
        (time(12), time(14), datetime(2026, 11, 25, 14, 0, tzinfo=UTC), "UTC", False),
        # 21:30 UTC is 22:30 in Berlin in November (UTC+1): quiet there, not in UTC
        (time(22), time(7), datetime(2026, 11, 25, 21, 30, tzinfo=UTC), "Europe/Berlin", True),
        (time(22), time(7), datetime(2026, 11, 25, 21, 30, tzinfo=UTC), "UTC", False),
        (None, None, datetime(2026, 11, 25, 23, 0, tzinfo=UTC), "UTC", False),  # no quiet hours
    ],
)
def test_quiet_hours_are_read_in_the_users_time_zone(start, end, utc_time, zone, expected):
    preference = NotificationPreference(quiet_hours_start=start, quiet_hours_end=end, timezone=zone)

    assert quiet_hours_active(preference=preference, at=utc_time) is expected


@pytest.mark.django_db
def test_the_test_notification_ignores_quiet_hours(alice):
    from apps.notifications.delivery import notification_test_send

    _quiet_all_day(alice)

    [delivery] = notification_test_send(user=alice, channel="email")

    assert delivery.status == DeliveryStatus.QUEUED


@pytest.mark.django_db(transaction=True)
def test_the_sweep_sends_deliveries_whose_message_was_lost(alice, notice, smtp_server):
    import dramatiq

    from apps.notifications.tasks import notification_deliveries_sweep

    broker = dramatiq.get_broker()
    broker.flush_all()
    [delivery] = approval_notice_dispatch(notice=notice, recipients=[Recipient.for_user(alice)], channels=["email"])
    broker.flush_all()  # the message is lost (Redis restarted between commit and delivery)
    NotificationDelivery.objects.update(created_at=timezone.now() - timedelta(minutes=5))

    worker = dramatiq.Worker(broker, worker_threads=1, worker_timeout=100)
    worker.start()
    try:
        notification_deliveries_sweep()  # what the scheduler runs every two minutes
        [done] = deliveries_settled([delivery])
    finally:
        worker.stop()
        broker.flush_all()

    assert done.status == DeliveryStatus.SENT and len(smtp_server.messages) == 1


@pytest.mark.django_db  # inside the test's transaction: nothing is enqueued, the two "messages" are these calls
def test_a_delivery_is_sent_once_even_when_its_message_arrives_twice(alice, notice, smtp_server):
    from apps.notifications.delivery import notification_delivery_run

    [delivery] = approval_notice_dispatch(notice=notice, recipients=[Recipient.for_user(alice)], channels=["email"])

    notification_delivery_run(delivery_id=str(delivery.id))
    notification_delivery_run(delivery_id=str(delivery.id))

    assert len(smtp_server.messages) == 1
    assert NotificationDelivery.objects.get(id=delivery.id).attempts == 1


@pytest.mark.django_db
def test_a_claimed_delivery_is_not_swept_until_its_claim_lapses(alice, notice):
    from apps.notifications.delivery import CLAIM_EXPIRY_SECONDS, notification_deliveries_stale

    [delivery] = approval_notice_dispatch(notice=notice, recipients=[Recipient.for_user(alice)], channels=["email"])
    long_ago = timezone.now() - timedelta(minutes=5)
    NotificationDelivery.objects.update(created_at=long_ago, claimed_at=timezone.now())
    assert notification_deliveries_stale() == []

    NotificationDelivery.objects.update(claimed_at=timezone.now() - timedelta(seconds=CLAIM_EXPIRY_SECONDS + 1))
    assert notification_deliveries_stale() == [str(delivery.id)]
