from django import forms

from apps.accounts.models import Scope


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
