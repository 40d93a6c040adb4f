"""`GET /api/v1/tool-calls` filters, and the retention job that deletes old audit rows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from apps.mcp_proxy import services
from apps.mcp_proxy.models import ToolCall, ToolCallOutcome
from apps.mcp_proxy.tasks import tool_calls_purge
from apps.system.schedule import PERIODIC_JOBS
from tests.conftest import client_for
from tests.mcp_proxy.factories import tool_call_for

pytestmark = pytest.mark.django_db
LIST = "/api/v1/tool-calls"


def names(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [call["tool_name"] for call in response.json()["results"]]


@pytest.fixture
def calls(alice, bob):
    """Alice's varied calls (newest first: search, update_issue, weather__echo, get_issue) and one of bob's."""
    now = timezone.now()
    server = services.mcp_server_create(owner=alice, name="Weather", url="http://127.0.0.1:9/mcp")
    made = {
        "get_issue": tool_call_for(alice, tool_name="get_issue", created_at=now - timedelta(days=3)),
        "weather__echo": tool_call_for(
            alice,
            tool_name="weather__echo",
            source=str(server.id),
            transport="rest",
            client_name="",
            created_at=now - timedelta(days=2),
        ),
        "update_issue": tool_call_for(
            alice,
            tool_name="update_issue",
            outcome="denied",
            client_name="cursor",
            error_message="Approval required.",
            created_at=now - timedelta(hours=5),
        ),
        "search": tool_call_for(alice, tool_name="search", outcome="tool_error", created_at=now - timedelta(hours=1)),
    }
    tool_call_for(bob, tool_name="get_issue", created_at=now - timedelta(hours=2))
    return {"server": server, "now": now, **made}


def test_it_lists_the_users_calls_newest_first_paginated_like_other_lists(alice, calls):
    body = client_for(alice).get(LIST).json()
    assert body["count"] == 4 and set(body) >= {"count", "next", "previous", "results"}
    assert [call["tool_name"] for call in body["results"]] == ["search", "update_issue", "weather__echo", "get_issue"]
    page = client_for(alice).get(LIST, {"limit": 2, "offset": 2}).json()
    assert [call["tool_name"] for call in page["results"]] == ["weather__echo", "get_issue"]


def test_it_filters_by_tool_name(alice, calls):
    assert names(client_for(alice).get(LIST, {"tool_name": "update_issue"})) == ["update_issue"]


def test_it_filters_by_source(alice, calls):
    assert names(client_for(alice).get(LIST, {"source": str(calls["server"].id)})) == ["weather__echo"]
    assert names(client_for(alice).get(LIST, {"source": "preloop_builtin"})) == ["search", "update_issue", "get_issue"]


def test_it_filters_by_outcome(alice, calls):
    assert names(client_for(alice).get(LIST, {"outcome": "denied"})) == ["update_issue"]


def test_it_filters_by_transport(alice, calls):
    assert names(client_for(alice).get(LIST, {"transport": "rest"})) == ["weather__echo"]


def test_it_filters_by_client_name(alice, calls):
    assert names(client_for(alice).get(LIST, {"client_name": "cursor"})) == ["update_issue"]


def test_it_filters_by_date_range(alice, calls):
    now = calls["now"]
    since = (now - timedelta(days=2, hours=1)).isoformat()
    until = (now - timedelta(hours=2)).isoformat()
    assert names(client_for(alice).get(LIST, {"since": since})) == ["search", "update_issue", "weather__echo"]
    assert names(client_for(alice).get(LIST, {"until": until})) == ["update_issue", "weather__echo", "get_issue"]
    assert names(client_for(alice).get(LIST, {"since": since, "until": until})) == ["update_issue", "weather__echo"]


def test_it_combines_filters(alice, calls):
    assert names(client_for(alice).get(LIST, {"source": "preloop_builtin", "client_name": "claude-code"})) == [
        "search",
        "get_issue",
    ]


def test_filters_never_reach_other_users_calls(bob, calls):
    assert names(client_for(bob).get(LIST, {"tool_name": "get_issue"})) == ["get_issue"]
    assert names(client_for(bob).get(LIST, {"source": str(calls["server"].id)})) == []
    assert names(client_for(bob).get(LIST, {"outcome": "denied"})) == []


def test_an_empty_filter_is_no_filter(alice, calls):
    empty = dict.fromkeys(["tool_name", "source", "outcome", "transport", "client_name", "since", "until"], "")
    assert len(names(client_for(alice).get(LIST, empty))) == 4


@pytest.mark.parametrize("field", ["since", "until"])
def test_a_malformed_date_is_a_400_naming_the_field(alice, calls, field):
    response = client_for(alice).get(LIST, {field: "yesterday"})
    assert response.status_code == 400
    body = response.json()
    assert set(body["errors"]) == {field} and field in body["detail"]


def test_an_until_before_since_is_a_400_on_until(alice, calls):
    response = client_for(alice).get(LIST, {"since": "2026-11-02T00:00:00Z", "until": "2026-11-01T00:00:00Z"})
    assert response.status_code == 400 and set(response.json()["errors"]) == {"until"}


@pytest.mark.parametrize(("field", "value"), [("outcome", "great"), ("transport", "carrier-pigeon")])
def test_an_unknown_choice_is_a_400_naming_the_field(alice, calls, field, value):
    response = client_for(alice).get(LIST, {field: value})
    assert response.status_code == 400 and set(response.json()["errors"]) == {field}


def test_the_filters_are_documented_in_the_openapi_schema(client):
    operation = client.get("/openapi.json").json()["paths"]["/api/v1/tool-calls"]["get"]
    parameters = {parameter["name"]: parameter for parameter in operation["parameters"]}
    assert set(parameters) >= {"tool_name", "source", "outcome", "transport", "client_name", "since", "until",
                               "limit", "offset"}  # fmt: skip
    assert all(parameters[name]["in"] == "query" for name in parameters)
    assert parameters["since"]["schema"]["format"] == "date-time"
    assert parameters["until"]["schema"]["format"] == "date-time"
    assert set(parameters["outcome"]["schema"]["enum"]) == set(ToolCallOutcome.values)
    assert set(parameters["transport"]["schema"]["enum"]) == {"mcp", "rest"}
    assert "400" in operation["responses"]


# Retention -------------------------------------------------------------------------------------------------


@pytest.fixture
def aged_calls(alice, bob):
    now = timezone.now()
    return {
        "alice_old": tool_call_for(alice, created_at=now - timedelta(days=91)),
        "bob_old": tool_call_for(bob, created_at=now - timedelta(days=400)),
        "alice_recent": tool_call_for(alice, created_at=now - timedelta(days=89)),
        "bob_new": tool_call_for(bob),
    }


def remaining() -> set:
    return set(ToolCall.objects.values_list("id", flat=True))


def test_the_purge_deletes_calls_older_than_the_retention_and_keeps_the_rest(settings, alice, aged_calls):
    settings.TOOL_CALL_RETENTION_DAYS = 90
    server = services.mcp_server_create(owner=alice, name="Weather", url="http://127.0.0.1:9/mcp")
    tool_calls_purge()
    assert remaining() == {aged_calls["alice_recent"].id, aged_calls["bob_new"].id}
    assert alice.mcp_servers.get() == server  # the purge touches the audit only


def test_the_purge_follows_the_configured_retention(settings, aged_calls):
    settings.TOOL_CALL_RETENTION_DAYS = 30
    tool_calls_purge()
    assert remaining() == {aged_calls["bob_new"].id}


def test_a_retention_of_zero_keeps_every_call(settings, aged_calls):
    settings.TOOL_CALL_RETENTION_DAYS = 0
    tool_calls_purge()
    assert remaining() == {call.id for call in aged_calls.values()}


def test_the_purge_deletes_in_batches_and_says_how_many(alice):
    old = timezone.now() - timedelta(days=10)
    for _ in range(5):
        tool_call_for(alice, created_at=old)
    kept = tool_call_for(alice)
    assert services.tool_calls_purge(retention_days=7, batch_size=2) == 5
    assert remaining() == {kept.id}


def test_the_purge_logs_how_many_calls_it_deleted(settings, aged_calls, caplog):
    settings.TOOL_CALL_RETENTION_DAYS = 90
    with caplog.at_level("INFO", logger="apps.mcp_proxy.tasks"):
        tool_calls_purge()
    assert "deleted 2 tool calls older than 90 days" in caplog.text


def test_the_purge_can_be_run_by_hand(settings, aged_calls, capsys):
    settings.TOOL_CALL_RETENTION_DAYS = 90
    call_command("tool_calls_purge", "--days", "365")
    assert "Deleted 1 tool call older than 365 days." in capsys.readouterr().out
    assert aged_calls["bob_old"].id not in remaining() and len(remaining()) == 3


def test_the_scheduler_runs_the_purge_hourly():
    [job] = [job for job in PERIODIC_JOBS if job.name == "tool_calls_purge"]
    assert job.actor_path == "apps.mcp_proxy.tasks.tool_calls_purge" and job.interval_seconds == 3600
