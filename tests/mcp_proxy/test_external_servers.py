"""External MCP servers: registered over REST, scanned with the SDK client against real upstream servers."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from django.db import connection

from apps.mcp_proxy import services
from apps.mcp_proxy.models import ExternalMcpServer
from apps.mcp_proxy.registry import tools_visible
from tests.conftest import PASSWORD, client_for, free_port, make_user
from tests.crud import OwnedResourceContract
from tests.mcp_proxy.upstreams import UPSTREAM_TOKEN

pytestmark = pytest.mark.django_db
COLLECTION = "/api/v1/mcp-servers"
WEATHER_TOOLS = ["get_weather", "echo", "search", "countdown", "wait_forever", "ask_city", "poem", "my_roots"]


def server_for(user, url="http://127.0.0.1:9/mcp", name="Weather", **fields) -> ExternalMcpServer:
    return services.mcp_server_create(owner=user, name=name, url=url, **fields)


def scan(user, server) -> dict:
    response = client_for(user).post(f"{COLLECTION}/{server.id}/scan")
    assert response.status_code == 200, response.json()
    return response.json()


class TestMcpServers(OwnedResourceContract):
    collection = COLLECTION
    required_fields = ("name",)

    def make(self, user):
        return server_for(user)

    def create_payload(self, user):
        return {"name": "Weather", "url": "http://127.0.0.1:9/mcp", "bearer_token": "tok-abcdef-123456",
                "headers": {"X-Api-Key": "key-abcdef-654321"}, "timeout_seconds": 5}  # fmt: skip

    def update_payload(self):
        return {"name": "Renamed", "is_active": False, "timeout_seconds": 12}


def test_secrets_are_encrypted_at_rest_and_only_hinted_in_responses(alice_client):
    payload = TestMcpServers().create_payload(None)
    response = alice_client.post(COLLECTION, payload, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["bearer_token_hint"] == "••••3456" and body["header_hints"] == {"X-Api-Key": "••••4321"}
    listed = (
        alice_client.get(COLLECTION).content.decode() + alice_client.get(f"{COLLECTION}/{body['id']}").content.decode()
    )
    assert "tok-abcdef" not in listed + response.content.decode() and "key-abcdef" not in listed
    with connection.cursor() as cursor:
        cursor.execute("SELECT bearer_token, headers FROM mcp_proxy_externalmcpserver WHERE id = %s", [body["id"]])
        stored = " ".join(cursor.fetchone())
    assert "tok-abcdef" not in stored and "key-abcdef" not in stored and "X-Api-Key" not in stored


def test_the_slug_comes_from_the_name_is_unique_and_is_the_default_prefix(alice):
    first, second = server_for(alice, name="My Weather"), server_for(alice, name="My Weather")
    assert (first.slug, first.tool_prefix) == ("my_weather", "my_weather")
    assert second.slug == "my_weather_2"
    assert server_for(alice, name="Bare", tool_prefix="").tool_prefix == ""


def test_a_scan_stores_tools_prompts_resources_capabilities_and_health(alice, weather_upstream):
    server = server_for(alice, url=weather_upstream.url)
    result = scan(alice, server)
    assert result["ok"] is True
    health = result["server"]
    assert health["last_error"] == "" and health["last_scanned_at"] and health["last_latency_ms"] is not None
    assert health["server_info"] == {"name": "weather-upstream", "version": "1.4.2"}
    assert health["protocol_version"] and set(health["capabilities"]) >= {"tools", "prompts", "resources"}
    assert (health["tool_count"], health["prompt_count"], health["resource_count"]) == (len(WEATHER_TOOLS), 1, 1)
    server.refresh_from_db()
    assert [prompt["name"] for prompt in server.prompts] == ["forecast_summary"]
    assert [resource["uri"] for resource in server.resources] == ["weather://stations"]
    assert [template["uriTemplate"] for template in server.resource_templates] == ["weather://city/{city}"]


def test_the_tools_list_shows_proxied_names_schemas_and_annotations(alice, weather_upstream):
    server = server_for(alice, url=weather_upstream.url)
    scan(alice, server)
    tools = {tool["name"]: tool for tool in client_for(alice).get(f"{COLLECTION}/{server.id}/tools").json()}
    assert sorted(tools) == sorted(f"weather__{name}" for name in WEATHER_TOOLS)
    weather = tools["weather__get_weather"]
    assert weather["upstreamName"] == "get_weather" and weather["title"] == "Current weather"
    assert weather["annotations"] == {"readOnlyHint": True, "openWorldHint": True}
    assert weather["outputSchema"]["required"] == ["city", "celsius"]
    assert weather["inputSchema"]["required"] == ["city"]


def test_a_scan_reads_every_page_and_only_what_the_server_declares(alice, tools_only_paged_upstream):
    result = scan(alice, server_for(alice, url=tools_only_paged_upstream.url, name="Paged"))
    assert result["ok"] is True, result
    assert (result["server"]["tool_count"], result["server"]["prompt_count"], result["server"]["resource_count"]) == (
        5, 0, 0)  # fmt: skip
    assert "tools" in result["server"]["capabilities"] and "prompts" not in result["server"]["capabilities"]


def test_scanned_tools_are_visible_to_their_owner_only(alice, bob, weather_upstream):
    scan(alice, server_for(alice, url=weather_upstream.url))
    assert sorted(spec.name for spec in tools_visible(user=alice)) == sorted(f"weather__{n}" for n in WEATHER_TOOLS)
    assert tools_visible(user=bob) == []


def test_a_legacy_sse_server_is_scanned(alice, sse_weather_upstream):
    server = server_for(alice, url=sse_weather_upstream.url, transport="sse")
    result = scan(alice, server)
    assert result["ok"] is True and result["server"]["tool_count"] == len(WEATHER_TOOLS)


def test_the_bearer_token_reaches_the_upstream(alice, secured_upstream):
    assert scan(alice, server_for(alice, url=secured_upstream.url, bearer_token=UPSTREAM_TOKEN))["ok"] is True


def test_custom_headers_reach_the_upstream(alice, secured_upstream):
    server = server_for(alice, url=secured_upstream.url, headers={"Authorization": f"Bearer {UPSTREAM_TOKEN}"})
    assert scan(alice, server)["ok"] is True


def test_a_wrong_token_gives_a_clear_error(alice, secured_upstream):
    result = scan(alice, server_for(alice, url=secured_upstream.url, bearer_token="wrong-token"))
    assert result["ok"] is False
    assert "HTTP 401" in result["server"]["last_error"] and "bearer token" in result["server"]["last_error"]


def test_a_dead_server_records_a_clear_error_and_keeps_the_last_catalog(alice, weather_upstream):
    server = server_for(alice, url=weather_upstream.url)
    scan(alice, server)
    dead_url = f"http://127.0.0.1:{free_port()}/mcp"
    client_for(alice).put(f"{COLLECTION}/{server.id}", {"url": dead_url}, format="json")
    result = scan(alice, server)
    assert result["ok"] is False
    assert result["server"]["last_error"].startswith(f"Cannot connect to {dead_url}")
    assert result["server"]["last_latency_ms"] is None and result["server"]["tool_count"] == len(WEATHER_TOOLS)


def test_a_silent_server_times_out_with_a_clear_error(alice, silent_upstream):
    result = scan(alice, server_for(alice, url=silent_upstream, timeout_seconds=1))
    assert result["ok"] is False and "did not answer within 1 s" in result["server"]["last_error"]


def test_a_url_that_is_not_an_mcp_endpoint_is_named(alice, weather_upstream):
    result = scan(alice, server_for(alice, url=weather_upstream.url.replace("/mcp", "/elsewhere")))
    assert result["ok"] is False and "answered HTTP 404" in result["server"]["last_error"]


@pytest.mark.parametrize("transport", ["streamable_http", "sse"])
def test_a_web_page_is_reported_as_not_an_mcp_endpoint(alice, web_page, transport):
    result = scan(alice, server_for(alice, url=web_page.url, transport=transport))
    assert result["ok"] is False and "is not an MCP endpoint" in result["server"]["last_error"]
    assert "text/html" in result["server"]["last_error"]


def test_a_tool_named_like_a_builtin_is_refused_at_scan(alice, weather_upstream):
    server = server_for(alice, url=weather_upstream.url, tool_prefix="")
    result = scan(alice, server)
    assert result["ok"] is False
    assert "'search' clashes with the built-in tool" in result["server"]["last_error"]
    assert result["server"]["tool_count"] == 0


def test_a_prefix_that_clashes_with_another_server_is_refused_at_save_and_scan(alice, weather_upstream):
    first = server_for(alice, url=weather_upstream.url, name="First")
    second = server_for(alice, url=weather_upstream.url, name="Second")
    assert scan(alice, first)["ok"] and scan(alice, second)["ok"]
    response = client_for(alice).put(f"{COLLECTION}/{second.id}", {"tool_prefix": "first"}, format="json")
    assert response.status_code == 400
    assert "'first__echo' clashes with a tool of your server 'First'" in " ".join(
        response.json()["errors"]["tool_prefix"]
    )
    third = server_for(alice, url=weather_upstream.url, name="Third", tool_prefix="first")
    assert "server 'First'" in scan(alice, third)["server"]["last_error"]


def test_another_users_tool_names_do_not_clash(alice, bob, weather_upstream):
    assert scan(alice, server_for(alice, url=weather_upstream.url))["ok"]
    assert scan(bob, server_for(bob, url=weather_upstream.url))["ok"]


def test_stdio_is_refused_unless_the_administrator_allows_it(alice_client):
    payload = {"name": "Local", "transport": "stdio", "command": sys.executable, "args": ["-V"]}
    response = alice_client.post(COLLECTION, payload, format="json")
    assert response.status_code == 400
    assert "MCP_ALLOW_STDIO_SERVERS" in response.json()["errors"]["transport"][0]


def test_a_stdio_server_is_scanned_when_allowed(alice, settings):
    settings.MCP_ALLOW_STDIO_SERVERS = True
    script = str(Path(__file__).with_name("upstreams.py"))
    response = client_for(alice).post(COLLECTION, {"name": "Local", "transport": "stdio", "command": sys.executable,
                                                   "args": [script], "env": {"WEATHER_KEY": "k-123456789"}},
                                      format="json")  # fmt: skip
    assert response.status_code == 201, response.json()
    assert response.json()["env_names"] == ["WEATHER_KEY"] and "k-123456789" not in response.content.decode()
    server = ExternalMcpServer.objects.get(id=response.json()["id"])
    result = scan(alice, server)
    assert result["ok"] is True, result
    assert result["server"]["server_info"]["name"] == "weather-upstream" and result["server"]["tool_count"] == len(
        WEATHER_TOOLS
    )


def test_private_addresses_are_refused_when_not_allowed(alice, alice_client, settings, weather_upstream):
    server = server_for(alice, url=weather_upstream.url)
    settings.ALLOW_PRIVATE_OUTBOUND_URLS = False
    response = alice_client.post(COLLECTION, {"name": "Local", "url": weather_upstream.url}, format="json")
    assert response.status_code == 400 and "ALLOW_PRIVATE_OUTBOUND_URLS" in response.json()["errors"]["url"][0]
    result = scan(alice, server)
    assert result["ok"] is False and "non-public address" in result["server"]["last_error"]


def test_malformed_headers_are_refused(alice_client):
    payload = {"name": "Bad", "url": "http://127.0.0.1:9/mcp", "headers": {"X-Ok": "a\r\nX-Injected: 1"}}
    response = alice_client.post(COLLECTION, payload, format="json")
    assert response.status_code == 400 and "headers" in response.json()["errors"]


def test_file_urls_are_refused(alice_client):
    response = alice_client.post(COLLECTION, {"name": "Files", "url": "file:///etc/passwd"}, format="json")
    assert response.status_code == 400 and "url" in response.json()["errors"]


@pytest.mark.parametrize("action", ["scan", "tools"])
def test_another_user_cannot_scan_or_read_the_tools(alice, bob, action):
    server = server_for(alice)
    client = client_for(bob)
    response = (
        client.post(f"{COLLECTION}/{server.id}/scan")
        if action == "scan"
        else client.get(f"{COLLECTION}/{server.id}/tools")
    )
    assert response.status_code == 404
    server.refresh_from_db()
    assert server.last_scanned_at is None


def test_admins_see_servers_without_their_secrets(client, alice):
    server = server_for(alice, bearer_token="tok-abcdef-123456")
    admin = make_user("root@example.com", is_staff=True, is_superuser=True)
    client.login(email=admin.email, password=PASSWORD)
    page = client.get(f"/admin/mcp_proxy/externalmcpserver/{server.pk}/change/")
    assert page.status_code == 200 and "tok-abcdef" not in page.content.decode()
    assert client.get("/admin/mcp_proxy/externalmcpserver/add/").status_code == 403
