from rest_framework import serializers

from apps.mcp_proxy.models import ExternalMcpServer, McpTransport, ToolCall, ToolCallOutcome, ToolCallTransport


class ToolCallSerializer(serializers.ModelSerializer):
    class Meta:
        model = ToolCall
        fields = ["id", "tool_name", "source", "arguments", "arguments_digest", "outcome", "error_message",
                  "duration_ms", "transport", "client_name", "client_version", "protocol_version", "session_id",
                  "decision", "decision_rule", "decision_rule_condition", "justification", "upstream_latency_ms",
                  "created_at"]  # fmt: skip
        read_only_fields = fields


class ToolCallFilterSerializer(serializers.Serializer):
    """The query parameters of `GET /api/v1/tool-calls`; each one given narrows the list."""

    tool_name = serializers.CharField(required=False, help_text="The tool's name as the client called it (exact).")
    source = serializers.CharField(required=False,
                                   help_text="`preloop_builtin`, or the id of one of your MCP servers.")  # fmt: skip
    outcome = serializers.ChoiceField(choices=ToolCallOutcome.choices, required=False)
    transport = serializers.ChoiceField(choices=ToolCallTransport.choices, required=False,
                                        help_text="`mcp` (/mcp/v1) or `rest` (/api/v1/mcp/{tool}).")  # fmt: skip
    client_name = serializers.CharField(required=False, help_text="The MCP client's name (exact), e.g. `claude-code`.")
    since = serializers.DateTimeField(required=False,
                                      help_text="ISO 8601, e.g. `2026-11-01T00:00:00Z`: calls at or after it. Without "
                                                "an offset the time is UTC; write a `+` offset as `%2B`.")  # fmt: skip
    until = serializers.DateTimeField(required=False, help_text="ISO 8601: calls before it.")

    def validate(self, data: dict) -> dict:
        if data.get("since") and data.get("until") and data["until"] <= data["since"]:
            raise serializers.ValidationError({"until": ["Must be later than `since`."]})
        return data


class ToolResultSerializer(serializers.Serializer):
    tool_call_id = serializers.UUIDField()
    outcome = serializers.CharField()
    structured = serializers.JSONField(help_text="The tool's structured result (MCP `structuredContent`).")
    text = serializers.CharField(help_text="The same result as readable text (MCP `content`).")
    content = serializers.ListField(
        child=serializers.DictField(), required=False,
        help_text="A proxied tool's own MCP content blocks (text, image, audio, resource), as its server sent them.",
    )  # fmt: skip


class ToolListingSerializer(serializers.Serializer):
    name = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    inputSchema = serializers.JSONField()
    outputSchema = serializers.JSONField(required=False)
    annotations = serializers.JSONField()


class ExternalMcpServerSerializer(serializers.ModelSerializer):
    bearer_token_hint = serializers.CharField(read_only=True, help_text="The token's last characters; never the token.")
    header_hints = serializers.DictField(child=serializers.CharField(), read_only=True,
                                         help_text="Header names with masked values.")  # fmt: skip
    env_names = serializers.SerializerMethodField(help_text="stdio: the names of the extra environment variables.")
    tool_count = serializers.SerializerMethodField()
    prompt_count = serializers.SerializerMethodField()
    resource_count = serializers.SerializerMethodField()
    resource_template_count = serializers.SerializerMethodField()

    class Meta:
        model = ExternalMcpServer
        fields = ["id", "name", "slug", "transport", "url", "command", "args", "env_names", "tool_prefix",
                  "bearer_token_hint", "header_hints", "timeout_seconds", "is_active", "last_scanned_at",
                  "last_error", "last_latency_ms", "server_info", "capabilities", "protocol_version", "tool_count",
                  "prompt_count", "resource_count", "resource_template_count", "created_at",
                  "updated_at"]  # fmt: skip
        read_only_fields = fields

    def get_env_names(self, server) -> list[str]:
        return sorted(server.env_dict)

    def get_tool_count(self, server) -> int:
        return len(server.tools)

    def get_prompt_count(self, server) -> int:
        return len(server.prompts)

    def get_resource_count(self, server) -> int:
        return len(server.resources)

    def get_resource_template_count(self, server) -> int:
        return len(server.resource_templates)


class ExternalMcpServerInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    transport = serializers.ChoiceField(choices=McpTransport.choices, required=False)
    url = serializers.URLField(max_length=500, required=False, allow_blank=True,
                               help_text="The MCP endpoint, e.g. https://mcp.example.com/mcp (HTTP transports).")  # fmt: skip
    command = serializers.CharField(max_length=500, required=False, allow_blank=True,
                                    help_text="stdio only (when the administrator allows it): the program to run.")  # fmt: skip
    args = serializers.ListField(child=serializers.CharField(), required=False)
    env = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False, write_only=True,
                                help_text="stdio: extra environment variables; stored encrypted, never returned.")  # fmt: skip
    tool_prefix = serializers.CharField(max_length=60, required=False, allow_blank=True,
                                        help_text="Proxied names are `<prefix>__<name>`; default the slug, empty: "
                                                  "the upstream names unchanged.")  # fmt: skip
    bearer_token = serializers.CharField(required=False, allow_blank=True, write_only=True, trim_whitespace=True,
                                         help_text="Sent as `Authorization: Bearer …`; stored encrypted.")  # fmt: skip
    headers = serializers.DictField(child=serializers.CharField(), required=False, write_only=True,
                                    help_text="Custom request headers; stored encrypted, returned masked.")  # fmt: skip
    timeout_seconds = serializers.IntegerField(min_value=1, max_value=600, required=False)
    is_active = serializers.BooleanField(required=False)


class McpServerScanSerializer(serializers.Serializer):
    ok = serializers.BooleanField(help_text="False when the scan failed; `server.last_error` says why.")
    server = ExternalMcpServerSerializer()


class ProxiedToolSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="The name clients call it by: `<prefix>__<upstreamName>`.")
    upstreamName = serializers.CharField()
    title = serializers.CharField(required=False)
    description = serializers.CharField(required=False)
    inputSchema = serializers.JSONField()
    outputSchema = serializers.JSONField(required=False)
    annotations = serializers.JSONField(required=False)
