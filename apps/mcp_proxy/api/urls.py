from django.urls import path

from apps.mcp_proxy.api.views import ToolCallListView, ToolCallView, ToolListView

urlpatterns = [
    path("mcp/tools", ToolListView.as_view(), name="mcp-tools"),
    path("mcp/<str:tool_name>", ToolCallView.as_view(), name="mcp-tool-call"),
    path("tool-calls", ToolCallListView.as_view(), name="tool-call-list"),
]
