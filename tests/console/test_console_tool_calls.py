"""The console's audit trail (/tool-calls) through HTTP: the user's calls only, filters, pages, details."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from apps.accounts.services import api_key_create
from apps.mcp_proxy import selectors, services
from tests.conftest import client_for
from tests.mcp_proxy.factories import tool_call_for

pytestmark = pytest.mark.django_db
PAGE = "/tool-calls"


def console_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def listed(response) -> list[str]:
    """The tool names of the listed calls, in page order."""
    assert response.status_code == 200
    return re.findall(r'<summary>.*?<code class="tool-name">([^<]+)</code>', response.text, re.S)


def field_errors(page: str, name: str) -> list[str]:
    match = re.search(rf'<div id="id_{name}-errors" class="field-error"[^>]*>(.*?)</div>', page, re.S)
    assert match, f"no error box for {name!r}"
    return [html.unescape(error) for error in re.findall(r"<p>(.*?)</p>", match.group(1))]


@pytest.fixture
def calls(alice, bob):
    now = timezone.now()
    server = services.mcp_server_create(owner=alice, name="Weather", url="http://127.0.0.1:9/mcp")
    made = {
        "get_issue": tool_call_for(alice, tool_name="get_issue", created_at=now - timedelta(days=3)),
        "weather__echo": tool_call_for(
            alice, tool_name="weather__echo", source=str(server.id), transport="rest", client_name="",
            created_at=now - timedelta(days=2),
        ),
        "update_issue": tool_call_for(
            alice, tool_name="update_issue", outcome="denied", client_name="cursor",
            error_message="Approval required before update_issue runs.", created_at=now - timedelta(hours=5),
        ),
        "search": tool_call_for(alice, tool_name="search", outcome="tool_error", created_at=now - timedelta(hours=1)),
    }  # fmt: skip
    tool_call_for(bob, tool_name="bobs_secret_tool", client_name="bobs-client")
    return {"server": server, "now": now, **made}


def test_it_sends_anonymous_visitors_to_the_login_page(client):
    response = client.get(PAGE)
    assert response.status_code == 302 and response["Location"].startswith("/login?next=")


def test_it_lists_only_the_users_calls_newest_first(alice, calls):
    response = console_for(alice).get(PAGE)
    assert listed(response) == ["search", "update_issue", "weather__echo", "get_issue"]
    assert "4 calls" in response.text
    assert "bobs_secret_tool" not in response.text and "bobs-client" not in response.text


def test_bob_sees_neither_alices_calls_nor_her_servers_among_the_sources(bob, calls):
    response = console_for(bob).get(PAGE)
    assert listed(response) == ["bobs_secret_tool"]
    assert str(calls["server"].id) not in response.text and "Weather" not in response.text
    filtered = console_for(bob).get(PAGE, {"source": str(calls["server"].id)})
    assert listed(filtered) == [] and field_errors(filtered.text, "source")


def test_it_shows_outcomes_as_badges_and_times_as_relative(alice, calls):
    page = console_for(alice).get(PAGE).text
    assert '<span class="badge outcome-denied">Denied</span>' in page
    assert '<span class="badge outcome-tool_error">Tool error</span>' in page
    assert re.search(r"<time datetime=\"[^\"]+\" title=\"[^\"]+ UTC\">1\xa0hour ago</time>", page)


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"tool_name": "update_issue"}, ["update_issue"]),
        ({"source": "preloop_builtin"}, ["search", "update_issue", "get_issue"]),
        ({"outcome": "tool_error"}, ["search"]),
        ({"transport": "rest"}, ["weather__echo"]),
        ({"client_name": "cursor"}, ["update_issue"]),
        ({"outcome": "success", "client_name": "claude-code"}, ["get_issue"]),
    ],
)
def test_it_filters(alice, calls, filters, expected):
    assert listed(console_for(alice).get(PAGE, filters)) == expected


def test_it_filters_by_the_users_server(alice, calls):
    response = console_for(alice).get(PAGE, {"source": str(calls["server"].id)})
    assert listed(response) == ["weather__echo"]
    assert f'<option value="{calls["server"].id}" selected>Weather</option>' in response.text


def test_it_filters_by_date_range(alice, calls):
    now = calls["now"]
    since = (now - timedelta(days=2, hours=1)).strftime("%Y-%m-%dT%H:%M")
    until = (now - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    assert listed(console_for(alice).get(PAGE, {"since": since, "until": until})) == ["update_issue", "weather__echo"]


def test_it_shows_a_malformed_date_next_to_its_field(alice, calls):
    response = console_for(alice).get(PAGE, {"since": "last tuesday"})
    assert response.status_code == 200 and listed(response) == []
    assert field_errors(response.text, "since") == ["Enter a valid date/time."]


def test_it_refuses_a_range_that_ends_before_it_starts(alice, calls):
    response = console_for(alice).get(PAGE, {"since": "2026-11-02T00:00", "until": "2026-11-01T00:00"})
    assert field_errors(response.text, "until") == ["Must be later than “From”."]


def test_it_says_when_no_call_matches(alice, calls):
    assert "No calls match these filters." in console_for(alice).get(PAGE, {"tool_name": "nothing"}).text


def test_it_answers_htmx_with_the_results_only_and_errors_out_of_band(alice, calls):
    response = console_for(alice).get(PAGE, {"outcome": "denied"}, HTTP_HX_REQUEST="true")
    assert listed(response) == ["update_issue"] and "<h1" not in response.text and "<form" not in response.text
    response = console_for(alice).get(PAGE, {"until": "soon"}, HTTP_HX_REQUEST="true")
    assert 'id="id_until-errors" class="field-error" hx-swap-oob="true"' in response.text


def test_it_pages_fifty_calls_at_a_time(alice):
    now = timezone.now()
    for number in range(51):
        tool_call_for(alice, tool_name=f"tool_{number:02d}", created_at=now - timedelta(minutes=number))
    first = console_for(alice).get(PAGE)
    assert len(listed(first)) == 50 and listed(first)[0] == "tool_00" and "Page 1 of 2" in first.text
    assert 'href="?page=2"' in first.text
    assert listed(console_for(alice).get(PAGE, {"page": 2})) == ["tool_50"]
    assert listed(console_for(alice).get(PAGE, {"page": "not-a-number"}))[0] == "tool_00"


def test_pages_keep_the_filters(alice):
    for number in range(55):
        tool_call_for(alice, tool_name="search" if number % 2 else "get_issue")
    page = console_for(alice).get(PAGE, {"tool_name": "search"}).text
    assert "27 calls matching" in page and "Page" not in page
    for number in range(60):
        tool_call_for(alice, tool_name="search")
    page = console_for(alice).get(PAGE, {"tool_name": "search"}).text
    assert 'href="?tool_name=search&amp;page=2"' in page


def test_each_call_expands_to_its_detail(alice):
    key = api_key_create(user=alice, name="laptop agent", scopes=["mcp"])
    call = tool_call_for(
        alice, tool_name="create_issue", outcome="error", error_message="The tracker answered 502.",
        arguments={"title": "Crash on start", "api_token": "ghp_" + "x" * 30, "labels": ["bug"]},
        session_id="session-123", credential_id=str(key.api_key.id), client_version="1.2.0",
    )  # fmt: skip
    page = html.unescape(console_for(alice).get(PAGE).text)
    detail = re.search(rf'<details class="call" role="listitem" id="call-{call.id}">.*?</details>', page, re.S).group(0)
    assert '"api_token": "[REDACTED]"' in detail and "ghp_" not in page
    assert '"labels": [\n    "bug"\n  ]' in detail  # pretty JSON
    assert call.arguments_digest in detail and "The tracker answered 502." in detail
    assert "claude-code 1.2.0" in detail and "protocol 2025-11-25" in detail and "session-123" in detail
    assert f"API key “laptop agent” ({key.api_key.prefix}…)" in detail
    assert "12 ms" in detail


def test_a_deleted_servers_calls_stay_listed_and_filterable(alice, calls):
    server_id = str(calls["server"].id)
    services.mcp_server_delete(server=calls["server"])
    response = console_for(alice).get(PAGE, {"source": server_id})
    assert listed(response) == ["weather__echo"] and "Deleted server" in response.text


def test_it_suggests_the_users_tool_and_client_names(alice, calls):
    page = console_for(alice).get(PAGE).text
    assert '<option value="cursor">' in page and '<option value="weather__echo">' in page
    assert "bobs-client" not in page


def test_a_deleted_servers_old_calls_stay_filterable_beyond_the_suggestions(alice, calls, monkeypatch):
    server_id = str(calls["server"].id)
    services.mcp_server_delete(server=calls["server"])
    for _ in range(3):
        tool_call_for(alice, tool_name="search")
    monkeypatch.setattr(selectors, "SUGGESTIONS_FROM_LATEST", 2)  # suggestions come from the 2 latest calls
    page = console_for(alice).get(PAGE).text
    assert f'<option value="{server_id}"' not in page and "a deleted server" in page
    assert listed(console_for(alice).get(PAGE, {"source": server_id})) == ["weather__echo"]


@pytest.mark.django_db(transaction=True)  # the proxied call runs in a thread with its own connection
def test_a_real_proxied_call_is_listed_under_its_server_and_found_by_source(alice, weather_upstream):
    server = services.mcp_server_create(owner=alice, name="Weather", url=weather_upstream.url)
    assert services.mcp_server_scan(server=server), server.last_error
    response = client_for(alice).post("/api/v1/mcp/weather__echo", {"text": "hello"}, format="json")
    assert response.status_code == 200, response.json()

    page = console_for(alice).get(PAGE, {"source": str(server.id)})
    assert listed(page) == ["weather__echo"]
    summary = re.search(r"<summary>.*?</summary>", page.text, re.S).group(0)
    assert "<span>Weather</span>" in summary and "REST" in summary and "Success" in summary
    assert '"text": "hello"' in html.unescape(page.text)
    assert listed(console_for(alice).get(PAGE, {"source": "preloop_builtin"})) == []
