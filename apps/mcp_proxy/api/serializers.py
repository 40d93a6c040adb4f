from rest_framework import serializers

from apps.mcp_proxy.models import ToolCall


class ToolCallSerializer(serializers.ModelSerializer):
    class Meta:
        model = ToolCall
        fields = ["id", "tool_name", "source", "arguments", "arguments_digest", "outcome", "error_message",
                  "duration_ms", "transport", "client_name", "client_version", "protocol_version", "session_id",
                  "created_at"]  # fmt: skip
        read_only_fields = fields


class ToolResultSerializer(serializers.Serializer):
    tool_call_id = serializers.UUIDField()
    outcome = serializers.CharField()
    structured = serializers.JSONField(help_text="The tool's structured result (MCP `structuredContent`).")
    text = serializers.CharField(help_text="The same result as readable text (MCP `content`).")


class ToolListingSerializer(serializers.Serializer):
    name = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    inputSchema = serializers.JSONField()
    outputSchema = serializers.JSONField(required=False)
    annotations = serializers.JSONField()
