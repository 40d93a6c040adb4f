from django.apps import AppConfig


class McpProxyConfig(AppConfig):
    name = "apps.mcp_proxy"
    label = "mcp_proxy"
    verbose_name = "MCP"
