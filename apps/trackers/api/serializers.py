from rest_framework import serializers

from apps.trackers.models import Organization, Project, Tracker, TrackerType


class TrackerSerializer(serializers.ModelSerializer):
    api_token_hint = serializers.CharField(read_only=True, help_text="The token's last characters; never the token.")

    class Meta:
        model = Tracker
        fields = [
            "id",
            "name",
            "tracker_type",
            "url",
            "username",
            "api_token_hint",
            "is_active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


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
        fields = ["id", "organization_id", "tracker_id", *CONTAINER_FIELDS]
        read_only_fields = fields


class ProjectInputSerializer(ContainerInputSerializer):
    organization_id = serializers.UUIDField(help_text="Cannot be changed after creation.")
