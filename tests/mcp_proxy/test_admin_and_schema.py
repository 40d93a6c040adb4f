"""The audit in Django admin is read-only; the tool endpoints are in the OpenAPI schema."""

import pytest

from apps.mcp_proxy.models import ToolCall
from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def test_admins_read_tool_calls_but_cannot_add_change_or_delete_them(client, alice):
    admin = make_user("root@example.com", is_staff=True, is_superuser=True)
    call = ToolCall.objects.create(user=alice, tool_name="get_issue", arguments={"issue": "acme/api#1"},
                                   arguments_digest="0" * 64, outcome="success")  # fmt: skip
    client.login(email=admin.email, password=PASSWORD)
    assert client.get("/admin/mcp_proxy/toolcall/").status_code == 200
    assert client.get(f"/admin/mcp_proxy/toolcall/{call.pk}/change/").status_code == 200
    assert client.get("/admin/mcp_proxy/toolcall/add/").status_code == 403
    assert client.post(f"/admin/mcp_proxy/toolcall/{call.pk}/delete/", {"post": "yes"}).status_code == 403
    assert ToolCall.objects.filter(pk=call.pk).exists()


def test_the_tool_endpoints_are_documented(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert set(paths["/api/v1/mcp/{tool_name}"]) >= {"post"}
    assert set(paths["/api/v1/mcp/tools"]) >= {"get"}
    assert set(paths["/api/v1/tool-calls"]) >= {"get"}
    assert {"bearer": []} in paths["/api/v1/mcp/{tool_name}"]["post"]["security"]
