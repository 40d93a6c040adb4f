from django.contrib import admin

from apps.issues.compliance.models import DefinitionOfReady
from apps.issues.models import Comment, Issue, IssueEvent


class CommentInline(admin.TabularInline):
    model = Comment
    extra = 0
    fields = ["author", "body", "created_at_tracker"]
    readonly_fields = fields


@admin.register(Issue)
class IssueAdmin(admin.ModelAdmin):
    list_display = ["key", "title", "project", "state", "status", "priority", "updated_at_tracker"]
    list_filter = ["state", "deleted_at"]
    search_fields = ["key", "title"]
    list_select_related = ["project"]
    inlines = [CommentInline]
    readonly_fields = ["raw"]


@admin.register(IssueEvent)
class IssueEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "source", "issue", "owner"]
    list_filter = ["kind", "source"]
    list_select_related = ["issue", "owner"]
    readonly_fields = ["owner", "issue", "kind", "source", "changes", "created_at"]


@admin.register(DefinitionOfReady)
class DefinitionOfReadyAdmin(admin.ModelAdmin):
    list_display = ["project", "updated_at"]
    list_select_related = ["project"]
    search_fields = ["project__name", "project__identifier"]
    raw_id_fields = ["project"]
