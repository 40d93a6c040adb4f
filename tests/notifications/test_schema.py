"""The notification endpoints in the OpenAPI document, with their real shapes."""

import pytest

pytestmark = pytest.mark.django_db

PATHS = {
    "/api/v1/notification-preferences": {"get", "put"},
    "/api/v1/notification-preferences/webhook-secret": {"post"},
    "/api/v1/notification-preferences/test": {"post"},
    "/api/v1/notifications/deliveries": {"get"},
    "/api/v1/notifications/devices": {"get"},
    "/api/v1/notifications/devices/{device_id}": {"delete"},
    "/api/v1/notifications/devices/registration-tokens": {"post"},
    "/api/v1/notifications/devices/register": {"post"},
}


@pytest.fixture
def schema(client):
    return client.get("/openapi.json").json()


def test_every_notification_endpoint_is_documented(schema):
    for path, methods in PATHS.items():
        assert set(schema["paths"].get(path, {})) - {"parameters"} == methods, path


def test_secrets_are_write_only_in_the_schema(schema):
    components = schema["components"]["schemas"]
    shown = components["NotificationPreference"]["properties"]
    assert "webhook_secret" not in shown and "webhook_secret_set" in shown
    assert {"slack_webhook_url", "webhook_url"} <= set(components["NotificationPreferenceUpdateRequest"]["properties"])
    register = schema["paths"]["/api/v1/notifications/devices/register"]["post"]
    assert register["responses"].keys() >= {"201", "400"}
    assert register["security"] == [{}]  # no credential: the registration token in the body is one
