import json
import re
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from preloop.crypto import EncryptedTextField, mask
from preloop.http import OutboundUrlRefused, outbound_url_check


class ToolSource(models.TextChoices):
    PRELOOP_BUILTIN = "preloop_builtin", "Preloop built-in"


class ToolCallOutcome(models.TextChoices):
    SUCCESS = "success", "Success"
    TOOL_ERROR = "tool_error", "Tool error"  # the tool ran and refused (not found, tracker refusal, bad input)
    DENIED = "denied", "Denied"  # the pipeline refused before running it
    ERROR = "error", "Error"  # the tool failed unexpectedly
    CANCELLED = "cancelled", "Cancelled"  # the client cancelled the call while it ran


class ToolRuleAction(models.TextChoices):
    ALLOW = "allow", "Allow"
    DENY = "deny", "Deny"
    REQUIRE_APPROVAL = "require_approval", "Require approval"


class ToolCallTransport(models.TextChoices):
    MCP = "mcp", "MCP"
    REST = "rest", "REST"


class ToolCall(models.Model):
    """The audit row of one tool call through the pipeline, whatever its outcome."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tool_calls")
    tool_name = models.CharField(max_length=200)
    source = models.CharField(max_length=100, default=ToolSource.PRELOOP_BUILTIN)
    arguments = models.JSONField(default=dict, blank=True, help_text="As received, with secrets redacted.")
    arguments_digest = models.CharField(max_length=64, help_text="SHA-256 of the canonical JSON of the arguments.")
    outcome = models.CharField(max_length=20, choices=ToolCallOutcome.choices)
    error_message = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    transport = models.CharField(max_length=10, choices=ToolCallTransport.choices, default=ToolCallTransport.MCP)
    client_name = models.CharField(max_length=200, blank=True)
    client_version = models.CharField(max_length=100, blank=True)
    protocol_version = models.CharField(max_length=20, blank=True)
    session_id = models.CharField(max_length=200, blank=True)
    credential_id = models.CharField(max_length=100, blank=True, help_text="The API key or token that called.")
    # What the user's tool configuration decided (blank: refused before deciding) and the rule that decided it:
    # its id without a foreign key and a snapshot of its condition, so deleting or editing a rule keeps history.
    decision = models.CharField(max_length=20, choices=ToolRuleAction.choices, blank=True)
    decision_rule = models.UUIDField(null=True, blank=True)
    decision_rule_condition = models.TextField(blank=True)
    justification = models.TextField(blank=True, help_text="Why the caller made the call (justification mode).")
    upstream_latency_ms = models.PositiveIntegerField(null=True, blank=True, help_text="Proxied calls only.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "-created_at"]), models.Index(fields=["user", "tool_name"])]

    def __str__(self) -> str:
        return f"{self.tool_name} by {self.user_id}: {self.outcome}"


class McpTransport(models.TextChoices):
    STREAMABLE_HTTP = "streamable_http", "Streamable HTTP"
    SSE = "sse", "HTTP+SSE (legacy)"
    STDIO = "stdio", "stdio (a local command)"


HTTP_TRANSPORTS = (McpTransport.STREAMABLE_HTTP, McpTransport.SSE)
# The proxied name of a tool or prompt is `<prefix>__<name>`; an empty prefix keeps the upstream name.
PREFIX_SEPARATOR = "__"
HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


class ExternalMcpServer(models.Model):
    """A user's upstream MCP server and what its last scan found. Credentials are encrypted, never returned."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mcp_servers")
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, help_text="Derived from the name; unique among the owner's servers.")
    transport = models.CharField(max_length=20, choices=McpTransport.choices, default=McpTransport.STREAMABLE_HTTP)
    url = models.URLField(max_length=500, blank=True, help_text="The MCP endpoint (HTTP transports).")
    command = models.CharField(max_length=500, blank=True, help_text="stdio: the program to run.")
    args = models.JSONField(default=list, blank=True, help_text="stdio: its arguments.")
    env = EncryptedTextField(blank=True, help_text="stdio: its extra environment, as JSON (may hold secrets).")
    tool_prefix = models.CharField(max_length=60, blank=True, help_text="Proxied names are `<prefix>__<name>`.")
    bearer_token = EncryptedTextField(blank=True)
    headers = EncryptedTextField(blank=True, help_text="Custom request headers, as JSON.")
    timeout_seconds = models.PositiveIntegerField(default=30)
    is_active = models.BooleanField(default=True)
    # Health, from the last scan.
    last_scanned_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_latency_ms = models.PositiveIntegerField(null=True, blank=True)
    server_info = models.JSONField(default=dict, blank=True, help_text="The upstream's name and version.")
    capabilities = models.JSONField(default=dict, blank=True)
    protocol_version = models.CharField(max_length=20, blank=True)
    # What the last successful scan found, as the upstream listed it (camelCase MCP JSON).
    tools = models.JSONField(default=list, blank=True)
    prompts = models.JSONField(default=list, blank=True)
    resources = models.JSONField(default=list, blank=True)
    resource_templates = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "created_at"]
        constraints = [models.UniqueConstraint(fields=["owner", "slug"], name="mcp_proxy_server_owner_slug_unique")]

    def __str__(self) -> str:
        return self.name

    def proxied_name(self, name: str) -> str:
        return f"{self.tool_prefix}{PREFIX_SEPARATOR}{name}" if self.tool_prefix else name

    @property
    def bearer_token_hint(self) -> str:
        return mask(self.bearer_token)

    @property
    def header_hints(self) -> dict[str, str]:
        """Header names with masked values: enough to recognise them, never to reuse them."""
        return {name: mask(value) for name, value in self.headers_dict.items()}

    @property
    def headers_dict(self) -> dict[str, str]:
        return json.loads(self.headers) if self.headers else {}

    @property
    def env_dict(self) -> dict[str, str]:
        return json.loads(self.env) if self.env else {}

    def clean(self) -> None:
        """Transport rules: HTTP needs an allowed URL; stdio needs a command and the administrator's consent."""
        if self.transport in HTTP_TRANSPORTS:
            if not self.url:
                raise ValidationError({"url": ["An HTTP transport needs the server's URL."]})
            try:
                outbound_url_check(self.url)
            except OutboundUrlRefused as refused:
                raise ValidationError({"url": [str(refused)]}) from refused
        elif not settings.MCP_ALLOW_STDIO_SERVERS:
            raise ValidationError({"transport": [
                "stdio servers run programs on the Preloop server and are off here; an administrator can allow "
                "them with MCP_ALLOW_STDIO_SERVERS=true."
            ]})  # fmt: skip
        elif not self.command.strip():
            raise ValidationError({"command": ["A stdio server needs the command to run."]})
        for header, value in self.headers_dict.items():
            if not HEADER_NAME.fullmatch(header) or "\r" in value or "\n" in value:
                raise ValidationError({"headers": [f"{header!r} is not a valid HTTP header name and value."]})
        if self.tool_prefix and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]*", self.tool_prefix):
            raise ValidationError({"tool_prefix": ["Use letters, digits, '-' and '_' (or leave it empty)."]})


