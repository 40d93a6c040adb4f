from django.urls import path

from apps.console import views

app_name = "console"
urlpatterns = [
    path("", views.home_view, name="home"),
    path("login", views.login_view, name="login"),
    path("logout", views.logout_view, name="logout"),
    path("register", views.register_view, name="register"),
    path("invite/<str:token>", views.invitation_view, name="invitation"),
    path("settings/api-keys", views.api_keys_view, name="api-keys"),
    path("settings/api-keys/<uuid:api_key_id>/revoke", views.api_key_revoke_view, name="api-key-revoke"),
]
