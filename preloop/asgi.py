"""The ASGI application daphne serves: the MCP endpoint, HTTP (Django) and the unified WebSocket."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "preloop.settings")
django_asgi_application = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402 - needs Django set up first
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from apps.mcp_proxy.endpoint import McpEndpoint, mcp_route  # noqa: E402
from apps.notifications.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        # `/mcp/v1` is served by the MCP SDK (Streamable HTTP), before Django's URL routing.
        "http": mcp_route(McpEndpoint(), django_asgi_application),
        "websocket": AuthMiddlewareStack(URLRouter(websocket_urlpatterns)),
    }
)
