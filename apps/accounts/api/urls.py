from django.urls import path

from apps.accounts.api import views

urlpatterns = [
    path("auth/token", views.TokenView.as_view(), name="auth-token"),
    path("auth/refresh", views.RefreshView.as_view(), name="auth-refresh"),
    path("auth/register", views.RegisterView.as_view(), name="auth-register"),
    path("auth/me", views.MeView.as_view(), name="auth-me"),
    path("api-keys", views.ApiKeyListView.as_view(), name="api-key-list"),
    path("api-keys/<uuid:api_key_id>", views.ApiKeyDetailView.as_view(), name="api-key-detail"),
]