class ToolConfiguration(models.Model):
    """A user's settings for one tool, keyed by its source and its own name there (never the prefixed name)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tool_configurations")
    # None: a Preloop built-in tool (source `preloop_builtin`).
    server = models.ForeignKey(ExternalMcpServer, null=True, blank=True, on_delete=models.CASCADE,
                               related_name="tool_configurations")  # fmt: skip
    tool_name = models.CharField(max_length=200, help_text="The tool's own name at its source, without a prefix.")
    is_enabled = models.BooleanField(default=True, help_text="A disabled tool is invisible and every call denied.")
    justification_required = models.BooleanField(default=False, help_text="Callers must say why they call it.")
    # Named: a call no rule matches needs this policy's approval; a require_approval rule without its own uses it.
    approval_policy = models.ForeignKey("approvals.ApprovalPolicy", null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="tool_configurations")  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["tool_name", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "server", "tool_name"],
                nulls_distinct=False,
                name="mcp_proxy_tool_configuration_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.tool_source}:{self.tool_name}"

    @property
    def tool_source(self) -> str:
        return str(self.server_id) if self.server_id else ToolSource.PRELOOP_BUILTIN


class ToolRule(models.Model):
    """One CEL condition and what happens to a call it matches; evaluated with the configuration's other rules."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    configuration = models.ForeignKey(ToolConfiguration, on_delete=models.CASCADE, related_name="rules")
    position = models.PositiveIntegerField(help_text="The user's order: the deciding rule is the first that wins.")
    condition = models.TextField(help_text="A CEL expression over args, tool, server, user, now, hour, weekday.")
    action = models.CharField(max_length=20, choices=ToolRuleAction.choices)
    description = models.CharField(max_length=500, blank=True)
    # require_approval only: the policy that applies to the calls it matches (else the configuration's, …).
    approval_policy = models.ForeignKey("approvals.ApprovalPolicy", null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="tool_rules")  # fmt: skip

    class Meta:
        ordering = ["configuration", "position"]

    def __str__(self) -> str:
        return f"{self.action} if {self.condition}"
