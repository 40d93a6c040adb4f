from django import forms
from django.core.exceptions import ValidationError

from apps.accounts.models import Scope


def form_errors_apply(form: forms.Form, error: ValidationError) -> None:
    """A service's ValidationError, shown at the form's fields it names (others above the form)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for field, messages in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages)


class LoginForm(forms.Form):
    identifier = forms.CharField(label="Email or username", max_length=254)
    password = forms.CharField(widget=forms.PasswordInput, strip=False)


class PasswordForm(forms.Form):
    full_name = forms.CharField(label="Full name", max_length=200, required=False)
    password = forms.CharField(widget=forms.PasswordInput, strip=False)
    password_confirm = forms.CharField(label="Confirm password", widget=forms.PasswordInput, strip=False)

    def clean(self):
        data = super().clean()
        if data.get("password") != data.get("password_confirm"):
            self.add_error("password_confirm", "The two passwords differ.")
        return data


class RegisterForm(PasswordForm):
    email = forms.EmailField()
    field_order = ["email", "full_name", "password", "password_confirm"]


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=100)
    scopes = forms.MultipleChoiceField(
        choices=Scope.choices, widget=forms.CheckboxSelectMultiple, initial=[Scope.API, Scope.MCP]
    )
    expires_at = forms.DateTimeField(
        label="Expires (optional)",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )


class IssueSearchForm(forms.Form):
    """The /issues search; every field is optional, so a bare GET lists recent issues."""

    query = forms.CharField(
        label="Search",
        max_length=500,
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Words, a phrase in quotes, or a key like #42"}),
    )
    mode = forms.ChoiceField(
        choices=[("hybrid", "Hybrid"), ("keyword", "Keyword"), ("semantic", "Semantic")], required=False
    )
    project = forms.ChoiceField(required=False)
    status = forms.ChoiceField(choices=[("any", "Any"), ("open", "Open"), ("closed", "Closed")], required=False)

    def __init__(self, *args, projects=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].choices = [("", "All projects")] + [
            (str(project.id), f"{project.organization.identifier}/{project.identifier}") for project in projects
        ]

    def clean_mode(self) -> str:
        return self.cleaned_data["mode"] or "hybrid"

    def clean_status(self) -> str:
        return self.cleaned_data["status"] or "any"
