from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from apps.accounts.models import ApiKey, Scope
from apps.accounts.services import api_key_create
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def bearer(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def test_the_secret_is_shown_once_and_then_only_its_prefix(alice_client):
    created = alice_client.post("/api/v1/api-keys", {"name": "laptop", "scopes": ["api"]}, format="json")
    assert created.status_code == 201
    secret = created.json()["key"]
    assert secret.startswith("pl_") and created.json()["prefix"] == secret[:11]
    listed = alice_client.get("/api/v1/api-keys").json()
    mine = next(item for item in listed if item["name"] == "laptop")
    assert "key" not in mine and secret not in str(listed)
    assert set(mine) >= {"prefix", "name", "scopes", "created_at", "last_used_at", "expires_at"}


def test_keys_are_stored_hashed(alice):
    issued = api_key_create(user=alice, name="ci", scopes=["api"])
    with connection.cursor() as cursor:
        cursor.execute("SELECT key_hash, prefix FROM accounts_apikey WHERE id = %s", [issued.api_key.id])
        key_hash, prefix = cursor.fetchone()
    assert issued.secret not in key_hash
    assert len(key_hash) == 64 and issued.secret.startswith(prefix)


def test_a_key_authenticates_and_records_its_last_use(alice):
    issued = api_key_create(user=alice, name="ci", scopes=["api"])
    assert bearer(issued.secret).get("/api/v1/auth/me").json()["email"] == "alice@example.com"
    issued.api_key.refresh_from_db()
    assert issued.api_key.last_used_at is not None


def test_a_revoked_key_stops_working_at_once(alice_client, alice):
    issued = api_key_create(user=alice, name="old", scopes=["api"])
    assert alice_client.delete(f"/api/v1/api-keys/{issued.api_key.id}").status_code == 204
    assert bearer(issued.secret).get("/api/v1/auth/me").status_code == 401
    assert alice_client.get(f"/api/v1/api-keys/{issued.api_key.id}").json()["is_active"] is False


def test_an_expired_key_is_refused(alice):
    issued = api_key_create(user=alice, name="short", scopes=["api"])
    ApiKey.objects.filter(pk=issued.api_key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert bearer(issued.secret).get("/api/v1/auth/me").status_code == 401


def test_an_expiry_in_the_past_is_refused(alice_client):
    past = (timezone.now() - timedelta(days=1)).isoformat()
    response = alice_client.post("/api/v1/api-keys", {"name": "x", "expires_at": past}, format="json")
    assert response.status_code == 400
    assert "expires_at" in response.json()["errors"]


def test_a_key_without_the_api_scope_cannot_use_the_rest_api(alice):
    mcp_only = client_for(alice, scopes=[Scope.MCP])
    response = mcp_only.get("/api/v1/auth/me")
    assert response.status_code == 403
    assert "'api' scope" in response.json()["detail"]


def test_a_key_cannot_grant_scopes_it_lacks(alice):
    api_only = client_for(alice, scopes=[Scope.API])
    response = api_only.post("/api/v1/api-keys", {"name": "escalate", "scopes": ["api", "mcp"]}, format="json")
    assert response.status_code == 400
    assert "mcp" in response.json()["errors"]["scopes"][0]


def test_unknown_scopes_are_named(alice_client):
    response = alice_client.post("/api/v1/api-keys", {"name": "x", "scopes": ["root"]}, format="json")
    assert response.status_code == 400
    assert "scopes" in response.json()["errors"]


def test_default_scopes_are_api_and_mcp(alice_client):
    response = alice_client.post("/api/v1/api-keys", {"name": "default"}, format="json")
    assert sorted(response.json()["scopes"]) == ["api", "mcp"]


def test_bob_cannot_see_or_revoke_alices_keys(alice, bob_client):
    issued = api_key_create(user=alice, name="alice's", scopes=["api"])
    assert all(item["name"] != "alice's" for item in bob_client.get("/api/v1/api-keys").json())
    assert bob_client.get(f"/api/v1/api-keys/{issued.api_key.id}").status_code == 404
    assert bob_client.delete(f"/api/v1/api-keys/{issued.api_key.id}").status_code == 404
    assert bearer(issued.secret).get("/api/v1/auth/me").status_code == 200


def test_a_malformed_key_id_is_a_404_not_a_500(alice_client):
    assert alice_client.get("/api/v1/api-keys/not-a-uuid").status_code == 404
