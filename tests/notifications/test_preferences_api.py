"""GET/PUT /api/v1/notification-preferences, the webhook secret, test notifications, deliveries."""

import pytest
from django.db import connection

from apps.notifications.models import NotificationPreference
from tests.conftest import client_for

URL = "/api/v1/notification-preferences"
SLACK = "https://hooks.slack.com/services/T0AAA/B0BBB/abcdefghijklmnopqrstuvwx"
MATTERMOST = "https://chat.example.com/hooks/xoxo1234567890secrethook"
WEBHOOK = "https://ops.example.com/preloop?key=sekret-in-query-string"

pytestmark = pytest.mark.django_db


def _raw_columns(user) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT slack_webhook_url, mattermost_webhook_url, webhook_url, webhook_secret "
            "FROM notifications_notificationpreference WHERE user_id = %s",
            [user.pk],
        )
        return " ".join(cursor.fetchone())


def test_a_new_user_gets_email_only(alice_client):
    body = alice_client.get(URL).json()

    assert body["enabled_channels"] == ["email"]
    assert body["available_channels"] == ["email", "push", "slack", "mattermost", "webhook"]
    assert body["slack_webhook_url"] == "" and body["webhook_secret_set"] is False
    assert body["quiet_hours_start"] is None and body["timezone"] == "UTC"
    assert body["push_configured"] is False


