"""`/api/v1/tool-configurations`: CRUD, user isolation, CEL errors with their position, the OpenAPI schema."""

import pytest

from apps.mcp_proxy import services as server_services
from apps.mcp_proxy.configurations.services import RuleInput, tool_configuration_create
from apps.mcp_proxy.models import ToolConfiguration
from tests.crud import OwnedResourceContract

pytestmark = pytest.mark.django_db
COLLECTION = "/api/v1/tool-configurations"


def configuration_for(user, tool_name="search", **fields) -> ToolConfiguration:
    return tool_configuration_create(owner=user, tool_source="preloop_builtin", tool_name=tool_name, **fields)


def weather_server_for(user, name="Weather"):
    """A registered server as a scan leaves it: its tools are known."""
    server = server_services.mcp_server_create(owner=user, name=name, url="http://127.0.0.1:9/mcp")
    server.tools = [{"name": "get_weather", "inputSchema": {"type": "object"}}]
    server.save(update_fields=["tools"])
    return server


class TestToolConfigurations(OwnedResourceContract):
    collection = COLLECTION
    required_fields = ("tool_name", "tool_source")
    identity_field = "tool_name"

    def make(self, user):
        return configuration_for(user, rules=[RuleInput('args.query == "secret"', "deny")])

    def create_payload(self, user):
        return {"tool_name": "create_issue", "tool_source": "preloop_builtin", "justification_required": True,
                "rules": [{"condition": 'args.project.startsWith("acme/")', "action": "require_approval",
                           "description": "Writes to acme need a look"}]}  # fmt: skip

    def update_payload(self):
        return {"tool_name": "get_issue", "is_enabled": False, "justification_required": True}


def test_a_created_configuration_has_its_rules_in_order(alice_client):
    rules = [{"condition": "args.limit > 50", "action": "deny", "description": "Big searches"},
             {"condition": "true", "action": "allow"}]  # fmt: skip
    response = alice_client.post(COLLECTION, {"tool_name": "search", "tool_source": "preloop_builtin",
                                              "rules": rules}, format="json")  # fmt: skip
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["tool_source"], body["is_enabled"], body["justification_required"]) == ("preloop_builtin", True, False)
    assert [(rule["condition"], rule["action"], rule["description"]) for rule in body["rules"]] == [
        ("args.limit > 50", "deny", "Big searches"), ("true", "allow", "")
    ]  # fmt: skip
    assert all(rule["id"] for rule in body["rules"])


def test_a_cel_syntax_error_is_a_400_at_the_rules_index_with_line_and_column(alice_client):
    rules = [{"condition": "args.limit > 50", "action": "deny"},
             {"condition": "args.limit > ", "action": "deny"},
             {"condition": 'tool == "search" &&\n  args.force )', "action": "allow"}]  # fmt: skip
    response = alice_client.post(COLLECTION, {"tool_name": "search", "tool_source": "preloop_builtin",
                                              "rules": rules}, format="json")  # fmt: skip
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "Invalid input: rules."
    assert set(body["errors"]["rules"]) == {"1", "2"}  # by index in the list sent; the first rule is valid
    second, third = body["errors"]["rules"]["1"], body["errors"]["rules"]["2"]
    assert second["condition"][0].startswith("Syntax error at line 1, column 14: mismatched input '<EOF>'")
    assert third["condition"][0].startswith("Syntax error at line 2, column 14: extraneous input ')'")
    assert not ToolConfiguration.objects.exists()


def test_an_update_with_a_bad_condition_changes_nothing(alice, alice_client):
    configuration = configuration_for(alice, rules=[RuleInput("true", "deny")])
    response = alice_client.patch(f"{COLLECTION}/{configuration.id}",
                                  {"is_enabled": False, "rules": [{"condition": "(", "action": "deny"}]},
                                  format="json")  # fmt: skip
    assert response.status_code == 400 and "Syntax error at line 1" in response.json()["errors"]["rules"]["0"][
        "condition"][0]  # fmt: skip
    configuration.refresh_from_db()
    assert configuration.is_enabled and [rule.condition for rule in configuration.rules.all()] == ["true"]


def test_a_rule_needs_a_known_action_and_a_condition(alice_client):
    response = alice_client.post(COLLECTION, {"tool_name": "search", "tool_source": "preloop_builtin", "rules": [
        {"condition": "true", "action": "maybe"}, {"action": "deny"}]}, format="json")  # fmt: skip
    assert response.status_code == 400
    first, second = response.json()["errors"]["rules"]["0"], response.json()["errors"]["rules"]["1"]
    assert "not a valid choice" in first["action"][0] and second == {"condition": ["This field is required."]}


def test_a_partial_update_still_needs_whole_rules(alice, alice_client):
    configuration = configuration_for(alice)
    response = alice_client.put(f"{COLLECTION}/{configuration.id}", {"rules": [{"condition": "true"}]}, format="json")
    assert response.status_code == 400 and response.json()["errors"]["rules"] == {
        "0": {"action": ["This field is required."]}
    }  # fmt: skip


