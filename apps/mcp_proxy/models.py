import uuid

from django.conf import settings
from django.db import models


class ToolSource(models.TextChoices):
    PRELOOP_BUILTIN = "preloop_builtin", "Preloop built-in"


class ToolCallOutcome(models.TextChoices):
    SUCCESS = "success", "Success"
    TOOL_ERROR = "tool_error", "Tool error"  # the tool ran and refused (not found, tracker refusal, bad input)
    DENIED = "denied", "Denied"  # the pipeline refused before running it
    ERROR = "error", "Error"  # the tool failed unexpectedly


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
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "-created_at"]), models.Index(fields=["user", "tool_name"])]

    def __str__(self) -> str:
        return f"{self.tool_name} by {self.user_id}: {self.outcome}"
