"""Push proxy, Slack, Mattermost and the signed webhook, each end to end through the worker to its loopback fake."""

import hashlib
import hmac

import pytest

from apps.notifications.channels import Recipient
from apps.notifications.delivery import approval_notice_dispatch
from apps.notifications.devices import device_register, device_registration_token_create
from apps.notifications.models import DeliveryStatus
from apps.notifications.preferences import preference_update, webhook_secret_rotate
from tests.notifications.conftest import deliveries_settled

pytestmark = pytest.mark.django_db(transaction=True)


def _dispatch(user, notice, channel):
    [delivery] = deliveries_settled(
        approval_notice_dispatch(notice=notice, recipients=[Recipient.for_user(user)], channels=[channel])
    )
    return delivery


def _register_device(user, platform="ios", push_token="apns-token-0123456789abcdef"):
    issued = device_registration_token_create(user=user)
    return device_register(registration_token=issued.token, platform=platform, push_token=push_token, name="Phone")


# --- push --------------------------------------------------------------------------------
def test_it_pushes_to_the_users_devices_through_the_proxy(alice, bob, notice, fake_push_proxy, dramatiq_worker):
    _register_device(alice, "ios", "apns-alice-1")
    _register_device(alice, "android", "fcm-alice-2")
    _register_device(bob, "ios", "apns-bob")
    preference_update(user=alice, enabled_channels=["push"])

    delivery = _dispatch(alice, notice, "push")

    assert delivery.status == DeliveryStatus.SENT and delivery.response_status == 200
    assert '"sent": 2' in delivery.response_excerpt  # the proxy's answer is kept
    [push] = fake_push_proxy.pushes
    devices = sorted((device["platform"], device["token"]) for device in push["devices"])
    assert devices == [("android", "fcm-alice-2"), ("ios", "apns-alice-1")]  # alice's, never bob's
    assert push["title"] == "Approval needed for delete_branch"
    assert "Ana Agent via Claude Code" in push["body"]
    assert push["data"]["request_id"] == notice.request_id
    assert push["data"]["approve_url"] == notice.approve_url
    assert push["data"]["decline_url"] == notice.decline_url
    assert push["idempotency_key"] == str(delivery.id)
    assert fake_push_proxy.requests[0].headers["authorization"] == f"Bearer {fake_push_proxy.api_key}"


def test_a_refused_proxy_key_fails_without_retrying(alice, notice, fake_push_proxy, settings, dramatiq_worker):
    settings.PUSH_PROXY_API_KEY = "pk_wrong"
    _register_device(alice)
    preference_update(user=alice, enabled_channels=["push"])

    delivery = _dispatch(alice, notice, "push")

    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.response_status == 401 and delivery.attempts == 1
    assert "Invalid API key" in delivery.last_error
    assert len(fake_push_proxy.requests) == 1


def test_push_is_skipped_when_no_proxy_is_configured(alice, notice, settings, dramatiq_worker):
    settings.PUSH_PROXY_URL = ""
    _register_device(alice)
    preference_update(user=alice, enabled_channels=["push"])

    delivery = _dispatch(alice, notice, "push")

    assert delivery.status == DeliveryStatus.SKIPPED
    assert "PUSH_PROXY_URL" in delivery.last_error


def test_push_is_skipped_without_a_registered_device(alice, notice, fake_push_proxy, dramatiq_worker):
    preference_update(user=alice, enabled_channels=["push"])

    delivery = _dispatch(alice, notice, "push")

    assert delivery.status == DeliveryStatus.SKIPPED and "no registered device" in delivery.last_error
    assert fake_push_proxy.requests == []


# --- Slack and Mattermost ----------------------------------------------------------------
def test_it_posts_a_block_kit_message_with_link_buttons_to_slack(alice, notice, fake_slack, dramatiq_worker):
    preference_update(user=alice, enabled_channels=["slack"], slack_webhook_url=fake_slack.webhook_url)

    delivery = _dispatch(alice, notice, "slack")

    assert delivery.status == DeliveryStatus.SENT and delivery.response_status == 200
    [message] = fake_slack.messages  # the fake accepted the blocks, as Slack would
    assert "delete_branch" in message["text"]
    [actions] = [block for block in message["blocks"] if block["type"] == "actions"]
    buttons = {button["text"]["text"]: button for button in actions["elements"]}
    assert buttons["Approve"]["url"] == notice.approve_url and buttons["Approve"]["style"] == "primary"
    assert buttons["Decline"]["url"] == notice.decline_url and buttons["Decline"]["style"] == "danger"
    assert buttons["Open in Preloop"]["url"] == notice.detail_url
    texts = " ".join(block.get("text", {}).get("text", "") for block in message["blocks"])
    assert "release/2026-11" in texts and "merged and tagged" in texts


def test_huge_arguments_still_make_a_message_slack_accepts(alice, fake_slack, dramatiq_worker):
    from tests.notifications.conftest import make_notice

    preference_update(user=alice, enabled_channels=["slack"], slack_webhook_url=fake_slack.webhook_url)

    delivery = _dispatch(alice, make_notice(arguments={"body": "x" * 10_000}, justification="y" * 5_000), "slack")

    assert delivery.status == DeliveryStatus.SENT


def test_an_unknown_slack_hook_is_a_failure_not_retried(alice, notice, fake_slack, dramatiq_worker):
    preference_update(user=alice, enabled_channels=["slack"], slack_webhook_url=fake_slack.url + "/services/T1/B2/nope")

    delivery = _dispatch(alice, notice, "slack")

    assert delivery.status == DeliveryStatus.FAILED and delivery.response_status == 404
    assert "no_service" in delivery.last_error and delivery.attempts == 1