def test_put_replaces_the_rules_in_their_new_order_and_keeps_them_when_not_sent(alice, alice_client):
    configuration = configuration_for(alice, rules=[RuleInput("false", "deny"), RuleInput("true", "allow")])
    true_rule = configuration.rules.get(condition="true")
    detail = f"{COLLECTION}/{configuration.id}"
    reordered = [{"condition": "true", "action": "allow", "description": "The rest"},
                 {"condition": "args.limit > 5", "action": "deny"}]  # fmt: skip
    assert alice_client.put(detail, {"rules": reordered}, format="json").status_code == 200
    kept = alice_client.put(detail, {"justification_required": True}, format="json").json()
    assert [rule["condition"] for rule in kept["rules"]] == ["true", "args.limit > 5"]
    assert kept["rules"][0]["id"] == str(true_rule.id)  # sent again unchanged: same rule, new place
    assert kept["rules"][0]["description"] == "The rest"
    assert kept["justification_required"] is True
    emptied = alice_client.put(detail, {"rules": []}, format="json").json()
    assert emptied["rules"] == []


def test_a_second_configuration_of_the_same_tool_is_a_400(alice, alice_client):
    configuration_for(alice)
    response = alice_client.post(COLLECTION, {"tool_name": "search", "tool_source": "preloop_builtin"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"tool_name": ["You already have a configuration for this tool."]}


def test_the_same_tool_name_of_another_source_is_another_configuration(alice, alice_client):
    server = weather_server_for(alice)
    server.tools = [{"name": "search", "inputSchema": {"type": "object"}}]
    server.save(update_fields=["tools"])
    configuration_for(alice)
    response = alice_client.post(COLLECTION, {"tool_name": "search", "tool_source": str(server.id)}, format="json")
    assert response.status_code == 201 and response.json()["tool_source"] == str(server.id)


def test_an_unknown_tool_is_a_400(alice, alice_client):
    server = weather_server_for(alice)
    builtin = alice_client.post(COLLECTION, {"tool_name": "nope", "tool_source": "preloop_builtin"}, format="json")
    assert builtin.status_code == 400 and "No built-in tool 'nope'" in builtin.json()["errors"]["tool_name"][0]
    prefixed = alice_client.post(COLLECTION, {"tool_name": "weather__get_weather", "tool_source": str(server.id)},
                                 format="json")  # fmt: skip
    assert prefixed.status_code == 400 and "without the prefix" in prefixed.json()["errors"]["tool_name"][0]


def test_bob_cannot_target_alices_server(alice, bob, bob_client):
    server = weather_server_for(alice)
    response = bob_client.post(COLLECTION, {"tool_name": "get_weather", "tool_source": str(server.id)}, format="json")
    assert response.status_code == 400
    assert "no such server was found" in response.json()["errors"]["tool_source"][0]
    assert "Weather" not in response.content.decode()
    own = configuration_for(bob)
    moved = bob_client.put(f"{COLLECTION}/{own.id}", {"tool_source": str(server.id), "tool_name": "get_weather"},
                           format="json")  # fmt: skip
    assert moved.status_code == 400 and "tool_source" in moved.json()["errors"]
    assert not ToolConfiguration.objects.filter(server=server).exists()


def test_bob_never_sees_nor_edits_alices_configurations(alice, bob_client):
    configuration = configuration_for(alice, rules=[RuleInput("true", "deny")])
    assert bob_client.get(COLLECTION).json()["results"] == []
    assert bob_client.patch(f"{COLLECTION}/{configuration.id}", {"rules": []}, format="json").status_code == 404
    assert bob_client.delete(f"{COLLECTION}/{configuration.id}").status_code == 404
    assert configuration.rules.count() == 1


def test_the_list_filters_by_tool_source(alice, alice_client):
    server = weather_server_for(alice)
    configuration_for(alice)
    tool_configuration_create(owner=alice, tool_source=str(server.id), tool_name="get_weather")

    def names(query):
        return [item["tool_name"] for item in alice_client.get(f"{COLLECTION}{query}").json()["results"]]

    assert sorted(names("")) == ["get_weather", "search"]
    assert names("?tool_source=preloop_builtin") == ["search"]
    assert names(f"?tool_source={server.id}") == ["get_weather"]
    assert names("?tool_source=not-a-uuid") == []


def test_deleting_a_server_deletes_its_configurations(alice):
    server = weather_server_for(alice)
    tool_configuration_create(owner=alice, tool_source=str(server.id), tool_name="get_weather")
    server_services.mcp_server_delete(server=server)
    assert not ToolConfiguration.objects.exists()


def test_the_endpoints_are_documented(client):
    schema = client.get("/openapi.json").json()
    paths = schema["paths"]
    assert set(paths["/api/v1/tool-configurations"]) >= {"get", "post"}
    assert set(paths["/api/v1/tool-configurations/{configuration_id}"]) >= {"get", "put", "patch", "delete"}
    assert "400" in paths["/api/v1/tool-configurations"]["post"]["responses"]
    parameters = [parameter["name"] for parameter in paths["/api/v1/tool-configurations"]["get"]["parameters"]]
    assert "tool_source" in parameters
    components = schema["components"]["schemas"]
    assert set(components["ToolConfiguration"]["properties"]) == {
        "id", "tool_name", "tool_source", "is_enabled", "justification_required", "approval_policy_id", "rules",
        "created_at", "updated_at"
    }  # fmt: skip
    rule_input = components["ToolRuleInputRequest"]
    assert set(rule_input["required"]) == {"condition", "action"}
    assert set(components["ToolConfigurationInputRequest"]["required"]) == {"tool_name", "tool_source"}
    assert "403" in paths["/api/v1/mcp/{tool_name}"]["post"]["responses"]
