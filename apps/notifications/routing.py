from django.urls import path

from apps.notifications.consumers import UnifiedConsumer

websocket_urlpatterns = [path("api/v1/ws/unified", UnifiedConsumer.as_asgi())]
