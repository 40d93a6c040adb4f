from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from apps.approvals.models import ApprovalDecision, ApprovalPolicy, ApprovalRequest
from apps.approvals.policies import policy_rules_check


class ApprovalPolicyForm(forms.ModelForm):
    class Meta:
        model = ApprovalPolicy
        fields = ["owner", "name", "description", "is_default", "approvers", "approvals_required", "timeout_seconds",
                  "notification_channels", "escalation_after_seconds", "escalation_approvers",
                  "escalation_channels"]  # fmt: skip

    def clean(self):
        """The same rules as the API: quorum within the approvers, bounded timeout, escalation before it."""
        data = super().clean()
        fields = ["approvals_required", "timeout_seconds", "escalation_after_seconds", "escalation_channels", "name"]
        if all(field in data for field in fields):
            candidate = ApprovalPolicy(**{field: data[field] for field in fields})
            try:
                policy_rules_check(candidate, list(data.get("approvers") or []),
                                   list(data.get("escalation_approvers") or []))  # fmt: skip
            except ValidationError as invalid:  # the API's field names, as this form calls them
                names = {"approver_user_ids": "approvers", "escalation_approver_user_ids": "escalation_approvers"}
                raise ValidationError({names.get(field, field): messages
                                       for field, messages in invalid.message_dict.items()}) from invalid  # fmt: skip
        return data


@admin.register(ApprovalPolicy)
class ApprovalPolicyAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "is_default", "approvals_required", "timeout_seconds", "updated_at"]
    list_filter = ["is_default"]
    search_fields = ["name", "owner__email"]
    list_select_related = ["owner"]
    filter_horizontal = ["approvers", "escalation_approvers"]
    readonly_fields = ["created_at", "updated_at"]
    form = ApprovalPolicyForm


class ApprovalDecisionInline(admin.TabularInline):
    model = ApprovalDecision
    extra = 0
    can_delete = False
    readonly_fields = ["approver", "approve", "comment", "via", "created_at"]
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ApprovalRequest)
class ApprovalRequestAdmin(admin.ModelAdmin):
    """Requests are a record of who asked and who decided: readable, never edited by hand."""

    list_display = ["created_at", "tool_name", "owner", "status", "policy_name", "expires_at", "decided_at"]
    list_filter = ["status", "tool_source"]
    search_fields = ["tool_name", "owner__email", "arguments_digest", "id"]
    list_select_related = ["owner"]
    date_hierarchy = "created_at"
    inlines = [ApprovalDecisionInline]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
