"""The web console's pages through HTTP: sign-in, sign-up, sign-out, API keys and invitations."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urljoin, urlsplit

import pytest
from django.contrib.auth import get_user
from django.core import mail
from django.db import connection
from django.test import Client
from django.utils import timezone

from apps.accounts.models import ApiKey, Invitation, Scope, User
from apps.accounts.services import api_key_create, invitation_create
from preloop.crypto import secret_hash
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "plum tractor velvet harbour"
SECRET_IN_PAGE = re.compile(r'<code id="new-key-secret">(pl_[^<]+)</code>')


def signed_in_user(client):
    """The user the client's session belongs to, or None."""
    user = get_user(client)
    return user if user.is_authenticated else None


def sign_in(client, identifier: str, password: str = PASSWORD, path: str = "/login"):
    return client.post(path, {"identifier": identifier, "password": password})


# Sign-in ---------------------------------------------------------------------------------------------------


def test_it_shows_the_login_form(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert 'name="identifier"' in response.text
    assert 'name="password"' in response.text


def test_it_signs_in_by_email(client, alice):
    response = sign_in(client, "alice@example.com")
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert signed_in_user(client) == alice


def test_it_signs_in_by_email_in_any_case(client, alice):
    response = sign_in(client, "  Alice@Example.COM ")
    assert response["Location"] == "/"
    assert signed_in_user(client) == alice


def test_it_signs_in_by_username(client, alice):
    alice.username = "alice"
    alice.save(update_fields=["username"])
    response = sign_in(client, "alice")
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert signed_in_user(client) == alice


def test_it_rejects_a_wrong_password(client, alice):
    response = sign_in(client, "alice@example.com", "wrong password")
    assert response.status_code == 401
    assert "Invalid email/username or password." in response.text
    assert signed_in_user(client) is None


def test_it_rejects_an_unknown_account_the_same_way(client, alice):
    response = sign_in(client, "nobody@example.com")
    assert response.status_code == 401
    assert "Invalid email/username or password." in response.text
    assert signed_in_user(client) is None


def test_it_still_accepts_the_right_password_just_below_the_failure_limit(client, alice, settings):
    settings.LOGIN_FAILURES_ALLOWED = 3
    for _ in range(settings.LOGIN_FAILURES_ALLOWED - 1):
        assert sign_in(client, "alice@example.com", "wrong password").status_code == 401
    response = sign_in(client, "alice@example.com")
    assert response.status_code == 302
    assert signed_in_user(client) == alice


def test_it_throttles_after_too_many_failures_even_with_the_right_password(client, alice, settings):
    settings.LOGIN_FAILURES_ALLOWED = 3
    for _ in range(settings.LOGIN_FAILURES_ALLOWED):
        assert sign_in(client, "alice@example.com", "wrong password").status_code == 401
    response = sign_in(client, "alice@example.com")
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.text
    assert signed_in_user(client) is None


def test_it_sends_anonymous_visitors_of_the_dashboard_to_the_login_page(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/login?next=/"


def test_it_sends_anonymous_visitors_of_api_keys_to_the_login_page(client):
    response = client.get("/settings/api-keys")
    assert response.status_code == 302
    assert response["Location"] == "/login?next=/settings/api-keys"


def test_it_follows_a_local_next_after_sign_in(client, alice):
    response = sign_in(client, "alice@example.com", path="/login?next=/settings/api-keys")
    assert response["Location"] == "/settings/api-keys"
    assert signed_in_user(client) == alice


def test_it_does_not_follow_an_unsafe_next(client, alice):
    response = client.post(
        "/login", {"identifier": "alice@example.com", "password": PASSWORD}, query_params={"next": "//evil.example"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert signed_in_user(client) == alice


@pytest.mark.parametrize(
    "unsafe_next",
    ["//evil.example/login", "https://evil.example/", "http:evil.example", "/\\evil.example", "\\\\evil.example"],
)
def test_it_keeps_every_redirect_after_sign_in_on_this_site(client, alice, unsafe_next):
    response = client.post(
        "/login", {"identifier": "alice@example.com", "password": PASSWORD}, query_params={"next": unsafe_next}
    )
    assert response.status_code == 302
    # Browsers read a backslash as a slash in http(s) URLs.
    target = urlsplit(urljoin("http://testserver/login", response["Location"].replace("\\", "/")))
    assert (target.scheme, target.netloc) == ("http", "testserver")
    assert signed_in_user(client) == alice


def test_it_sends_a_signed_in_user_from_the_login_page_to_the_dashboard(client, alice):
    client.force_login(alice)
    response = client.get("/login")
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_it_shows_the_dashboard_to_a_signed_in_user(client, alice):
    client.force_login(alice)
    response = client.get("/")
    assert response.status_code == 200
    assert "Hello, Alice" in response.text
    assert "alice@example.com" in response.text


# Sign-up ---------------------------------------------------------------------------------------------------


def register(client, email="carol@example.com", password=NEW_PASSWORD, confirm=None):
    data = {"email": email, "full_name": "Carol Chen", "password": password, "password_confirm": confirm or password}
    return client.post("/register", data)


def test_it_hides_sign_up_when_registration_is_disabled(client, settings):
    settings.REGISTRATION_ENABLED = False
    response = client.get("/login")
    assert response.status_code == 200
    assert "Sign up" not in response.text
    assert 'href="/register"' not in response.text
    assert "Accounts are by invitation" in response.text


def test_it_redirects_register_to_login_when_registration_is_disabled(client, settings):
    settings.REGISTRATION_ENABLED = False
    response = client.get("/register")
    assert response.status_code == 302
    assert response["Location"] == "/login"


def test_it_creates_no_account_when_registration_is_disabled(client, settings):
    settings.REGISTRATION_ENABLED = False
    response = register(client)
    assert response.status_code == 302
    assert response["Location"] == "/login"
    assert not User.objects.filter(email="carol@example.com").exists()
    assert signed_in_user(client) is None


def test_it_links_sign_up_when_registration_is_enabled(client, settings):
    settings.REGISTRATION_ENABLED = True
    response = client.get("/login")
    assert 'href="/register">Sign up</a>' in response.text
    assert client.get("/register").status_code == 200


def test_it_registers_and_signs_in(client, settings):
    settings.REGISTRATION_ENABLED = True
    response = register(client, email="Carol@Example.com")
    assert response.status_code == 302
    assert response["Location"] == "/"
    carol = User.objects.get(email="carol@example.com")
    assert carol.full_name == "Carol Chen"
    assert carol.check_password(NEW_PASSWORD)
    assert signed_in_user(client) == carol


def test_it_refuses_a_weak_password_at_sign_up(client, settings):
    settings.REGISTRATION_ENABLED = True
    response = register(client, password="password")
    assert response.status_code == 200
    assert "This password is too common." in response.text
    assert not User.objects.filter(email="carol@example.com").exists()
    assert signed_in_user(client) is None


def test_it_refuses_differing_passwords_at_sign_up(client, settings):
    settings.REGISTRATION_ENABLED = True
    response = register(client, confirm="another long passphrase")
    assert response.status_code == 200
    assert "The two passwords differ." in response.text
    assert not User.objects.filter(email="carol@example.com").exists()


def test_it_refuses_a_duplicate_email_at_sign_up(client, settings, alice):
    settings.REGISTRATION_ENABLED = True
    response = register(client, email="ALICE@example.com")
    assert response.status_code == 200
    assert "A user with this email address already exists." in response.text
    assert User.objects.filter(email__iexact="alice@example.com").count() == 1
    assert signed_in_user(client) is None


# Sign-out --------------------------------------------------------------------------------------------------


def test_it_does_not_sign_out_on_get(client, alice):
    client.force_login(alice)
    response = client.get("/logout")
    assert response.status_code == 405
    assert signed_in_user(client) == alice


def test_it_signs_out_on_post(client, alice):
    client.force_login(alice)
    response = client.post("/logout")
    assert response.status_code == 302
    assert response["Location"] == "/login"
    assert signed_in_user(client) is None
    assert client.get("/")["Location"] == "/login?next=/"


# API keys --------------------------------------------------------------------------------------------------


def tables_containing(text: str) -> list[str]:
    """Every database table with a row whose text form contains `text`."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT 1 FROM {quoted} AS t WHERE strpos(t::text, %s) > 0 LIMIT 1", [text])
            if cursor.fetchone():
                found.append(table)
    return found


def assert_only_the_hash_is_stored(client, secret: str, user: User) -> ApiKey:
    api_key = ApiKey.objects.get(user=user, key_hash=secret_hash(secret))
    assert api_key.key_hash != secret
    assert tables_containing(api_key.key_hash) == ["accounts_apikey"]  # the search itself works
    assert tables_containing(secret) == []
    assert secret not in repr(dict(client.session.items()))
    return api_key


def test_it_shows_the_api_key_page_with_default_scopes(client, alice):
    client.force_login(alice)
    response = client.get("/settings/api-keys")
    assert response.status_code == 200
    assert "<h1>API keys</h1>" in response.text
    assert "No keys yet." in response.text
    assert re.search(r'<input type="checkbox" name="scopes" value="api"[^>]*checked', response.text)
    assert re.search(r'<input type="checkbox" name="scopes" value="mcp"[^>]*checked', response.text)
    assert not re.search(r'<input type="checkbox" name="scopes" value="push_proxy"[^>]*checked', response.text)


def test_it_creates_an_api_key_with_a_normal_post(client, alice):
    client.force_login(alice)
    response = client.post("/settings/api-keys", {"name": "laptop agent", "scopes": [Scope.API, Scope.MCP]})
    assert response.status_code == 200
    assert "<html" in response.text  # the whole page
    secret = SECRET_IN_PAGE.search(response.text).group(1)
    assert secret.startswith("pl_")
    assert response.text.count(secret) == 1
    api_key = assert_only_the_hash_is_stored(client, secret, alice)
    assert api_key.name == "laptop agent"
    assert api_key.scopes == ["api", "mcp"]
    assert f"<code>{api_key.prefix}…</code>" in response.text
    assert "<td>api, mcp</td>" in response.text


def test_it_creates_an_api_key_with_an_htmx_post(client, alice):
    client.force_login(alice)
    response = client.post("/settings/api-keys", {"name": "ci runner", "scopes": [Scope.MCP]}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "<html" not in response.text  # only the partial that replaces #api-keys
    assert "<h1>API keys</h1>" not in response.text
    secret = SECRET_IN_PAGE.search(response.text).group(1)
    assert secret.startswith("pl_")
    assert response.text.count(secret) == 1
    api_key = assert_only_the_hash_is_stored(client, secret, alice)
    assert api_key.scopes == ["mcp"]
    assert "<td>ci runner</td>" in response.text
    assert f"<code>{api_key.prefix}…</code>" in response.text
    assert "<td>mcp</td>" in response.text


def test_it_never_shows_the_secret_again(client, alice):
    client.force_login(alice)
    created = client.post("/settings/api-keys", {"name": "laptop agent", "scopes": [Scope.API]})
    secret = SECRET_IN_PAGE.search(created.text).group(1)
    response = client.get("/settings/api-keys")
    assert secret not in response.text
    assert 'id="new-key-secret"' not in response.text
    assert "<td>laptop agent</td>" in response.text


def test_it_shows_form_errors_for_a_key_without_a_name(client, alice):
    client.force_login(alice)
    response = client.post("/settings/api-keys", {"name": "", "scopes": [Scope.API]}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "This field is required." in response.text
    assert 'id="new-key-secret"' not in response.text
    assert not ApiKey.objects.filter(user=alice).exists()


def test_it_lists_only_the_users_own_keys(client, alice, bob):
    api_key_create(user=bob, name="bob's key", scopes=[Scope.API])
    client.force_login(alice)
    response = client.get("/settings/api-keys")
    assert "bob&#x27;s key" not in response.text
    assert "No keys yet." in response.text


def test_it_revokes_a_key(client, alice):
    issued = api_key_create(user=alice, name="old key", scopes=[Scope.API])
    client.force_login(alice)
    response = client.post(f"/settings/api-keys/{issued.api_key.id}/revoke")
    assert response.status_code == 302
    assert response["Location"] == "/settings/api-keys"
    issued.api_key.refresh_from_db()
    assert issued.api_key.revoked_at is not None
    assert "revoked" in client.get("/settings/api-keys").text


def test_it_revokes_a_key_with_htmx(client, alice):
    issued = api_key_create(user=alice, name="old key", scopes=[Scope.API])
    client.force_login(alice)
    response = client.post(f"/settings/api-keys/{issued.api_key.id}/revoke", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "<html" not in response.text
    assert "<td>old key</td>" in response.text
    assert "revoked" in response.text
    issued.api_key.refresh_from_db()
    assert issued.api_key.revoked_at is not None


def test_it_does_not_revoke_on_get(client, alice):
    issued = api_key_create(user=alice, name="old key", scopes=[Scope.API])
    client.force_login(alice)
    response = client.get(f"/settings/api-keys/{issued.api_key.id}/revoke")
    assert response.status_code == 405
    issued.api_key.refresh_from_db()
    assert issued.api_key.revoked_at is None


def test_it_hides_other_users_keys_from_revocation(client, alice, bob):
    issued = api_key_create(user=alice, name="alice's key", scopes=[Scope.API])
    client.force_login(bob)
    response = client.post(f"/settings/api-keys/{issued.api_key.id}/revoke")
    assert response.status_code == 404
    issued.api_key.refresh_from_db()
    assert issued.api_key.revoked_at is None


# Invitations -----------------------------------------------------------------------------------------------


@pytest.fixture
def invitation_path(settings) -> str:
    """The path of the link emailed to carol@example.com."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    invitation_create(email="carol@example.com")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["carol@example.com"]
    link = re.search(r"https?://\S+/invite/\S+", mail.outbox[0].body).group(0)
    return urlsplit(link).path


def accept(client, path: str, password: str = NEW_PASSWORD):
    return client.post(path, {"full_name": "Carol Chen", "password": password, "password_confirm": password})


def test_it_shows_the_invitation_form(client, invitation_path):
    response = client.get(invitation_path)
    assert response.status_code == 200
    assert "Set a password for <strong>carol@example.com</strong>" in response.text


def test_it_accepts_an_invitation_and_signs_in(client, invitation_path):
    response = accept(client, invitation_path)
    assert response.status_code == 302
    assert response["Location"] == "/"
    carol = User.objects.get(email="carol@example.com")
    assert carol.check_password(NEW_PASSWORD)
    assert carol.full_name == "Carol Chen"
    assert signed_in_user(client) == carol
    invitation = Invitation.objects.get(email="carol@example.com")
    assert invitation.accepted_at is not None
    assert invitation.user == carol


def test_it_accepts_an_invitation_link_only_once(client, invitation_path):
    assert accept(client, invitation_path).status_code == 302

    other = Client()
    response = other.get(invitation_path)
    assert response.status_code == 400
    assert "already been used" in response.text
    response = accept(other, invitation_path, password="a different passphrase")
    assert response.status_code == 400
    assert "already been used" in response.text
    assert signed_in_user(other) is None
    assert User.objects.get(email="carol@example.com").check_password(NEW_PASSWORD)


def test_it_keeps_the_invitation_usable_after_a_weak_password(client, invitation_path):
    response = accept(client, invitation_path, password="password")
    assert response.status_code == 200
    assert "This password is too common." in response.text
    assert not User.objects.filter(email="carol@example.com").exists()
    assert accept(client, invitation_path).status_code == 302


def tampered(path: str, where: str) -> str:
    token = path.removeprefix("/invite/")
    index = 5 if where == "payload" else len(token) - 3
    replacement = "A" if token[index] != "A" else "B"
    return "/invite/" + token[:index] + replacement + token[index + 1 :]


@pytest.mark.parametrize("where", ["payload", "signature"])
def test_it_rejects_a_tampered_invitation_link(client, invitation_path, where):
    path = tampered(invitation_path, where)
    response = client.get(path)
    assert response.status_code == 400
    assert "This invitation link is not valid." in response.text
    response = accept(client, path)
    assert response.status_code == 400
    assert not User.objects.filter(email="carol@example.com").exists()


def test_it_rejects_an_expired_invitation(client, invitation_path):
    Invitation.objects.filter(email="carol@example.com").update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.get(invitation_path)
    assert response.status_code == 400
    assert "This invitation has expired" in response.text
    response = accept(client, invitation_path)
    assert response.status_code == 400
    assert "This invitation has expired" in response.text
    assert not User.objects.filter(email="carol@example.com").exists()
    assert signed_in_user(client) is None
