"""The console's MCP server pages through HTTP, against real upstream MCP servers on loopback."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client

from apps.mcp_proxy import services
from apps.mcp_proxy.models import ExternalMcpServer
from tests.mcp_proxy.upstreams import UPSTREAM_TOKEN

pytestmark = pytest.mark.django_db
TOKEN = "tok-abcdef-123456"
HEADER_VALUE = "key-abcdef-654321"
WEATHER_TOOLS = ["get_weather", "echo", "search", "countdown", "wait_forever", "ask_city", "poem", "my_roots"]


def console_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def field_errors(page: str, name: str) -> list[str]:
    """The errors shown in the form field block holding the input named `name`."""
    for block in re.split(r'<div class="field', page):
        if f'name="{name}"' in block:
            errors = re.findall(r'class="field-error">(.*?)</p>', block, re.S)
            return [html.unescape(re.sub(r"<[^>]+>", "", error)).strip() for error in errors]
    raise AssertionError(f"no field named {name!r} on the page")


def server_form(**fields) -> dict:
    return {"name": "Weather", "transport": "streamable_http", "url": "", "timeout_seconds": "30", "is_active": "on",
            **fields}  # fmt: skip


def server_for(user, url="http://127.0.0.1:9/mcp", name="Weather", **fields) -> ExternalMcpServer:
    return services.mcp_server_create(owner=user, name=name, url=url, **fields)


# The list -----------------------------------------------------------------------------------------------


def test_it_sends_anonymous_visitors_to_the_login_page(client):
    for path in ["/mcp-servers", "/mcp-servers/new"]:
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/login?next=")


def test_it_links_mcp_servers_and_tool_calls_in_the_navigation(alice):
    html = console_for(alice).get("/mcp-servers").text
    assert re.search(r'<a href="/mcp-servers" aria-current="page">MCP servers</a>', html)
    assert '<a href="/tool-calls" >Tool calls</a>' in html


def test_it_lists_only_the_users_own_servers_with_their_health(alice, bob, weather_upstream):
    healthy = server_for(alice, url=weather_upstream.url)
    services.mcp_server_scan(server=healthy)
    failing = server_for(alice, name="Broken", url="http://127.0.0.1:9/mcp")
    services.mcp_server_scan(server=failing)
    server_for(bob, name="Bobs private server")
    page = console_for(alice).get("/mcp-servers").text
    assert "Weather" in page and "Broken" in page and "Bobs private server" not in page
    healthy_row = re.search(rf'<tr id="server-{healthy.id}".*?</tr>', page, re.S).group(0)
    assert "healthy" in healthy_row and "8 tools, 1 prompt, 1 resource" in healthy_row
    assert f"{healthy.last_latency_ms} ms" in healthy_row and "just now" in healthy_row
    failing_row = re.search(rf'<tr id="server-{failing.id}".*?</tr>', page, re.S).group(0)
    assert "failing" in failing_row and failing.last_error
    assert html.escape(failing.last_error)[:100] in failing_row
    assert "Bobs private server" not in console_for(alice).get(f"/mcp-servers/{healthy.id}").text


def test_it_invites_a_user_without_servers_to_add_one(alice):
    assert "No servers yet." in console_for(alice).get("/mcp-servers").text


# Adding -------------------------------------------------------------------------------------------------


def test_it_adds_a_server_with_a_prefix_derived_from_its_name(alice, weather_upstream):
    response = console_for(alice).post("/mcp-servers/new", server_form(name="Weather Station", url=weather_upstream.url,
                                                                         bearer_token=TOKEN,
                                                                         headers=f"X-Api-Key: {HEADER_VALUE}"))  # fmt: skip
    server = ExternalMcpServer.objects.get(owner=alice)
    assert response.status_code == 302 and response["Location"] == f"/mcp-servers/{server.id}"
    assert server.tool_prefix == "weather_station" and server.url == weather_upstream.url
    assert server.bearer_token == TOKEN and server.headers_dict == {"X-Api-Key": HEADER_VALUE}
    assert server.timeout_seconds == 30 and server.is_active


def test_it_adds_a_server_with_its_own_prefix_or_none(alice, weather_upstream):
    client = console_for(alice)
    client.post("/mcp-servers/new", server_form(name="One", url=weather_upstream.url, tool_prefix="wx"))
    client.post("/mcp-servers/new", server_form(name="Two", url=weather_upstream.url, no_prefix="on"))
    assert dict(ExternalMcpServer.objects.values_list("name", "tool_prefix")) == {"One": "wx", "Two": ""}


def test_it_shows_the_models_errors_next_to_their_fields(alice):
    client = console_for(alice)
    response = client.post("/mcp-servers/new", server_form(url=""))
    assert response.status_code == 200
    assert field_errors(response.text, "url") == ["An HTTP transport needs the server's URL."]
    response = client.post("/mcp-servers/new", server_form(url="file:///etc/passwd"))
    assert field_errors(response.text, "url")
    response = client.post("/mcp-servers/new", server_form(url="http://127.0.0.1:9/mcp", tool_prefix="no spaces!"))
    assert field_errors(response.text, "tool_prefix") == ["Use letters, digits, '-' and '_' (or leave it empty)."]
    assert not ExternalMcpServer.objects.exists()


def test_it_refuses_a_private_address_when_the_administrator_forbids_them(alice, settings):
    settings.ALLOW_PRIVATE_OUTBOUND_URLS = False
    response = console_for(alice).post("/mcp-servers/new", server_form(url="http://127.0.0.1:9/mcp"))
    [error] = field_errors(response.text, "url")
    assert "127.0.0.1" in error or "private" in error.lower() or "loopback" in error.lower()
    assert not ExternalMcpServer.objects.exists()


def test_it_shows_a_malformed_header_line_at_the_headers(alice):
    response = console_for(alice).post("/mcp-servers/new", server_form(url="http://127.0.0.1:9/mcp",
                                                                         headers="X-Good: 1\nno separator here"))  # fmt: skip
    assert field_errors(response.text, "headers") == ["Line 2 is not “Name: value”."]
    response = console_for(alice).post("/mcp-servers/new", server_form(url="http://127.0.0.1:9/mcp",
                                                                         headers="Bad Header: 1"))  # fmt: skip
    assert field_errors(response.text, "headers") == ["'Bad Header' is not a valid HTTP header name and value."]


def test_it_never_sends_a_typed_secret_back_with_the_errors(alice):
    response = console_for(alice).post("/mcp-servers/new", server_form(url="", bearer_token=TOKEN,
                                                                         headers=f"X-Api-Key: {HEADER_VALUE}"))  # fmt: skip
    assert field_errors(response.text, "url") and TOKEN not in response.text and HEADER_VALUE not in response.text


def test_a_name_clash_is_shown_at_the_tool_prefix(alice, weather_upstream):
    first = server_for(alice, url=weather_upstream.url, tool_prefix="wx")
    assert services.mcp_server_scan(server=first)
    second = server_for(alice, name="Second", url=weather_upstream.url, tool_prefix="other")
    assert services.mcp_server_scan(server=second)
    response = console_for(alice).post(f"/mcp-servers/{second.id}/edit",
                                       server_form(name="Second", url=weather_upstream.url, tool_prefix="wx"))  # fmt: skip
    errors = field_errors(response.text, "tool_prefix")
    assert errors and "'wx__get_weather' clashes with a tool of your server 'Weather'" in errors[0]
    second.refresh_from_db()
    assert second.tool_prefix == "other"


def test_it_offers_stdio_only_when_the_administrator_allows_it(alice, settings):
    client = console_for(alice)
    page = client.get("/mcp-servers/new").text
    assert 'value="stdio"' not in page and "MCP_ALLOW_STDIO_SERVERS=true" in page
    response = client.post("/mcp-servers/new", server_form(transport="stdio", command="python"))
    assert field_errors(response.text, "transport") and not ExternalMcpServer.objects.exists()
    settings.MCP_ALLOW_STDIO_SERVERS = True
    page = client.get("/mcp-servers/new").text
    assert 'value="stdio"' in page and "MCP_ALLOW_STDIO_SERVERS=true" not in page
    response = client.post("/mcp-servers/new", server_form(transport="stdio", command="python",
                                                            args="-m\nweather_server", env="API_KEY=s3cret-value"))  # fmt: skip
    server = ExternalMcpServer.objects.get()
    assert (server.command, server.args, server.env_dict) == ("python", ["-m", "weather_server"],
                                                              {"API_KEY": "s3cret-value"})  # fmt: skip
    assert server.url == ""
    page = client.get(f"/mcp-servers/{server.id}").text + client.get(f"/mcp-servers/{server.id}/edit").text
    assert "API_KEY=••••" in page and "s3cret-value" not in page


def test_a_stdio_server_needs_its_command(alice, settings):
    settings.MCP_ALLOW_STDIO_SERVERS = True
    response = console_for(alice).post("/mcp-servers/new", server_form(transport="stdio"))
    assert field_errors(response.text, "command") == ["A stdio server needs the command to run."]


# Editing ------------------------------------------------------------------------------------------------


@pytest.fixture
def secret_server(alice):
    return server_for(alice, bearer_token=TOKEN, headers={"X-Api-Key": HEADER_VALUE})


def test_the_edit_form_shows_secrets_masked_only(alice, secret_server):
    html = console_for(alice).get(f"/mcp-servers/{secret_server.id}/edit").text
    assert "••••3456" in html and "X-Api-Key: ••••4321" in html
    assert "tok-abcdef" not in html and "key-abcdef" not in html
    assert 'value="Weather"' in html and 'value="weather"' in html  # name and prefix are prefilled


def test_leaving_a_secret_empty_keeps_it(alice, secret_server):
    console_for(alice).post(f"/mcp-servers/{secret_server.id}/edit",
                            server_form(name="Renamed", url=secret_server.url, tool_prefix="weather"))  # fmt: skip
    secret_server.refresh_from_db()
    assert secret_server.name == "Renamed"
    assert secret_server.bearer_token == TOKEN and secret_server.headers_dict == {"X-Api-Key": HEADER_VALUE}


def test_a_new_secret_replaces_the_stored_one(alice, secret_server):
    console_for(alice).post(f"/mcp-servers/{secret_server.id}/edit",
                            server_form(url=secret_server.url, bearer_token="new-token-999999",
                                        headers="X-Other: other-value"))  # fmt: skip
    secret_server.refresh_from_db()
    assert secret_server.bearer_token == "new-token-999999" and secret_server.headers_dict == {"X-Other": "other-value"}


def test_secrets_can_be_cleared(alice, secret_server):
    console_for(alice).post(f"/mcp-servers/{secret_server.id}/edit",
                            server_form(url=secret_server.url, clear_bearer_token="on", clear_headers="on"))  # fmt: skip
    secret_server.refresh_from_db()
    assert secret_server.bearer_token == "" and secret_server.headers == ""


def test_an_empty_prefix_on_edit_means_the_default_and_no_prefix_empties_it(alice, secret_server):
    client = console_for(alice)
    client.post(f"/mcp-servers/{secret_server.id}/edit", server_form(url=secret_server.url, no_prefix="on"))
    secret_server.refresh_from_db()
    assert secret_server.tool_prefix == ""
    client.post(f"/mcp-servers/{secret_server.id}/edit", server_form(url=secret_server.url, tool_prefix=""))
    secret_server.refresh_from_db()
    assert secret_server.tool_prefix == "weather"


def test_an_edit_can_switch_a_server_off(alice, secret_server):
    form = server_form(url=secret_server.url)
    del form["is_active"]
    console_for(alice).post(f"/mcp-servers/{secret_server.id}/edit", form)
    secret_server.refresh_from_db()
    assert not secret_server.is_active
    assert "inactive" in console_for(alice).get("/mcp-servers").text


# Deleting -----------------------------------------------------------------------------------------------


def test_it_asks_before_deleting(alice, secret_server):
    response = console_for(alice).get(f"/mcp-servers/{secret_server.id}/delete")
    assert response.status_code == 200 and "Delete Weather?" in response.text
    assert ExternalMcpServer.objects.filter(id=secret_server.id).exists()


def test_it_deletes_after_confirmation(alice, secret_server):
    response = console_for(alice).post(f"/mcp-servers/{secret_server.id}/delete")
    assert response.status_code == 302 and response["Location"] == "/mcp-servers"
    assert not ExternalMcpServer.objects.filter(id=secret_server.id).exists()


# Isolation ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "suffix"), [("get", ""), ("get", "/edit"), ("post", "/edit"), ("get", "/delete"),
                                                ("post", "/delete"), ("post", "/scan")])  # fmt: skip
def test_bob_gets_404_for_alices_server(alice, bob, secret_server, method, suffix):
    response = getattr(console_for(bob), method)(f"/mcp-servers/{secret_server.id}{suffix}",
                                                 *([server_form(name="Hijacked")] if method == "post" else []))  # fmt: skip
    assert response.status_code == 404
    secret_server.refresh_from_db()
    assert secret_server.name == "Weather" and secret_server.last_scanned_at is None


# Scanning and the detail page ---------------------------------------------------------------------------


def test_scan_now_with_htmx_shows_the_counts_and_the_catalog(alice, weather_upstream):
    server = server_for(alice, url=weather_upstream.url)
    response = console_for(alice).post(f"/mcp-servers/{server.id}/scan", HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "<h1" not in response.text  # the detail section only
    assert "Scan succeeded: 8 tools, 1 prompt, 1 resource, 1 resource template" in response.text
    assert "weather__get_weather" in response.text


def test_scan_now_shows_the_error_the_scan_stored(alice, secured_upstream):
    server = server_for(alice, url=secured_upstream.url)
    response = console_for(alice).post(f"/mcp-servers/{server.id}/scan", HTTP_HX_REQUEST="true")
    server.refresh_from_db()
    assert server.last_error and f"Scan failed: {server.last_error}" in html.unescape(response.text)


def test_a_failed_scan_from_the_list_says_why_in_the_row(alice, secured_upstream):
    server = server_for(alice, url=secured_upstream.url)
    response = console_for(alice).post(f"/mcp-servers/{server.id}/scan", {"view": "row"}, HTTP_HX_REQUEST="true")
    server.refresh_from_db()
    assert "failing" in response.text and f"Scan failed: {server.last_error[:100]}" in html.unescape(response.text)


def test_scan_now_from_the_list_refreshes_the_row(alice, weather_upstream):
    server = server_for(alice, url=weather_upstream.url)
    response = console_for(alice).post(f"/mcp-servers/{server.id}/scan", {"view": "row"}, HTTP_HX_REQUEST="true")
    assert response.text.strip().startswith(f'<tr id="server-{server.id}"')
    assert "healthy" in response.text and "Scan succeeded." in response.text
    assert "8 tools, 1 prompt, 1 resource" in response.text


def test_scan_now_without_javascript_returns_to_the_server_with_the_outcome(alice, secured_upstream):
    server = server_for(alice, url=secured_upstream.url, bearer_token=UPSTREAM_TOKEN)
    response = console_for(alice).post(f"/mcp-servers/{server.id}/scan", follow=True)
    assert response.redirect_chain == [(f"/mcp-servers/{server.id}", 302)]
    assert "Scan succeeded: 8 tools, 1 prompt, 1 resource, 1 resource template." in response.text


def test_the_scan_button_does_nothing_on_get(alice, secret_server):
    assert console_for(alice).get(f"/mcp-servers/{secret_server.id}/scan").status_code == 405


def test_the_detail_page_shows_what_the_server_offers(alice, weather_upstream):
    server = server_for(alice, url=weather_upstream.url)
    assert services.mcp_server_scan(server=server)
    html = console_for(alice).get(f"/mcp-servers/{server.id}").text
    tools = re.search(r'<section class="card" id="tools">.*?</section>', html, re.S).group(0)
    assert re.findall(r'<code class="tool-name">([^<]+)</code>', tools) == [
        f"weather__{name}" for name in WEATHER_TOOLS
    ]
    get_weather = tools.split("<li>")[1]
    assert "Current weather" in get_weather and "read-only" in get_weather and "open world" in get_weather
    assert "destructive" not in get_weather and "city: string" in get_weather
    prompts = re.search(r'<section class="card" id="prompts">.*?</section>', html, re.S).group(0)
    assert "weather__forecast_summary" in prompts and "<code" in prompts and ">city</code>" in prompts
    resources = re.search(r'<section class="card" id="resources">.*?</section>', html, re.S).group(0)
    assert "weather://stations" in resources and "application/json" in resources
    assert "weather://city/{city}" in resources
    assert "weather-upstream 1.4.2" in html and server.protocol_version in html
    for capability in server.capabilities:
        assert f'<span class="label">{capability}</span>' in html


def test_the_detail_page_of_an_unscanned_server_says_how_to_scan(alice, secret_server):
    html = console_for(alice).get(f"/mcp-servers/{secret_server.id}").text
    assert "Not scanned yet" in html and "••••3456" in html and "tok-abcdef" not in html
    assert f'href="/tool-calls?source={secret_server.id}"' in html


def test_the_dashboard_counts_the_users_servers_only(alice, bob):
    server_for(alice)
    server_for(bob, name="One")
    server_for(bob, name="Two")
    page = console_for(alice).get("/").text
    assert re.search(r'<dt>MCP servers</dt><dd><a href="/mcp-servers">1</a></dd>', page)


def test_a_failed_scan_without_javascript_says_why_on_the_server_page(alice):
    server = server_for(alice, url="http://127.0.0.1:9/mcp")
    response = console_for(alice).post(f"/mcp-servers/{server.id}/scan", follow=True)
    server.refresh_from_db()
    assert server.last_error and f"Scan failed: {server.last_error}" in html.unescape(response.text)


def test_a_stdio_server_kept_after_stdio_is_switched_off_cannot_be_saved_and_says_why(alice, settings):
    settings.MCP_ALLOW_STDIO_SERVERS = True
    server = services.mcp_server_create(owner=alice, name="Local", transport="stdio", command="python")
    settings.MCP_ALLOW_STDIO_SERVERS = False
    client = console_for(alice)
    assert 'value="stdio" selected' in client.get(f"/mcp-servers/{server.id}/edit").text
    response = client.post(f"/mcp-servers/{server.id}/edit", server_form(name="Renamed", transport="stdio",
                                                                           command="python"))  # fmt: skip
    [error] = field_errors(response.text, "transport")
    assert "MCP_ALLOW_STDIO_SERVERS=true" in error
    server.refresh_from_db()
    assert server.name == "Local"
