from django.contrib import admin

from apps.system.models import Instance


@admin.register(Instance)
class InstanceAdmin(admin.ModelAdmin):
    list_display = ["uuid", "created_at", "latest_version", "version_checked_at"]
    readonly_fields = ["uuid", "created_at", "latest_version", "version_checked_at"]
