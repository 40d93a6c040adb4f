from django.urls import path

from apps.console import issue_views, tool_views, views

app_name = "console"
urlpatterns = [
    path("", views.home_view, name="home"),
    path("login", views.login_view, name="login"),
    path("logout", views.logout_view, name="logout"),
    path("register", views.register_view, name="register"),
    path("invite/<str:token>", views.invitation_view, name="invitation"),
    path("settings/api-keys", views.api_keys_view, name="api-keys"),
    path("settings/api-keys/<uuid:api_key_id>/revoke", views.api_key_revoke_view, name="api-key-revoke"),
    path("issues", issue_views.issues_view, name="issues"),
    path("issues/<uuid:issue_id>", issue_views.issue_view, name="issue"),
    path(
        "issues/<uuid:issue_id>/duplicates/<uuid:other_id>/dismiss",
        issue_views.duplicate_dismiss_view,
        {"dismissed": True},
        name="duplicate-dismiss",
    ),
    path(
        "issues/<uuid:issue_id>/duplicates/<uuid:other_id>/restore",
        issue_views.duplicate_dismiss_view,
        {"dismissed": False},
        name="duplicate-restore",
    ),
    path("tool-configurations", tool_views.tool_configurations_view, name="tool-configurations"),
    path(
        "tool-configurations/<str:source>/<str:tool_name>",
        tool_views.tool_configuration_view,
        name="tool-configuration",
    ),
    path(
        "tool-configurations/<str:source>/<str:tool_name>/reset",
        tool_views.tool_configuration_reset_view,
        name="tool-configuration-reset",
    ),
    path("projects/<uuid:project_id>/duplicates", issue_views.project_duplicates_view, name="project-duplicates"),
]
