from django.contrib import admin

from apps.trackers.models import Organization, Project, Tracker, WebhookDelivery


@admin.register(Tracker)
class TrackerAdmin(admin.ModelAdmin):
    list_display = ["name", "tracker_type", "url", "owner", "is_active", "last_sync_status", "last_synced_at"]
    list_filter = ["tracker_type", "is_active"]
    search_fields = ["name", "url", "owner__email"]
    exclude = ["api_token", "webhook_secret"]  # never shown; owners manage them through the API
    readonly_fields = ["owner", "last_synced_at", "last_sync_status", "last_error", "last_webhook_update"]

    def has_add_permission(self, request):
        return False  # a tracker needs its owner's token: created through the API or console


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "identifier", "tracker", "is_active"]
    search_fields = ["name", "identifier"]
    list_select_related = ["tracker"]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "identifier", "organization", "is_active", "issues_synced_until", "last_synced_at"]
    search_fields = ["name", "identifier"]
    list_select_related = ["organization"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["received_at", "tracker", "event", "delivery_id"]
    list_filter = ["event"]
    list_select_related = ["tracker"]
    readonly_fields = ["tracker", "delivery_id", "event", "received_at", "outcome"]
