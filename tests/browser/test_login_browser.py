"""Signing in and creating an API key in a real browser, htmx included."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from apps.accounts.models import ApiKey
from preloop.crypto import secret_hash
from tests.browser.conftest import require_chromium
from tests.conftest import PASSWORD


@pytest.mark.browser
def test_alice_signs_in_and_creates_an_api_key_with_htmx(page, live_server, alice):
    page.goto(f"{live_server.url}/login")
    page.get_by_label("Email or username").fill("alice@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="Hello, Alice")).to_be_visible()

    page.get_by_role("navigation").get_by_role("link", name="API keys").click()
    expect(page).to_have_url(f"{live_server.url}/settings/api-keys")
    expect(page.get_by_text("No keys yet.")).to_be_visible()
    page.get_by_label("Name", exact=True).fill("browser agent")
    expect(page.get_by_label("REST API and WebSocket")).to_be_checked()
    expect(page.get_by_label("MCP endpoint and tool calls")).to_be_checked()
    expect(page.get_by_label("Push notification proxy")).not_to_be_checked()

    with page.expect_response(lambda r: r.url.endswith("/settings/api-keys") and r.request.method == "POST") as sent:
        page.get_by_role("button", name="Create key").click()
    assert sent.value.request.headers.get("hx-request") == "true", "the form was not submitted by htmx"

    secret_box = page.locator("#new-key-secret")
    expect(secret_box).to_have_text(re.compile(r"^pl_\S{20,}$"))
    secret = secret_box.inner_text().strip()
    expect(page.get_by_role("heading", level=1)).to_have_count(1)  # the partial replaced #api-keys, no nested page
    row = page.locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row.get_by_role("cell").nth(0)).to_have_text("browser agent")
    expect(row.get_by_role("cell").nth(1)).to_have_text(f"{secret[:11]}…")
    expect(row.get_by_role("cell").nth(2)).to_have_text("api, mcp")

    api_key = ApiKey.objects.get(user=alice, key_hash=secret_hash(secret))
    assert api_key.name == "browser agent"
    assert api_key.scopes == ["api", "mcp"]


def test_it_skips_without_chromium_and_names_the_package(monkeypatch, tmp_path):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"apt-get install chromium"):
        require_chromium(tmp_path / "chromium")


def test_it_never_skips_without_chromium_on_ci(monkeypatch, tmp_path):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"apt-get install chromium"):
        require_chromium(tmp_path / "chromium")


def test_it_finds_the_installed_chromium(monkeypatch, tmp_path):
    monkeypatch.setenv("CI", "true")
    chromium = tmp_path / "chromium"
    chromium.touch()
    require_chromium(chromium)  # neither skips nor fails