def test_it_saves_preferences_and_masks_every_secret(alice, alice_client):
    response = alice_client.put(
        URL,
        {
            "enabled_channels": ["email", "slack", "mattermost", "webhook"],
            "email_address": "alice.pager@example.com",
            "slack_webhook_url": SLACK,
            "mattermost_webhook_url": MATTERMOST,
            "webhook_url": WEBHOOK,
            "quiet_hours_start": "22:00",
            "quiet_hours_end": "07:00",
            "timezone": "Europe/Berlin",
        },
        format="json",
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    secret = body["webhook_secret"]  # generated with the first webhook URL, shown this once
    assert secret.startswith("whsec_") and len(secret) > 40
    again = alice_client.get(URL).json()
    assert "webhook_secret" not in again and again["webhook_secret_set"] is True
    for shown in (body, again):
        assert shown["slack_webhook_url"] == "https://hooks.slack.com/••••uvwx"
        assert shown["mattermost_webhook_url"] == "https://chat.example.com/••••hook"
        assert shown["webhook_url"] == "https://ops.example.com/••••ring"
        assert shown["quiet_hours_start"] == "22:00:00" and shown["timezone"] == "Europe/Berlin"
    text = str(again)
    assert "abcdefghijkl" not in text and "xoxo123" not in text and "sekret" not in text
    raw = _raw_columns(alice)
    assert "hooks.slack.com" not in raw and "sekret" not in raw and secret not in raw  # encrypted at rest
    stored = NotificationPreference.objects.get(user=alice)
    assert stored.slack_webhook_url == SLACK and stored.webhook_secret == secret


def test_a_put_changes_only_what_it_sends_and_a_masked_url_keeps_the_stored_one(alice, alice_client):
    alice_client.put(URL, {"enabled_channels": ["slack"], "slack_webhook_url": SLACK}, format="json")
    masked = alice_client.get(URL).json()["slack_webhook_url"]

    response = alice_client.put(URL, {"slack_webhook_url": masked, "timezone": "Asia/Tokyo"}, format="json")

    assert response.status_code == 200
    stored = NotificationPreference.objects.get(user=alice)
    assert stored.slack_webhook_url == SLACK and stored.timezone == "Asia/Tokyo"
    assert stored.enabled_channels == ["slack"]


def test_saving_the_webhook_url_again_keeps_the_secret(alice, alice_client):
    first = alice_client.put(URL, {"webhook_url": WEBHOOK}, format="json").json()["webhook_secret"]

    second = alice_client.put(URL, {"webhook_url": WEBHOOK + "&v=2"}, format="json").json()

    assert "webhook_secret" not in second
    assert NotificationPreference.objects.get(user=alice).webhook_secret == first


def test_rotating_the_webhook_secret_shows_a_new_one_once(alice, alice_client):
    first = alice_client.put(URL, {"webhook_url": WEBHOOK}, format="json").json()["webhook_secret"]

    response = alice_client.post(URL + "/webhook-secret")

    assert response.status_code == 200
    rotated = response.json()["webhook_secret"]
    assert rotated != first and rotated.startswith("whsec_")
    assert NotificationPreference.objects.get(user=alice).webhook_secret == rotated
    assert rotated not in str(alice_client.get(URL).json())


@pytest.mark.parametrize(
    ("payload", "field", "words"),
    [
        ({"enabled_channels": ["email", "pager"]}, "enabled_channels", "Unknown channel(s): pager"),
        ({"enabled_channels": "email"}, "enabled_channels", ""),
        ({"enabled_channels": ["slack"]}, "slack_webhook_url", "Required while the slack channel is enabled"),
        ({"enabled_channels": ["webhook"]}, "webhook_url", "Required while the webhook channel is enabled"),
        ({"slack_webhook_url": "ftp://hooks.slack.com/x"}, "slack_webhook_url", "Only http:// and https://"),
        ({"mattermost_webhook_url": "not a url"}, "mattermost_webhook_url", "Only http:// and https://"),
        ({"email_address": "nobody"}, "email_address", "valid email"),
        ({"timezone": "Mars/Olympus"}, "timezone", "Unknown time zone"),
        ({"quiet_hours_start": "22:00"}, "quiet_hours_end", "both a start and an end"),
        ({"quiet_hours_start": "08:00", "quiet_hours_end": "08:00"}, "quiet_hours_end", "must differ"),
        ({"quiet_hours_start": "25:00", "quiet_hours_end": "08:00"}, "quiet_hours_start", ""),
    ],
)
def test_bad_input_is_a_400_naming_the_field(alice, alice_client, payload, field, words):
    response = alice_client.put(URL, payload, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["detail"].startswith("Invalid input") and field in body["errors"], body
    assert words in " ".join(body["errors"][field])
    assert not NotificationPreference.objects.filter(user=alice).exists()  # nothing half-saved


def test_webhook_urls_to_private_addresses_are_refused_when_the_guard_is_on(alice_client, settings):
    settings.ALLOW_PRIVATE_OUTBOUND_URLS = False

    for field, url in [("webhook_url", "http://127.0.0.1:8000/x"), ("slack_webhook_url", "http://169.254.169.254/")]:
        response = alice_client.put(URL, {field: url}, format="json")
        assert response.status_code == 400 and "non-public address" in response.json()["errors"][field][0]


def test_users_see_and_change_only_their_own_preferences(alice, bob, alice_client, bob_client):
    alice_client.put(URL, {"enabled_channels": ["email", "slack"], "slack_webhook_url": SLACK}, format="json")

    bobs = bob_client.get(URL).json()
    bob_client.put(URL, {"enabled_channels": ["email", "push"], "timezone": "Asia/Tokyo"}, format="json")
    bob_client.post(URL + "/webhook-secret")

    assert bobs["enabled_channels"] == ["email"] and bobs["slack_webhook_url"] == ""
    alices = NotificationPreference.objects.get(user=alice)
    assert alices.enabled_channels == ["email", "slack"] and alices.timezone == "UTC" and alices.webhook_secret == ""
    assert NotificationPreference.objects.get(user=bob).enabled_channels == ["email", "push"]


def test_it_needs_authentication_and_the_api_scope(alice, anon_client):
    from apps.accounts.models import Scope

    assert anon_client.get(URL).status_code == 401
    assert client_for(alice, scopes=[Scope.MCP]).get(URL).status_code == 403


def test_a_test_notification_goes_through_the_dispatcher_and_is_listed(alice, bob, alice_client, bob_client):
    response = alice_client.post(URL + "/test", {"channel": "email"}, format="json")

    assert response.status_code == 202
    [delivery] = response.json()["deliveries"]
    assert delivery["channel"] == "email" and delivery["status"] == "queued"
    assert delivery["request_id"].startswith("test-")
    listed = alice_client.get("/api/v1/notifications/deliveries").json()
    assert [row["id"] for row in listed["results"]] == [delivery["id"]]
    assert "payload" not in listed["results"][0]
    assert bob_client.get("/api/v1/notifications/deliveries").json()["results"] == []


def test_a_test_notification_over_a_disabled_channel_is_refused(alice_client):
    response = alice_client.post(URL + "/test", {"channel": "slack"}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"]["channel"] == ["Enable the slack channel first."]
