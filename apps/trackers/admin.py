from django.contrib import admin

from apps.trackers.models import Organization, Project, Tracker


@admin.register(Tracker)
class TrackerAdmin(admin.ModelAdmin):
    list_display = ["name", "tracker_type", "url", "owner", "is_active", "created_at"]
    list_filter = ["tracker_type", "is_active"]
    search_fields = ["name", "url", "owner__email"]
    exclude = ["api_token"]  # never shown; owners set it through the API or console
    readonly_fields = ["owner"]

    def has_add_permission(self, request):
        return False  # a tracker needs its owner's token: created through the API or console


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "identifier", "tracker", "is_active"]
    search_fields = ["name", "identifier"]
    list_select_related = ["tracker"]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "identifier", "organization", "is_active"]
    search_fields = ["name", "identifier"]
    list_select_related = ["organization"]
