from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError

from apps.accounts.models import ApiKey, Invitation, User
from apps.accounts.services import api_key_revoke, invitation_create, invitation_email_clean


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "username", "full_name", "is_staff", "is_active", "date_joined"]
    search_fields = ["email", "username", "full_name"]
    fieldsets = [
        (None, {"fields": ["email", "username", "password"]}),
        ("Profile", {"fields": ["full_name"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "username", "password1", "password2"]})]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "prefix",
        "user",
        "scopes",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    ]
    list_filter = ["revoked_at"]
    search_fields = ["name", "prefix", "user__email"]
    readonly_fields = ["prefix", "key_hash", "created_at", "last_used_at", "user"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False  # keys are issued by their owner, who must see the secret once

    @admin.action(description="Revoke selected API keys")
    def revoke(self, request, queryset):
        for api_key in queryset:
            api_key_revoke(api_key=api_key)


class InvitationForm(forms.ModelForm):
    class Meta:
        model = Invitation
        fields = ["email"]

    def clean_email(self):
        try:
            return invitation_email_clean(self.cleaned_data["email"])
        except ValidationError as error:
            raise forms.ValidationError(error.message_dict["email"]) from error


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Adding an invitation here emails the invitee a single-use link."""

    form = InvitationForm
    list_display = ["email", "status", "invited_by", "created_at", "expires_at", "accepted_at"]
    search_fields = ["email"]

    def get_readonly_fields(self, request, obj=None):
        return ["email", "invited_by", "created_at", "expires_at", "accepted_at", "user"] if obj else []

    def save_model(self, request, obj, form, change):
        if change:
            return
        invitation, _link = invitation_create(email=form.cleaned_data["email"], invited_by=request.user)
        obj.pk = invitation.pk
        messages.success(request, f"Invitation sent to {invitation.email}.")

    def has_change_permission(self, request, obj=None):
        return obj is None
