"""The shapes of the approval endpoints: input and output serializers, no business rules (they are in services)."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from rest_framework import serializers

from apps.approvals.models import (
    MIN_TIMEOUT_SECONDS,
    ApprovalDecision,
    ApprovalPolicy,
    ApprovalRequest,
    ApprovalStatus,
    NotificationChannel,
)

CHANNELS_HELP = "Any of " + ", ".join(f"`{channel}`" for channel in NotificationChannel.values) + "."


class ApprovalPolicySerializer(serializers.ModelSerializer):
    approver_user_ids = serializers.SerializerMethodField(help_text="Who may decide.")
    escalation_approver_user_ids = serializers.SerializerMethodField(help_text="Who joins on escalation.")

    class Meta:
        model = ApprovalPolicy
        fields = ["id", "name", "description", "is_default", "approver_user_ids", "approvals_required",
                  "timeout_seconds", "notification_channels", "escalation_after_seconds",
                  "escalation_approver_user_ids", "escalation_channels", "created_at", "updated_at"]  # fmt: skip
        read_only_fields = fields

    def get_approver_user_ids(self, policy) -> list[str]:
        return sorted(str(user.pk) for user in policy.approvers.all())

    def get_escalation_approver_user_ids(self, policy) -> list[str]:
        return sorted(str(user.pk) for user in policy.escalation_approvers.all())


class ApprovalPolicyInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    is_default = serializers.BooleanField(required=False, help_text=(
        "Your default policy applies where a call needs approval and neither its rule nor its tool configuration "
        "names a policy. One per user: making this one the default unsets the previous one."))  # fmt: skip
    approver_user_ids = serializers.ListField(child=serializers.UUIDField(), required=False, help_text=(
        "Active users of this instance who may decide; empty or absent: you alone."))  # fmt: skip
    approvals_required = serializers.IntegerField(min_value=1, required=False, help_text=(
        "The quorum: approved when this many distinct approvers approve; declined as soon as one declines. "
        "At most the number of approvers."))  # fmt: skip
    timeout_seconds = serializers.IntegerField(
        min_value=MIN_TIMEOUT_SECONDS, max_value=settings.APPROVAL_TIMEOUT_MAX_SECONDS, required=False,
        help_text="Default 600. Without a decision by then the request expires and the call is refused (never "
                  "approved).",
    )  # fmt: skip
    notification_channels = serializers.ListField(
        child=serializers.ChoiceField(choices=NotificationChannel.choices), required=False,
        help_text=f"{CHANNELS_HELP} Default `console`, `email`.",
    )  # fmt: skip
    escalation_after_seconds = serializers.IntegerField(min_value=1, required=False, allow_null=True, help_text=(
        "Without a decision after this many seconds (less than the timeout), the escalation approvers join and "
        "the escalation channels are notified."))  # fmt: skip
    escalation_approver_user_ids = serializers.ListField(child=serializers.UUIDField(), required=False)
    escalation_channels = serializers.ListField(
        child=serializers.ChoiceField(choices=NotificationChannel.choices), required=False, help_text=CHANNELS_HELP
    )


class ApprovalDecisionSerializer(serializers.ModelSerializer):
    approver_id = serializers.UUIDField(read_only=True)
    approver_email = serializers.EmailField(source="approver.email", read_only=True)

    class Meta:
        model = ApprovalDecision
        fields = ["approver_id", "approver_email", "approve", "comment", "via", "created_at"]
        read_only_fields = fields


class RequesterSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    email = serializers.EmailField()
    full_name = serializers.CharField()


class ApprovalRequestSerializer(serializers.ModelSerializer):
    requester = RequesterSerializer(source="owner", read_only=True)
    policy_id = serializers.UUIDField(read_only=True, allow_null=True)
    tool_call_id = serializers.UUIDField(read_only=True, allow_null=True)
    arguments = serializers.JSONField(read_only=True, help_text="With secrets redacted.")
    decisions = ApprovalDecisionSerializer(many=True, read_only=True)
    can_decide = serializers.SerializerMethodField(help_text="Whether you may decide on it now.")

    class Meta:
        model = ApprovalRequest
        fields = ["id", "status", "tool_name", "tool_source", "tool_name_at_source", "arguments", "arguments_digest",
                  "justification", "client_name", "session_id", "transport", "requester", "policy_id", "policy_name",
                  "approver_ids", "approvals_required", "timeout_seconds", "notification_channels", "created_at",
                  "expires_at", "decided_at", "decision_reason", "escalated_at", "used_at", "tool_call_id",
                  "decisions", "can_decide"]  # fmt: skip
        read_only_fields = fields

    def get_can_decide(self, request) -> bool:
        user = self.context["request"].user
        return (request.status == ApprovalStatus.PENDING and request.expires_at > timezone.now()
                and user.pk in request.approver_ids
                and not any(decision.approver_id == user.pk for decision in request.decisions.all()))  # fmt: skip


class ApprovalRequestFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ApprovalStatus.choices, required=False)


class DecideSerializer(serializers.Serializer):
    approve = serializers.BooleanField(help_text="true to approve, false to decline.")
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class CommentSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class ConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = serializers.DictField()
    status = serializers.ChoiceField(choices=ApprovalStatus.choices, help_text="The request's current status.")
    approval_request = ApprovalRequestSerializer()


class PublicApprovalSerializer(serializers.Serializer):
    """What a one-click link shows: the call, who asked, and where the request stands."""

    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=ApprovalStatus.choices)
    tool_name = serializers.CharField()
    tool_source = serializers.CharField()
    arguments = serializers.JSONField(help_text="With secrets redacted.")
    justification = serializers.CharField()
    client_name = serializers.CharField()
    requester_email = serializers.EmailField(source="owner.email")
    requester_name = serializers.CharField(source="owner.full_name")
    approver_email = serializers.SerializerMethodField(help_text="The approver this link belongs to.")
    approvals_required = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)
    decision_reason = serializers.CharField()

    def get_approver_email(self, request) -> str:
        return self.context["approver"].email


class PublicErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = serializers.DictField()
    reason = serializers.ChoiceField(choices=["missing", "wrong", "used", "expired"])
