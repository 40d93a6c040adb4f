from django.urls import path

from apps.console import (
    approval_views,
    issue_views,
    mcp_server_views,
    notification_views,
    tool_call_views,
    tool_views,
    views,
)

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
    path("mcp-servers", mcp_server_views.mcp_servers_view, name="mcp-servers"),
    path("mcp-servers/new", mcp_server_views.mcp_server_add_view, name="mcp-server-add"),
    path("mcp-servers/<uuid:server_id>", mcp_server_views.mcp_server_view, name="mcp-server"),
    path("mcp-servers/<uuid:server_id>/edit", mcp_server_views.mcp_server_edit_view, name="mcp-server-edit"),
    path("mcp-servers/<uuid:server_id>/delete", mcp_server_views.mcp_server_delete_view, name="mcp-server-delete"),
    path("mcp-servers/<uuid:server_id>/scan", mcp_server_views.mcp_server_scan_view, name="mcp-server-scan"),
    path("tool-calls", tool_call_views.tool_calls_view, name="tool-calls"),
    path("approvals", approval_views.approvals_view, name="approvals"),
    path("approvals/<uuid:request_id>", approval_views.approval_view, name="approval"),
    path("approvals/<uuid:request_id>/decide", approval_views.approval_decide_view, name="approval-decide"),
    path(
        "notification-preferences",
        notification_views.notification_preferences_view,
        name="notification-preferences",
    ),
    path(
        "notification-preferences/webhook-secret",
        notification_views.webhook_secret_rotate_view,
        name="notification-webhook-secret",
    ),
    path("notification-preferences/device-qr", notification_views.device_qr_view, name="notification-device-qr"),
    path(
        "notification-preferences/devices/<uuid:device_id>/delete",
        notification_views.device_delete_view,
        name="notification-device-delete",
    ),
    path(
        "notification-preferences/test/<str:channel>",
        notification_views.notification_test_view,
        name="notification-test",
    ),
]
