from django.contrib import admin

from apps.mcp_proxy.models import ToolCall


@admin.register(ToolCall)
class ToolCallAdmin(admin.ModelAdmin):
    """Audit rows: readable by admins, never changed or added by hand."""

    list_display = ["created_at", "tool_name", "user", "outcome", "duration_ms", "transport", "client_name"]
    list_filter = ["outcome", "source", "transport", "tool_name"]
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
