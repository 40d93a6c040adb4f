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
