from rest_framework import serializers

from apps.issues.models import Comment, Issue


class CommentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Comment
        fields = ["id", "external_id", "author", "body", "url", "created_at_tracker", "updated_at_tracker"]
        read_only_fields = fields


class IssueSerializer(serializers.ModelSerializer):
    project_id = serializers.UUIDField(read_only=True)
    organization_id = serializers.UUIDField(source="project.organization_id", read_only=True)
    tracker_type = serializers.CharField(source="project.organization.tracker.tracker_type", read_only=True)

    class Meta:
        model = Issue
        fields = ["id", "project_id", "organization_id", "tracker_type", "external_id", "key", "number", "title",
                  "description", "state", "status", "issue_type", "labels", "priority", "assignee", "author", "url",
                  "created_at_tracker", "updated_at_tracker", "closed_at", "deleted_at", "moved_to", "updated_at"]  # fmt: skip
        read_only_fields = fields


class IssueDetailSerializer(IssueSerializer):
    comments = CommentSerializer(many=True, read_only=True)

    class Meta(IssueSerializer.Meta):
        fields = [*IssueSerializer.Meta.fields, "comments"]
        read_only_fields = fields


class IssueWriteSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=1000, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    labels = serializers.ListField(child=serializers.CharField(max_length=255), required=False)
    priority = serializers.CharField(max_length=100, required=False, allow_blank=True)
    assignee = serializers.CharField(max_length=255, required=False, allow_blank=True,
                                     help_text="Tracker user name (GitHub login, GitLab username, Jira account).")  # fmt: skip
    status = serializers.CharField(max_length=100, required=False,
                                   help_text="open or closed; on Jira also a status name such as `In Progress`.")  # fmt: skip
    issue_type = serializers.CharField(max_length=100, required=False, help_text="Jira issue type; default Task.")


class IssueCreateSerializer(IssueWriteSerializer):
    title = serializers.CharField(max_length=1000)
    project_id = serializers.UUIDField(required=False, help_text="The project; or give organization and project.")
    organization = serializers.CharField(required=False, help_text="Organization identifier, e.g. `acme`.")
    project = serializers.CharField(required=False, help_text="Project identifier, e.g. `api` or `PROJ`.")


class CommentCreateSerializer(serializers.Serializer):
    body = serializers.CharField()
