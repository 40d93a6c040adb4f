import time

import pytest

from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def attempt(client, username, password, address="10.0.0.1"):
    return client.post(
        "/api/v1/auth/token", {"username": username, "password": password}, format="json", REMOTE_ADDR=address
    )


def test_it_refuses_with_429_after_repeated_failures_for_one_account(anon_client, alice, settings):
    settings.LOGIN_FAILURES_ALLOWED = 3
    for index in range(3):
        assert attempt(anon_client, "alice@example.com", "wrong", address=f"10.0.0.{index}").status_code == 401
    blocked = attempt(anon_client, "alice@example.com", PASSWORD, address="10.0.0.99")
    assert blocked.status_code == 429
    assert int(blocked["Retry-After"]) == settings.LOGIN_FAILURE_WINDOW_SECONDS
    assert "Too many failed sign-in attempts" in blocked.json()["detail"]


def test_it_refuses_an_address_that_guesses_across_accounts(anon_client, alice, bob, settings):
    settings.LOGIN_FAILURES_ALLOWED = 3
    for name in ["x@example.com", "y@example.com", "z@example.com"]:
        assert attempt(anon_client, name, "wrong").status_code == 401
    assert attempt(anon_client, "bob@example.com", PASSWORD).status_code == 429
    assert attempt(anon_client, "bob@example.com", PASSWORD, address="10.0.0.2").status_code == 200


def test_the_real_user_gets_back_in_after_the_window(anon_client, alice, settings):
    settings.LOGIN_FAILURES_ALLOWED = 2
    settings.LOGIN_FAILURE_WINDOW_SECONDS = 1
    for _ in range(2):
        attempt(anon_client, "alice@example.com", "wrong")
    assert attempt(anon_client, "alice@example.com", PASSWORD).status_code == 429
    time.sleep(1.2)
    assert attempt(anon_client, "alice@example.com", PASSWORD).status_code == 200


def test_a_success_clears_the_account_counter(anon_client, db, settings):
    settings.LOGIN_FAILURES_ALLOWED = 3
    make_user("erin@example.com")
    for address in ["10.1.0.1", "10.1.0.2"]:
        attempt(anon_client, "erin@example.com", "wrong", address=address)
    assert attempt(anon_client, "erin@example.com", PASSWORD, address="10.1.0.3").status_code == 200
    for address in ["10.1.0.4", "10.1.0.5"]:
        attempt(anon_client, "erin@example.com", "wrong", address=address)
    assert attempt(anon_client, "erin@example.com", PASSWORD, address="10.1.0.6").status_code == 200
