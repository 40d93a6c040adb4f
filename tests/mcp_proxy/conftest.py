from __future__ import annotations

import pytest

from apps.accounts.models import Scope
from apps.accounts.services import api_key_create
from apps.trackers.sync import tracker_sync
from tests.mcp_proxy.servers import DaphneServer
from tests.mcp_proxy.upstream_fixtures import (  # noqa: F401 - fixtures
    conformance_fixture_upstream,
    secured_upstream,
    silent_upstream,
    sse_weather_upstream,
    tools_only_paged_upstream,
    weather_upstream,
    web_page,
)
from tests.trackers.factories import tracker_for

SIX_TOOLS = ["get_issue", "create_issue", "update_issue", "search", "estimate_compliance", "improve_compliance"]


@pytest.fixture(scope="session")
def daphne_pair(django_db_setup, django_db_blocker):
    """Two Preloop web processes sharing the test database and Redis, as two replicas would."""
    servers = [DaphneServer(), DaphneServer()]
    try:
        for server in servers:
            server.start()
        yield servers
    finally:
        for server in servers:
            server.stop()


@pytest.fixture
def server(daphne_pair) -> DaphneServer:
    return daphne_pair[0]


def key_for(user, scopes=(Scope.MCP,)) -> str:
    return api_key_create(user=user, name=f"mcp key {'+'.join(scopes)}", scopes=list(scopes)).secret


@pytest.fixture
def synced_github(alice, fake_github):
    """Alice's GitHub tracker, synced: acme/api with issue #1 `Login fails on Safari` and one comment."""
    fake_github.add_org("acme")
    fake_github.add_repo("acme", "api")
    issue = fake_github.add_issue("acme", "api", "Login fails on Safari", body="Steps: open Safari, sign in.")
    fake_github.add_comment("acme", "api", issue["number"], "Seen on 17.2 too")
    tracker = tracker_for(alice, url=fake_github.url, api_token=fake_github.token)
    tracker_sync(tracker=tracker)
    return tracker
