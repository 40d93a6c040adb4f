import pytest
from rest_framework.test import APIClient

from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def token_for(client: APIClient, **credentials):
    return client.post("/api/v1/auth/token", credentials, format="json")


def test_it_issues_tokens_for_email_and_password(anon_client, alice):
    response = token_for(anon_client, username="alice@example.com", password=PASSWORD)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] > 0
    me = APIClient()
    me.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")
    assert me.get("/api/v1/auth/me").json()["email"] == "alice@example.com"


def test_it_accepts_username_or_email_field_case_insensitively(anon_client, db):
    make_user("carol@example.com", username="carol")
    assert token_for(anon_client, username="CAROL", password=PASSWORD).status_code == 200
    assert token_for(anon_client, email="Carol@Example.com", password=PASSWORD).status_code == 200


def test_it_records_the_last_login(anon_client, alice):
    token_for(anon_client, username="alice@example.com", password=PASSWORD)
    alice.refresh_from_db()
    assert alice.last_login is not None


def test_it_rejects_a_wrong_password_with_401(anon_client, alice):
    response = token_for(anon_client, username="alice@example.com", password="wrong")
    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid email/username or password."


def test_it_rejects_an_unknown_user_with_the_same_401(anon_client, db):
    response = token_for(anon_client, username="nobody@example.com", password="wrong")
    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid email/username or password."


def test_it_names_the_missing_field(anon_client, db):
    response = token_for(anon_client, username="alice@example.com")
    assert response.status_code == 400
    assert "password" in response.json()["errors"]
    response = token_for(anon_client, password="x")
    assert response.status_code == 400
    assert "username" in response.json()["errors"]


def test_malformed_json_is_a_400_not_a_500(anon_client, db):
    response = anon_client.post("/api/v1/auth/token", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


def test_wrong_types_are_a_400_naming_the_field(anon_client, db):
    response = anon_client.post("/api/v1/auth/token", {"username": ["a"], "password": {"x": 1}}, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) >= {"username", "password"}


def test_refresh_gives_a_new_working_access_token(anon_client, alice):
    refresh = token_for(anon_client, username="alice@example.com", password=PASSWORD).json()["refresh_token"]
    response = anon_client.post("/api/v1/auth/refresh", {"refresh_token": refresh}, format="json")
    assert response.status_code == 200
    me = APIClient()
    me.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access_token']}")
    assert me.get("/api/v1/auth/me").status_code == 200


def test_refresh_rejects_a_bad_token_with_401(anon_client, db):
    response = anon_client.post("/api/v1/auth/refresh", {"refresh_token": "nonsense"}, format="json")
    assert response.status_code == 401


def test_an_access_token_is_not_accepted_as_refresh_token(anon_client, alice):
    access = token_for(anon_client, username="alice@example.com", password=PASSWORD).json()["access_token"]
    assert anon_client.post("/api/v1/auth/refresh", {"refresh_token": access}, format="json").status_code == 401


def test_me_requires_credentials(anon_client, db):
    response = anon_client.get("/api/v1/auth/me")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_garbage_bearer_token_is_401(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    assert client.get("/api/v1/auth/me").status_code == 401


def test_a_disabled_user_cannot_use_an_old_token(anon_client, alice):
    access = token_for(anon_client, username="alice@example.com", password=PASSWORD).json()["access_token"]
    alice.is_active = False
    alice.save()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    assert client.get("/api/v1/auth/me").status_code == 401


class TestRegistration:
    def test_it_creates_an_account_and_returns_tokens(self, anon_client, db):
        response = anon_client.post(
            "/api/v1/auth/register",
            {"email": "Dana@Example.com", "password": PASSWORD, "full_name": "Dana"},
            format="json",
        )
        assert response.status_code == 201
        assert response.json()["user"]["email"] == "dana@example.com"
        assert token_for(anon_client, username="dana@example.com", password=PASSWORD).status_code == 200

    def test_it_is_refused_with_403_when_registration_is_disabled(self, anon_client, settings, db):
        settings.REGISTRATION_ENABLED = False
        response = anon_client.post(
            "/api/v1/auth/register", {"email": "x@example.com", "password": PASSWORD}, format="json"
        )
        assert response.status_code == 403
        assert "Registration is disabled" in response.json()["detail"]
        from apps.accounts.models import User

        assert not User.objects.filter(email="x@example.com").exists()

    def test_it_rejects_a_taken_email(self, anon_client, alice):
        response = anon_client.post(
            "/api/v1/auth/register", {"email": "ALICE@example.com", "password": PASSWORD}, format="json"
        )
        assert response.status_code == 400
        assert "email" in response.json()["errors"]

    def test_it_rejects_a_weak_password_naming_the_field(self, anon_client, db):
        response = anon_client.post(
            "/api/v1/auth/register", {"email": "e@example.com", "password": "123"}, format="json"
        )
        assert response.status_code == 400
        assert "password" in response.json()["errors"]

    def test_it_rejects_an_invalid_email(self, anon_client, db):
        response = anon_client.post(
            "/api/v1/auth/register", {"email": "not-an-email", "password": PASSWORD}, format="json"
        )
        assert response.status_code == 400
        assert "email" in response.json()["errors"]


class TestFirstAdmin:
    def test_it_creates_one_admin_with_a_generated_password_once(self, db):
        from apps.accounts.services import first_admin_ensure

        created = first_admin_ensure()
        assert created.email == "admin@localhost" and len(created.generated_password) >= 16
        from apps.accounts.models import User

        assert User.objects.get(email="admin@localhost").check_password(created.generated_password)
        assert first_admin_ensure() is None

    def test_it_uses_the_configured_email_and_password(self, anon_client, db):
        from apps.accounts.services import first_admin_ensure

        created = first_admin_ensure(email="Root@Example.com", password=PASSWORD)
        assert created.email == "root@example.com" and created.generated_password is None
        assert token_for(anon_client, username="root@example.com", password=PASSWORD).status_code == 200

    def test_it_promotes_an_existing_account_named_by_the_settings(self, alice):
        from apps.accounts.services import first_admin_ensure

        assert first_admin_ensure(email="alice@example.com").generated_password is None
        alice.refresh_from_db()
        assert alice.is_superuser and alice.is_staff and alice.check_password(PASSWORD)
