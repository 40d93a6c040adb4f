"""Approval policies (who approves, how many, how long) and the requests, decisions and link tokens they produce."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Q
from django.utils import timezone


class NotificationChannel(models.TextChoices):
    CONSOLE = "console", "Console"
    EMAIL = "email", "Email"
    PUSH = "push", "Mobile push"
    SLACK = "slack", "Slack"
    MATTERMOST = "mattermost", "Mattermost"
    WEBHOOK = "webhook", "Webhook"


DEFAULT_CHANNELS = ["console", "email"]
DEFAULT_TIMEOUT_SECONDS = 600
MIN_TIMEOUT_SECONDS = 10


def default_channels() -> list[str]:
    return list(DEFAULT_CHANNELS)


def _channels_field(**kwargs) -> ArrayField:
    return ArrayField(models.CharField(max_length=20, choices=NotificationChannel.choices), blank=True, **kwargs)


class ApprovalPolicy(models.Model):
    """Who must approve a call, how many of them, for how long, and how they are told."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="approval_policies")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    is_default = models.BooleanField(default=False, help_text="Applies where neither rule nor tool names a policy.")
    approvers = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="approval_policies_approving",
                                       help_text="Who may decide; the owner when none is named.")  # fmt: skip
    approvals_required = models.PositiveSmallIntegerField(default=1, help_text="Distinct approvals needed (quorum).")
    timeout_seconds = models.PositiveIntegerField(default=DEFAULT_TIMEOUT_SECONDS,
                                                  help_text="After it the request expires and the call is refused.")  # fmt: skip
    notification_channels = _channels_field(default=default_channels)
    escalation_after_seconds = models.PositiveIntegerField(null=True, blank=True,
                                                           help_text="Without a decision by then, escalate.")  # fmt: skip
    escalation_approvers = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True,
                                                  related_name="approval_policies_escalating")  # fmt: skip
    escalation_channels = _channels_field(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "created_at"]
        verbose_name_plural = "approval policies"
        constraints = [
            models.UniqueConstraint(fields=["owner"], condition=Q(is_default=True),
                                    name="approvals_policy_one_default_per_owner"),
            models.CheckConstraint(condition=Q(approvals_required__gte=1), name="approvals_policy_required_positive"),
        ]  # fmt: skip

    def __str__(self) -> str:
        return self.name


class ApprovalStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    DECLINED = "declined", "Declined"
    EXPIRED = "expired", "Expired"
    CANCELLED = "cancelled", "Cancelled"


FINISHED = (ApprovalStatus.APPROVED, ApprovalStatus.DECLINED, ApprovalStatus.EXPIRED, ApprovalStatus.CANCELLED)


class ApprovalRequest(models.Model):
    """One call waiting for (or past) a human decision, with a snapshot of the policy that applied to it.

    The snapshot (approvers, quorum, channels, timeout, escalation) is what decides: editing or deleting the
    policy later changes nothing for a request already made.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="approval_requests",
                              help_text="The user whose call needs approval.")  # fmt: skip
    policy = models.ForeignKey(ApprovalPolicy, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="requests")  # fmt: skip
    policy_name = models.CharField(max_length=200, blank=True)
    approver_ids = ArrayField(models.UUIDField(), help_text="Who may decide (escalation appends).")
    approvals_required = models.PositiveSmallIntegerField(default=1)
    notification_channels = _channels_field(default=default_channels)
    timeout_seconds = models.PositiveIntegerField(default=DEFAULT_TIMEOUT_SECONDS)
    escalates_at = models.DateTimeField(null=True, blank=True)
    escalation_approver_ids = ArrayField(models.UUIDField(), default=list, blank=True)
    escalation_channels = _channels_field(default=list)
    # The call.
    tool_name = models.CharField(max_length=200, help_text="As the client called it.")
    tool_source = models.CharField(max_length=100)
    tool_name_at_source = models.CharField(max_length=200)
    arguments = models.JSONField(default=dict, blank=True, help_text="With secrets redacted, for display.")
    arguments_digest = models.CharField(max_length=64, help_text="SHA-256 of the canonical JSON of the arguments.")
    justification = models.TextField(blank=True)
    client_name = models.CharField(max_length=200, blank=True)
    session_id = models.CharField(max_length=200, blank=True)
    transport = models.CharField(max_length=10, blank=True)
    # Its life.
    status = models.CharField(max_length=20, choices=ApprovalStatus.choices, default=ApprovalStatus.PENDING)
    created_at = models.DateTimeField(default=timezone.now, editable=False)  # set with expires_at, from one clock
    expires_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True, help_text="When it left `pending`, whatever the end.")
    decision_reason = models.TextField(blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True, help_text="Call-again mode: an approval is used once.")
    tool_call = models.ForeignKey("mcp_proxy.ToolCall", null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="approval_requests")  # fmt: skip

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["owner", "-created_at"]),
            models.Index(fields=["status", "expires_at"]),
            models.Index(fields=["owner", "tool_source", "tool_name_at_source", "arguments_digest"]),
            GinIndex(fields=["approver_ids"]),
        ]

    def __str__(self) -> str:
        return f"{self.tool_name} by {self.owner_id}: {self.status}"

    @property
    def is_finished(self) -> bool:
        return self.status != ApprovalStatus.PENDING


class ApprovalDecision(models.Model):
    """One approver's approval or refusal of a request, with their comment and where they gave it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    request = models.ForeignKey(ApprovalRequest, on_delete=models.CASCADE, related_name="decisions")
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="approval_decisions")
    approve = models.BooleanField()
    comment = models.TextField(blank=True)
    via = models.CharField(max_length=20, help_text="api, console, link, …")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [models.UniqueConstraint(fields=["request", "approver"], name="approvals_one_decision_each")]

    def __str__(self) -> str:
        return f"{'approve' if self.approve else 'decline'} by {self.approver_id}"


class ApprovalToken(models.Model):
    """A one-click link's secret for one approver of one request: stored hashed, used once, ends with the request."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    request = models.ForeignKey(ApprovalRequest, on_delete=models.CASCADE, related_name="tokens")
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["request", "approver"], name="approvals_one_token_each")]

    def __str__(self) -> str:
        return f"token of {self.approver_id} for {self.request_id}"
