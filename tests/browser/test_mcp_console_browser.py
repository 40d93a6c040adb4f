"""Adding and scanning an MCP server, then reading the audit trail, in a real browser, htmx included."""

from __future__ import annotations

import httpx2
import pytest
from playwright.sync_api import expect

from apps.accounts.services import api_key_create
from apps.mcp_proxy.models import ExternalMcpServer
from apps.trackers.sync import tracker_sync
from tests.conftest import PASSWORD
from tests.mcp_proxy.upstream_fixtures import weather_upstream  # noqa: F401 - fixture
from tests.trackers.factories import tracker_for


def sign_in(page, base_url: str) -> None:
    page.goto(f"{base_url}/login")
    page.get_by_label("Email or username").fill("alice@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{base_url}/")


@pytest.mark.browser
def test_alice_adds_and_scans_a_server_then_reads_the_audit_trail(page, live_server, alice, weather_upstream):  # noqa: F811
    sign_in(page, live_server.url)
    page.get_by_role("navigation").get_by_role("link", name="MCP servers").click()
    expect(page.get_by_text("No servers yet.")).to_be_visible()
    page.get_by_role("link", name="Add server").click()

    page.get_by_label("Name", exact=True).fill("Weather")
    expect(page.get_by_label("Command")).to_be_hidden()  # stdio settings are for stdio servers only
    page.get_by_label("URL").fill(weather_upstream.url)
    page.get_by_label("Bearer token").fill("tok-abcdef-123456")
    page.get_by_role("button", name="Add server").click()

    server = ExternalMcpServer.objects.get(owner=alice)
    expect(page).to_have_url(f"{live_server.url}/mcp-servers/{server.id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Weather")
    expect(page.get_by_text("Not scanned yet")).to_be_visible()
    expect(page.get_by_text("••••3456")).to_be_visible()

    with page.expect_response(lambda r: r.url.endswith("/scan")) as scanned:
        page.get_by_role("button", name="Scan now").click()
    assert scanned.value.request.headers.get("hx-request") == "true", "the scan was not sent by htmx"
    expect(page.locator("#server-state").get_by_role("status")).to_contain_text("Scan succeeded: 8 tools, 1 prompt")
    tools = page.locator("#tools li")
    expect(tools).to_have_count(8)
    expect(tools.first.locator("code.tool-name")).to_have_text("weather__get_weather")
    expect(tools.first).to_contain_text("read-only")
    expect(page.locator("#prompts")).to_contain_text("weather__forecast_summary")
    expect(page.get_by_role("heading", level=1)).to_have_count(1)  # the section was swapped, not the page

    page.get_by_role("navigation").get_by_role("link", name="MCP servers").click()
    expect(page.locator(f"#server-{server.id}")).to_contain_text("healthy")


@pytest.mark.browser
def test_alice_finds_her_rest_call_in_the_audit_trail(page, live_server, alice, fake_github):
    fake_github.add_org("acme")
    fake_github.add_repo("acme", "api")
    fake_github.add_issue("acme", "api", "Login fails on Safari")
    tracker_sync(tracker=tracker_for(alice, url=fake_github.url, api_token=fake_github.token))
    key = api_key_create(user=alice, name="laptop agent", scopes=["mcp"])
    response = httpx2.post(f"{live_server.url}/api/v1/mcp/get_issue", json={"issue": "acme/api#1"},
                           headers={"Authorization": f"Bearer {key.secret}"}, timeout=30)  # fmt: skip
    assert response.status_code == 200, response.text

    sign_in(page, live_server.url)
    page.get_by_role("navigation").get_by_role("link", name="Tool calls").click()
    call = page.locator("details.call")
    expect(call).to_have_count(1)
    expect(call.locator("summary")).to_contain_text("get_issue")
    expect(call.locator("summary")).to_contain_text("Success")
    expect(call.locator(".call-detail")).to_be_hidden()
    call.locator("summary").click()
    expect(call.locator(".call-detail")).to_contain_text('"issue": "acme/api#1"')
    expect(call.locator(".call-detail")).to_contain_text("API key “laptop agent”")

    page.get_by_label("Outcome").select_option("denied")
    expect(page.get_by_text("No calls match these filters.")).to_be_visible()
    expect(page).to_have_url(
        f"{live_server.url}/tool-calls?tool_name=&source=&outcome=denied&transport=&client_name=&since=&until="
    )