def test_it_posts_an_attachment_with_decision_links_to_mattermost(alice, notice, fake_mattermost, dramatiq_worker):
    preference_update(user=alice, enabled_channels=["mattermost"], mattermost_webhook_url=fake_mattermost.webhook_url)

    delivery = _dispatch(alice, notice, "mattermost")

    assert delivery.status == DeliveryStatus.SENT
    [message] = fake_mattermost.messages
    [attachment] = message["attachments"]
    assert attachment["title"] == "Approval needed for delete_branch"
    assert attachment["title_link"] == notice.detail_url
    assert f"[✅ Approve]({notice.approve_url})" in attachment["text"]
    assert f"[❌ Decline]({notice.decline_url})" in attachment["text"]
    fields = {field["title"]: field["value"] for field in attachment["fields"]}
    assert fields["Tool"] == "`delete_branch`" and "release/2026-11" in fields["Arguments"]
    assert fields["Justification"] == notice.justification


# --- signed webhook ----------------------------------------------------------------------
def _webhook_on(user, receiver) -> str:
    saved = preference_update(user=user, enabled_channels=["webhook"], webhook_url=receiver.hook_url)
    receiver.secret = saved.webhook_secret
    return saved.webhook_secret


def test_it_signs_the_webhook_so_the_receiver_verifies_it(alice, notice, webhook_receiver, dramatiq_worker):
    _webhook_on(alice, webhook_receiver)

    delivery = _dispatch(alice, notice, "webhook")

    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 1
    [received] = webhook_receiver.verified
    assert received["headers"]["x-preloop-event"] == "approval.requested"
    assert received["headers"]["x-preloop-delivery"] == str(delivery.id)
    assert received["body"]["event"] == "approval.requested"
    assert received["body"]["approval_request"]["request_id"] == notice.request_id
    assert received["body"]["approval_request"]["approve_url"] == notice.approve_url
    assert received["body"]["approval_request"]["arguments"] == notice.arguments


def test_the_signature_is_hmac_sha256_over_timestamp_dot_body(alice, notice, webhook_receiver, dramatiq_worker):
    secret = _webhook_on(alice, webhook_receiver)

    _dispatch(alice, notice, "webhook")

    request = webhook_receiver.requests[0]
    timestamp = request.headers["x-preloop-timestamp"]
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + request.body, hashlib.sha256).hexdigest()
    assert request.headers["x-preloop-signature"] == f"sha256={digest}"


def test_it_retries_after_a_500_and_then_delivers(alice, notice, webhook_receiver, dramatiq_worker):
    _webhook_on(alice, webhook_receiver)
    webhook_receiver.fail_next(500)

    delivery = _dispatch(alice, notice, "webhook")

    assert delivery.status == DeliveryStatus.SENT
    assert delivery.attempts == 2 and delivery.response_status == 200
    assert len(webhook_receiver.requests) == 2 and len(webhook_receiver.verified) == 1


def test_it_retries_after_a_timeout(alice, notice, webhook_receiver, settings, dramatiq_worker):
    settings.NOTIFICATION_HTTP_TIMEOUT_SECONDS = 0.3
    _webhook_on(alice, webhook_receiver)
    webhook_receiver.fail_next(200, delay_seconds=1.0)

    delivery = _dispatch(alice, notice, "webhook")

    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 2


def test_it_gives_up_after_the_bounded_attempts_on_5xx(alice, notice, webhook_receiver, settings, dramatiq_worker):
    settings.NOTIFICATION_HTTP_ATTEMPTS = 3
    _webhook_on(alice, webhook_receiver)
    webhook_receiver.fail_next(503, times=10)

    delivery = _dispatch(alice, notice, "webhook")

    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == 3 and delivery.response_status == 503
    assert len(webhook_receiver.requests) == 3


def test_it_does_not_retry_after_a_400(alice, notice, webhook_receiver, dramatiq_worker):
    _webhook_on(alice, webhook_receiver)
    webhook_receiver.fail_next(400, body={"error": "unknown event"})

    delivery = _dispatch(alice, notice, "webhook")

    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == 1 and delivery.response_status == 400
    assert "unknown event" in delivery.last_error
    assert len(webhook_receiver.requests) == 1


def test_after_rotation_only_the_new_secret_verifies(alice, notice, webhook_receiver, dramatiq_worker):
    old = _webhook_on(alice, webhook_receiver)
    new = webhook_secret_rotate(user=alice)
    assert new != old

    refused = _dispatch(alice, notice, "webhook")  # the receiver still holds the old secret
    webhook_receiver.secret = new
    accepted = _dispatch(alice, notice, "webhook")

    assert refused.status == DeliveryStatus.FAILED and refused.response_status == 401
    assert webhook_receiver.rejected == ["bad signature"]
    assert accepted.status == DeliveryStatus.SENT


def test_a_webhook_url_to_a_private_address_is_refused_at_send_time(
    alice, notice, webhook_receiver, settings, dramatiq_worker
):
    _webhook_on(alice, webhook_receiver)
    settings.ALLOW_PRIVATE_OUTBOUND_URLS = False  # switched off after the URL was saved

    delivery = _dispatch(alice, notice, "webhook")

    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 0
    assert "non-public address" in delivery.last_error
    assert webhook_receiver.requests == []
