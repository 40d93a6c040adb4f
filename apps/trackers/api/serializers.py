from rest_framework import serializers

from apps.trackers.models import Organization, Project, Tracker, TrackerType


class TrackerSerializer(serializers.ModelSerializer):
    api_token_hint = serializers.CharField(read_only=True, help_text="The token's last characters; never the token.")
    webhook_url = serializers.SerializerMethodField(help_text="Where the tracker should send webhook deliveries.")

    class Meta:
        model = Tracker
        fields = ["id", "name", "tracker_type", "url", "username", "api_token_hint", "is_active", "webhook_url",
                  "last_synced_at", "last_sync_status", "last_error", "last_webhook_update", "created_at",
                  "updated_at"]  # fmt: skip
        read_only_fields = fields

    def get_webhook_url(self, tracker) -> str:
        from apps.trackers.services import tracker_webhook_url

        return tracker_webhook_url(tracker)


class TrackerCreatedSerializer(TrackerSerializer):
    webhook_secret = serializers.CharField(help_text="Shown only in this response; rotate it to see a new one.")

    class Meta(TrackerSerializer.Meta):
        fields = [*TrackerSerializer.Meta.fields, "webhook_secret"]
        read_only_fields = fields


class WebhookSecretSerializer(serializers.Serializer):
    webhook_url = serializers.CharField()
    webhook_secret = serializers.CharField(help_text="Shown only in this response.")


class TrackerInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    tracker_type = serializers.ChoiceField(choices=TrackerType.choices)
    url = serializers.URLField(max_length=500, required=False, allow_blank=True)
    username = serializers.CharField(max_length=200, required=False, allow_blank=True)
    api_token = serializers.CharField(write_only=True, trim_whitespace=True)
    is_active = serializers.BooleanField(required=False)


CONTAINER_FIELDS = ["name", "identifier", "description", "is_active", "settings", "created_at", "updated_at"]


class ContainerInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    identifier = serializers.CharField(max_length=300)
    description = serializers.CharField(required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)
    settings = serializers.JSONField(required=False)


class OrganizationSerializer(serializers.ModelSerializer):
    tracker_id = serializers.UUIDField(read_only=True)

    class Meta:
        model = Organization
        fields = ["id", "tracker_id", *CONTAINER_FIELDS]
        read_only_fields = fields


class OrganizationInputSerializer(ContainerInputSerializer):
    tracker_id = serializers.UUIDField(help_text="Cannot be changed after creation.")


class ProjectSerializer(serializers.ModelSerializer):
    organization_id = serializers.UUIDField(read_only=True)
    tracker_id = serializers.UUIDField(source="organization.tracker_id", read_only=True)

    class Meta:
        model = Project
        fields = ["id", "organization_id", "tracker_id", *CONTAINER_FIELDS, "external_id", "url",
                  "issues_synced_until", "last_synced_at", "last_error", "duplicate_threshold",
                  "overlap_threshold"]  # fmt: skip
        read_only_fields = fields


class ProjectInputSerializer(ContainerInputSerializer):
    organization_id = serializers.UUIDField(help_text="Cannot be changed after creation.")
    duplicate_threshold = serializers.FloatField(
        min_value=0.0, max_value=1.0, required=False,
        help_text="Similarity (0 to 1) from which two issues are duplicates; default 0.70 (local model).",
    )  # fmt: skip
    overlap_threshold = serializers.FloatField(
        min_value=0.0, max_value=1.0, required=False,
        help_text="Similarity (0 to 1) from which two issues overlap; at most duplicate_threshold; default 0.60.",
    )  # fmt: skip


class ConnectionTestInputSerializer(serializers.Serializer):
    tracker_id = serializers.UUIDField(required=False, help_text="A saved tracker; or give the tracker's fields.")
    tracker_type = serializers.ChoiceField(choices=TrackerType.choices, required=False)
    url = serializers.URLField(max_length=500, required=False, allow_blank=True)
    username = serializers.CharField(max_length=200, required=False, allow_blank=True)
    api_token = serializers.CharField(required=False, write_only=True)
    organization = serializers.CharField(required=False, allow_blank=True, help_text="e.g. `acme`")
    project = serializers.CharField(required=False, allow_blank=True, help_text="e.g. `api` or `PROJ`")


class ConnectionTestResultSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    message = serializers.CharField()
    problem = serializers.CharField(help_text="When it failed: authentication, permission, not_found, rate_limited, …")
    account = serializers.CharField()
    scopes = serializers.ListField(child=serializers.CharField())
    project_name = serializers.CharField()
    issue_count = serializers.IntegerField(allow_null=True)


class SyncRequestSerializer(serializers.Serializer):
    full = serializers.BooleanField(default=False, help_text="Re-read everything and detect deleted issues.")


class WebhookRegistrationSerializer(serializers.Serializer):
    registered = serializers.BooleanField()
    hook_id = serializers.CharField()
    url = serializers.CharField()


class WebhookResultSerializer(serializers.Serializer):
    detail = serializers.CharField()
