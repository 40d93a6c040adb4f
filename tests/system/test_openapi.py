import pytest

pytestmark = pytest.mark.django_db

EXPECTED_PATHS = {
    "/api/v1/auth/token": {"post"},
    "/api/v1/auth/refresh": {"post"},
    "/api/v1/auth/register": {"post"},
    "/api/v1/auth/me": {"get"},
    "/api/v1/api-keys": {"get", "post"},
    "/api/v1/api-keys/{api_key_id}": {"get", "delete"},
    "/api/v1/trackers": {"get", "post"},
    "/api/v1/trackers/{tracker_id}": {"get", "put", "patch", "delete"},
    "/api/v1/organizations": {"get", "post"},
    "/api/v1/organizations/{org_id}": {"get", "put", "patch", "delete"},
    "/api/v1/organizations/{org_id}/projects": {"get"},
    "/api/v1/projects": {"get", "post"},
    "/api/v1/projects/{project_id}": {"get", "put", "patch", "delete"},
    "/api/v1/trackers/{tracker_id}/sync": {"post"},
    "/api/v1/trackers/{tracker_id}/webhook-secret": {"post"},
    "/api/v1/projects/test-connection": {"post"},
    "/api/v1/projects/{project_id}/webhook": {"post"},
    "/api/v1/webhooks/{tracker_type}/{tracker_id}": {"post"},
    "/api/v1/issues": {"get", "post"},
    "/api/v1/issues/{issue_id}": {"get", "put", "patch", "delete"},
    "/api/v1/issues/{issue_id}/comments": {"post"},
    "/api/v1/mcp-servers": {"get", "post"},
    "/api/v1/mcp-servers/{server_id}": {"get", "put", "patch", "delete"},
    "/api/v1/mcp-servers/{server_id}/scan": {"post"},
    "/api/v1/mcp-servers/{server_id}/tools": {"get"},
}


@pytest.fixture
def schema(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    return response.json()


def test_it_documents_every_endpoint_and_method(schema):
    documented = {path: set(operations) - {"parameters"} for path, operations in schema["paths"].items()}
    for path, methods in EXPECTED_PATHS.items():
        assert documented.get(path) == methods, path


def test_it_describes_the_real_request_and_response_shapes(schema):
    token = schema["paths"]["/api/v1/auth/token"]["post"]
    assert set(token["responses"]) >= {"200", "401", "429"}
    response_schema = schema["components"]["schemas"]["TokenResponse"]
    assert set(response_schema["properties"]) == {"access_token", "refresh_token", "token_type", "expires_in"}
    tracker = schema["components"]["schemas"]["Tracker"]
    assert "api_token" not in tracker["properties"] and "api_token_hint" in tracker["properties"]
    assert "api_token" in schema["components"]["schemas"]["TrackerInputRequest"]["properties"]
    created = schema["paths"]["/api/v1/trackers"]["post"]["responses"]
    assert "201" in created


def test_deleting_an_issue_documents_the_trackers_refusals(schema):
    responses = schema["paths"]["/api/v1/issues/{issue_id}"]["delete"]["responses"]
    assert set(responses) == {"204", "400", "403", "404", "410", "429", "502"}


def test_it_declares_bearer_authentication(schema):
    assert schema["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_docs_are_served_offline_from_the_sidecar(client):
    page = client.get("/docs")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html and "cdn." not in html
    bundle = "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"
    assert client.get(bundle).status_code == 200


def test_webhooks_need_no_user_credentials_but_everything_else_does(schema):
    assert schema["paths"]["/api/v1/webhooks/{tracker_type}/{tracker_id}"]["post"].get("security") in (None, [])
    assert {"bearer": []} in schema["paths"]["/api/v1/trackers"]["get"]["security"]


def test_the_schema_generates_without_warnings(tmp_path):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
