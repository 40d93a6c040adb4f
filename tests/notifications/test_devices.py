"""Device registration by a single-use, expiring token (the QR code), and the devices API."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from apps.notifications.devices import device_registration_token_create
from apps.notifications.models import Device, DeviceRegistrationToken
from tests.conftest import client_for

REGISTER = "/api/v1/notifications/devices/register"
DEVICES = "/api/v1/notifications/devices"

pytestmark = pytest.mark.django_db


def _register(token: str, push_token: str = "apns-0123456789abcdef", **extra):
    body = {"registration_token": token, "platform": "ios", "name": "Alice's iPhone", "push_token": push_token, **extra}
    return client_for(None).post(REGISTER, body, format="json")


def test_a_token_from_the_api_registers_a_device_without_other_credentials(alice, alice_client, settings):
    issued = alice_client.post(DEVICES + "/registration-tokens")
    assert issued.status_code == 201
    body = issued.json()
    assert body["server_url"] == settings.PRELOOP_URL
    assert body["qr_payload"] == (
        f'{{"server_url": "{settings.PRELOOP_URL}", "registration_token": "{body["registration_token"]}"}}'
    )

    response = _register(body["registration_token"])

    assert response.status_code == 201, response.json()
    device = Device.objects.get()
    assert device.user == alice and device.platform == "ios" and device.name == "Alice's iPhone"
    assert response.json()["push_token"] == "••••cdef"  # masked


def test_tokens_and_push_tokens_are_not_stored_in_the_clear(alice):
    issued = device_registration_token_create(user=alice)
    _register(issued.token, push_token="apns-very-secret-token")

    with connection.cursor() as cursor:
        cursor.execute("SELECT token_hash FROM notifications_deviceregistrationtoken")
        [[token_hash]] = cursor.fetchall()
        cursor.execute("SELECT push_token FROM notifications_device")
        [[push_token]] = cursor.fetchall()
    assert issued.token not in token_hash and len(token_hash) == 64
    assert "apns-very-secret-token" not in push_token


def test_a_used_token_registers_nothing_more(alice):
    issued = device_registration_token_create(user=alice)
    assert _register(issued.token).status_code == 201

    response = _register(issued.token, push_token="another-phone")

    assert response.status_code == 400
    assert "already used" in response.json()["errors"]["registration_token"][0]
    assert Device.objects.count() == 1


def test_an_expired_token_registers_nothing(alice):
    issued = device_registration_token_create(user=alice)
    DeviceRegistrationToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    response = _register(issued.token)

    assert response.status_code == 400
    assert "expired" in response.json()["errors"]["registration_token"][0]
    assert not Device.objects.exists()


def test_a_wrong_token_registers_nothing(alice):
    device_registration_token_create(user=alice)

    response = _register("pldr_" + "x" * 43)

    assert response.status_code == 400
    assert "not valid" in response.json()["errors"]["registration_token"][0]
    assert not Device.objects.exists()


def test_the_token_lifetime_is_the_setting(alice, settings):
    settings.DEVICE_REGISTRATION_TOKEN_SECONDS = 90

    issued = device_registration_token_create(user=alice)

    assert timedelta(seconds=85) < issued.expires_at - timezone.now() <= timedelta(seconds=90)


def test_bad_device_fields_are_400s_naming_the_field(alice):
    issued = device_registration_token_create(user=alice)

    response = _register(issued.token, platform="windows-phone")

    assert response.status_code == 400 and "platform" in response.json()["errors"]
    assert _register(issued.token).status_code == 201  # a refused attempt did not use the token up


def test_registering_the_same_push_token_again_updates_the_device(alice):
    _register(device_registration_token_create(user=alice).token, name="Old name")
    _register(device_registration_token_create(user=alice).token, name="New name", platform="ios")

    assert list(Device.objects.values_list("name", flat=True)) == ["New name"]


def test_users_list_and_remove_only_their_own_devices(alice, bob, alice_client, bob_client):
    _register(device_registration_token_create(user=alice).token, push_token="alice-phone")
    _register(device_registration_token_create(user=bob).token, push_token="bob-phone")
    alices = Device.objects.get(user=alice)

    assert [device["id"] for device in alice_client.get(DEVICES).json()] == [str(alices.id)]
    assert "alice-phone" not in str(alice_client.get(DEVICES).json())
    assert bob_client.delete(f"{DEVICES}/{alices.id}").status_code == 404
    assert Device.objects.filter(id=alices.id).exists()
    assert alice_client.delete(f"{DEVICES}/{alices.id}").status_code == 204
    assert not Device.objects.filter(id=alices.id).exists()


def test_an_inactive_users_token_registers_nothing(alice):
    issued = device_registration_token_create(user=alice)
    alice.is_active = False
    alice.save()

    assert _register(issued.token).status_code == 400


@pytest.mark.django_db(transaction=True)
def test_two_scans_of_one_code_at_once_register_one_device(alice):
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection as thread_connection

    issued = device_registration_token_create(user=alice)

    def scan(push_token: str) -> int:
        try:
            return _register(issued.token, push_token=push_token).status_code
        finally:
            thread_connection.close()

    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = sorted(pool.map(scan, [f"phone-{n}" for n in range(4)]))

    assert statuses == [201, 400, 400, 400]
    assert Device.objects.count() == 1
