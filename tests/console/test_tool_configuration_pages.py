"""The console's tool pages: the user's tools with their state, and one tool's settings and rules."""

import pytest

from apps.mcp_proxy import services as server_services
from apps.mcp_proxy.configurations.services import RuleInput, tool_configuration_create
from apps.mcp_proxy.models import ToolConfiguration
from tests.conftest import PASSWORD
from tests.trackers.factories import tracker_for

pytestmark = pytest.mark.django_db


def signed_in(client, user):
    client.login(email=user.email, password=PASSWORD)
    return client


def weather_server_for(user):
    server = server_services.mcp_server_create(owner=user, name="Weather", url="http://127.0.0.1:9/mcp")
    server.tools = [{"name": "get_weather", "description": "The weather.", "inputSchema": {"type": "object"}}]
    server.save(update_fields=["tools"])
    return server


def test_it_lists_builtin_and_server_tools_with_the_names_clients_see(client, alice):
    tracker_for(alice)
    server = weather_server_for(alice)
    tool_configuration_create(owner=alice, tool_source="preloop_builtin", tool_name="search", is_enabled=False,
                              rules=[RuleInput("true", "deny")])  # fmt: skip
    page = signed_in(client, alice).get("/tool-configurations").content.decode()
    assert "weather__get_weather" in page and "(get_weather)" in page and "create_issue" in page
    assert f"/tool-configurations/{server.id}/get_weather" in page
    assert "disabled" in page and "1 rule" in page
    assert 'href="/tool-configurations" aria-current="page"' in page


def test_it_hides_other_users_tools(client, alice, bob):
    server = weather_server_for(alice)
    page = signed_in(client, bob).get("/tool-configurations").content.decode()
    assert "weather__get_weather" not in page and "No tools yet" in page
    assert client.get(f"/tool-configurations/{server.id}/get_weather").status_code == 404
    assert client.post(f"/tool-configurations/{server.id}/get_weather", {"is_enabled": "on"}).status_code == 404
    assert not ToolConfiguration.objects.exists()


def test_it_saves_the_settings_and_rules_in_the_order_of_the_rows(client, alice):
    server = weather_server_for(alice)
    response = signed_in(client, alice).post(f"/tool-configurations/{server.id}/get_weather", {
        "justification_required": "on", "condition": ['args.city == "Paris"', "", "true"],
        "action": ["deny", "allow", "require_approval"], "description": ["No Paris", "", ""],
    })  # fmt: skip
    assert response.status_code == 302
    configuration = ToolConfiguration.objects.get()
    assert (configuration.server, configuration.is_enabled, configuration.justification_required) == (server, False,
                                                                                                       True)  # fmt: skip
    assert [(rule.condition, rule.action, rule.description) for rule in configuration.rules.all()] == [
        ('args.city == "Paris"', "deny", "No Paris"), ("true", "require_approval", "")
    ]  # fmt: skip


def test_it_shows_a_cel_error_under_its_column_and_saves_nothing(client, alice):
    tracker_for(alice)
    response = signed_in(client, alice).post("/tool-configurations/preloop_builtin/search", {
        "is_enabled": "on", "condition": ["true", "args.limit >> 5"], "action": ["allow", "deny"],
        "description": ["", ""],
    })  # fmt: skip
    assert response.status_code == 400
    page = response.content.decode()
    assert "Syntax error at line 1, column 13" in page
    assert "<pre>args.limit &gt;&gt; 5\n" + " " * 12 + "^</pre>" in page
    assert "args.limit &gt;&gt; 5</textarea>" in page  # the row is kept for correction
    assert not ToolConfiguration.objects.exists()


def test_reset_deletes_the_configuration(client, alice):
    tracker_for(alice)
    tool_configuration_create(owner=alice, tool_source="preloop_builtin", tool_name="search", is_enabled=False)
    assert signed_in(client, alice).post("/tool-configurations/preloop_builtin/search/reset").status_code == 302
    assert not ToolConfiguration.objects.exists()


def test_anonymous_visitors_are_sent_to_sign_in(client):
    assert client.get("/tool-configurations").url.startswith("/login")


def test_admins_read_configurations_but_do_not_edit_them_there(client, alice):
    from tests.conftest import make_user

    tracker_for(alice)
    configuration = tool_configuration_create(owner=alice, tool_source="preloop_builtin", tool_name="search",
                                              rules=[RuleInput("args.limit > 5", "deny")])  # fmt: skip
    admin_user = make_user("root@example.com", is_staff=True, is_superuser=True)
    signed_in(client, admin_user)
    page = client.get(f"/admin/mcp_proxy/toolconfiguration/{configuration.pk}/change/")
    assert page.status_code == 200 and "args.limit &gt; 5" in page.content.decode()
    assert client.get("/admin/mcp_proxy/toolconfiguration/add/").status_code == 403


def test_it_refuses_an_unknown_action_or_a_too_long_description_with_a_message(client, alice):
    tracker_for(alice)
    signed_in(client, alice)
    unknown = client.post("/tool-configurations/preloop_builtin/search",
                          {"condition": ["true"], "action": ["maybe"], "description": [""]})  # fmt: skip
    assert unknown.status_code == 400 and "&#x27;maybe&#x27; is not an action" in unknown.content.decode()
    long = client.post("/tool-configurations/preloop_builtin/search",
                       {"condition": ["true"], "action": ["deny"], "description": ["x" * 501]})  # fmt: skip
    assert long.status_code == 400 and "at most 500 characters" in long.content.decode()
    assert not ToolConfiguration.objects.exists()
