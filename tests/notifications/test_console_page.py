"""The console's notification-preferences page: the form, secrets masked, devices, the QR code, test buttons."""

import json

import pytest
from django.test import Client

from apps.notifications.devices import device_register, device_registration_token_create
from apps.notifications.models import Device, DeviceRegistrationToken, NotificationPreference
from tests.notifications.conftest import deliveries_settled
from tests.notifications.qr import qr_svg_decode

PAGE = "/notification-preferences"
SLACK = "http://127.0.0.1:9/services/T0AAA/B0BBB/abcdefghijklmnopqrstuvwx"


def console_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _form(**fields) -> dict:
    return {"enabled_channels": ["email"], "timezone": "UTC", **fields}


@pytest.mark.django_db
def test_the_page_is_linked_from_the_navigation_and_shows_the_defaults(alice):
    page = console_for(alice).get("/").content.decode()
    assert f'href="{PAGE}"' in page

    page = console_for(alice).get(PAGE).content.decode()

    assert 'name="enabled_channels" value="email"' in page and "checked" in page
    assert "No device registered yet" in page and "Nothing sent yet" in page
    assert "PUSH_PROXY_URL" in page  # push is not configured here: the page says what is missing


@pytest.mark.django_db
def test_saving_the_form_stores_preferences_and_never_shows_the_url_again(alice):
    client = console_for(alice)

    response = client.post(PAGE, _form(enabled_channels=["email", "slack"], slack_webhook_url=SLACK))

    assert response.status_code == 302
    stored = NotificationPreference.objects.get(user=alice)
    assert stored.enabled_channels == ["email", "slack"] and stored.slack_webhook_url == SLACK
    page = client.get(PAGE).content.decode()
    assert "http://127.0.0.1:9/••••uvwx" in page and "abcdefghijkl" not in page


@pytest.mark.django_db
def test_an_empty_url_field_keeps_the_stored_url_and_remove_clears_it(alice):
    client = console_for(alice)
    client.post(PAGE, _form(enabled_channels=["slack"], slack_webhook_url=SLACK))

    client.post(PAGE, _form(enabled_channels=["slack"], timezone="Europe/Paris"))
    assert NotificationPreference.objects.get(user=alice).slack_webhook_url == SLACK

    client.post(PAGE, _form(enabled_channels=["email"], clear_slack_webhook_url="on"))
    assert NotificationPreference.objects.get(user=alice).slack_webhook_url == ""


@pytest.mark.django_db
def test_form_errors_are_shown_at_their_field(alice):
    response = console_for(alice).post(PAGE, _form(enabled_channels=["webhook"], timezone="Nowhere/Else"))

    assert response.status_code == 400
    page = response.content.decode()
    assert "Required while the webhook channel is enabled." in page
    assert "Unknown time zone" in page
    assert not NotificationPreference.objects.filter(user=alice).exists()


@pytest.mark.django_db
def test_the_webhook_secret_is_shown_once_after_the_first_url_and_after_rotation(alice):
    client = console_for(alice)

    first = client.post(PAGE, _form(webhook_url="http://127.0.0.1:9/hook")).content.decode()
    secret = NotificationPreference.objects.get(user=alice).webhook_secret
    assert secret in first
    assert secret not in client.get(PAGE).content.decode()

    rotated_page = client.post(PAGE + "/webhook-secret").content.decode()
    rotated = NotificationPreference.objects.get(user=alice).webhook_secret
    assert rotated != secret and rotated in rotated_page


@pytest.mark.django_db
def test_the_qr_code_registers_a_device_as_the_app_would(alice, settings):
    page = console_for(alice).post(PAGE + "/device-qr").content.decode()

    scanned = json.loads(qr_svg_decode(page))  # what the phone's camera reads

    assert scanned["server_url"] == settings.PRELOOP_URL
    assert scanned["registration_token"] not in page  # only inside the QR code
    body = {"registration_token": scanned["registration_token"], "platform": "ios", "push_token": "apns-qr"}
    response = Client().post("/api/v1/notifications/devices/register", body, content_type="application/json")
    assert response.status_code == 201
    assert Device.objects.get().user == alice
    assert DeviceRegistrationToken.objects.get(user=alice).used_at is not None


@pytest.mark.django_db
def test_devices_are_listed_and_removed_only_by_their_owner(alice, bob):
    issued = device_registration_token_create(user=alice)
    device = device_register(registration_token=issued.token, platform="android", push_token="fcm-1", name="Pixel")

    assert "Pixel" in console_for(alice).get(PAGE).content.decode()
    assert "Pixel" not in console_for(bob).get(PAGE).content.decode()
    assert console_for(bob).post(f"{PAGE}/devices/{device.id}/delete").status_code == 404
    assert console_for(alice).post(f"{PAGE}/devices/{device.id}/delete").status_code == 302
    assert not Device.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_test_button_sends_a_sample_through_the_dispatcher(alice, smtp_server, dramatiq_worker):
    client = console_for(alice)

    response = client.post(PAGE + "/test/email")

    assert response.status_code == 302
    deliveries_settled(list(alice.notification_deliveries.all()))
    [mail] = smtp_server.messages
    assert mail["to"] == ["alice@example.com"] and "create_issue" in mail["message"]["Subject"]
    page = client.get(PAGE).content.decode()
    assert "sent" in page and "test-" in page


@pytest.mark.django_db
def test_the_test_button_of_a_disabled_channel_says_so(alice):
    client = console_for(alice)

    page = client.post(PAGE + "/test/slack", follow=True).content.decode()

    assert "Enable the slack channel first." in page
