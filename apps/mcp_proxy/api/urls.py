from django.urls import path

from apps.mcp_proxy.api.configurations import ToolConfigurationViewSet
from apps.mcp_proxy.api.servers import ExternalMcpServerViewSet, McpServerScanView, McpServerToolsView
from apps.mcp_proxy.api.views import ToolCallListView, ToolCallView, ToolListView

COLLECTION = {"get": "list", "post": "create"}
MEMBER = {"get": "retrieve", "put": "update", "patch": "update", "delete": "destroy"}

urlpatterns = [
    path("mcp/tools", ToolListView.as_view(), name="mcp-tools"),
    path("mcp/<str:tool_name>", ToolCallView.as_view(), name="mcp-tool-call"),
    path("tool-calls", ToolCallListView.as_view(), name="tool-call-list"),
    path("mcp-servers", ExternalMcpServerViewSet.as_view(COLLECTION), name="mcp-server-list"),
    path("mcp-servers/<uuid:server_id>", ExternalMcpServerViewSet.as_view(MEMBER), name="mcp-server-detail"),
    path("mcp-servers/<uuid:server_id>/scan", McpServerScanView.as_view(), name="mcp-server-scan"),
    path("mcp-servers/<uuid:server_id>/tools", McpServerToolsView.as_view(), name="mcp-server-tools"),
    path("tool-configurations", ToolConfigurationViewSet.as_view(COLLECTION), name="tool-configuration-list"),
    path(
        "tool-configurations/<uuid:configuration_id>",
        ToolConfigurationViewSet.as_view(MEMBER),
        name="tool-configuration-detail",
    ),
]
