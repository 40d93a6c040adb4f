from django.contrib import admin
from django.db import models

from apps.mcp_proxy.models import ExternalMcpServer, ToolCall, ToolConfiguration, ToolRule


@admin.register(ToolCall)
class ToolCallAdmin(admin.ModelAdmin):
    """Audit rows: readable by admins, never changed or added by hand."""

    list_display = ["created_at", "tool_name", "user", "outcome", "decision", "duration_ms", "transport",
                    "client_name"]  # fmt: skip
    list_filter = ["outcome", "decision", "source", "transport", "tool_name"]
    search_fields = ["tool_name", "user__email", "session_id", "arguments_digest"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ExternalMcpServer)
class ExternalMcpServerAdmin(admin.ModelAdmin):
    list_display = ["name", "transport", "url", "owner", "is_active", "last_scanned_at", "last_error"]
    list_filter = ["transport", "is_active"]
    search_fields = ["name", "slug", "url", "owner__email"]
    list_select_related = ["owner"]
    exclude = ["bearer_token", "headers", "env"]  # never shown; owners manage them through the API
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    readonly_fields = ["owner", "slug", "last_scanned_at", "last_error", "last_latency_ms", "server_info",
                       "capabilities", "protocol_version", "tools", "prompts", "resources",
                       "resource_templates"]  # fmt: skip

    def has_add_permission(self, request):
        return False  # a server may need its owner's credentials: registered through the API


class ToolRuleInline(admin.TabularInline):
    model = ToolRule
    fields = ["position", "condition", "action", "description"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ToolConfiguration)
class ToolConfigurationAdmin(admin.ModelAdmin):
    """Read-only here: owners change configurations in the console or over REST, where conditions are checked."""

    list_display = ["tool_name", "server", "owner", "is_enabled", "justification_required", "updated_at"]
    list_filter = ["is_enabled", "justification_required"]
    search_fields = ["tool_name", "owner__email", "server__name"]
    list_select_related = ["owner", "server"]
    inlines = [ToolRuleInline]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
