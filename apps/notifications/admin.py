from django.contrib import admin

from apps.notifications.models import Device, NotificationDelivery, NotificationPreference


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "enabled_channels", "timezone", "updated_at"]
    # Webhook URLs and the signing secret are never shown; owners manage them through the API or console.
    exclude = ["slack_webhook_url", "mattermost_webhook_url", "webhook_url", "webhook_secret"]


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = ["user", "platform", "name", "created_at", "last_seen_at"]
    exclude = ["push_token", "push_token_hash"]


@admin.register(NotificationDelivery)
class NotificationDeliveryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user", "channel", "request_id", "status", "attempts", "response_status"]
    list_filter = ["channel", "status"]
    exclude = ["payload"]
    readonly_fields = ["user", "channel", "request_id", "status", "attempts", "last_error", "response_status"]
