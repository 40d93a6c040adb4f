from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularJSONAPIView, SpectacularRedocView, SpectacularSwaggerView

api_v1 = [
    path("", include("apps.accounts.api.urls")),
    path("", include("apps.trackers.api.urls")),
    path("", include("apps.issues.api.urls")),
    path("", include("apps.mcp_proxy.api.urls")),
    path("", include("apps.approvals.api.urls")),
    path("", include("apps.notifications.api.urls")),
]

urlpatterns = [
    path("openapi.json", SpectacularJSONAPIView.as_view(), name="openapi"),
    path("docs", SpectacularSwaggerView.as_view(url_name="openapi"), name="docs"),
    path("redoc", SpectacularRedocView.as_view(url_name="openapi"), name="redoc"),
    path("api/v1/", include(api_v1)),
    path("admin/", admin.site.urls),
    path("", include("apps.approvals.urls")),
    path("", include("apps.console.urls")),
]
