"""The web console shell: sign-in, sign-up, invitations, the dashboard and API keys."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from apps.accounts import selectors as account_selectors
from apps.accounts import services as account_services
from apps.accounts.login import LoginFailed, LoginThrottled, login_authenticate
from apps.console.forms import ApiKeyForm, LoginForm, PasswordForm, RegisterForm, form_errors_apply
from apps.mcp_proxy import selectors as mcp_selectors
from apps.trackers import selectors as tracker_selectors

BACKEND = "django.contrib.auth.backends.ModelBackend"


def login_view(request):
    if request.user.is_authenticated:
        return redirect("console:home")
    form = LoginForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            user = login_authenticate(
                request=request, identifier=form.cleaned_data["identifier"], password=form.cleaned_data["password"]
            )
        except LoginThrottled as throttled:
            form.add_error(None, str(throttled))
            status = 429
        except LoginFailed as failed:
            form.add_error(None, str(failed))
            status = 401
        else:
            login(request, user, backend=BACKEND)
            next_url = request.GET.get("next", "")
            safe = url_has_allowed_host_and_scheme(
                next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            )
            return redirect(next_url if safe else "/")
    return render(request, "console/login.html", {"form": form}, status=status)


@require_POST
def logout_view(request):
    logout(request)
    return redirect("console:login")


def register_view(request):
    if not settings.REGISTRATION_ENABLED:
        return redirect("console:login")
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = account_services.user_register(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                full_name=form.cleaned_data["full_name"],
            )
        except ValidationError as error:
            form_errors_apply(form, error)
        else:
            login(request, user, backend=BACKEND)
            messages.success(request, "Welcome to Preloop.")
            return redirect("console:home")
    return render(request, "console/register.html", {"form": form})


def invitation_view(request, token: str):
    try:
        invitation = account_services.invitation_from_token(token)
    except account_services.InvitationInvalid as invalid:
        return render(request, "console/invitation.html", {"problem": str(invalid)}, status=400)
    form = PasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = account_services.invitation_accept(
                token=token, password=form.cleaned_data["password"], full_name=form.cleaned_data["full_name"]
            )
        except account_services.InvitationInvalid as invalid:
            return render(request, "console/invitation.html", {"problem": str(invalid)}, status=400)
        except ValidationError as error:
            form_errors_apply(form, error)
        else:
            login(request, user, backend=BACKEND)
            messages.success(request, "Your account is ready.")
            return redirect("console:home")
    return render(request, "console/invitation.html", {"form": form, "invitation": invitation})


@login_required
def home_view(request):
    context = {
        "tracker_count": tracker_selectors.tracker_list(user=request.user).count(),
        "api_key_count": account_selectors.api_key_list(user=request.user).filter(revoked_at__isnull=True).count(),
        "mcp_server_count": mcp_selectors.mcp_server_list(user=request.user).count(),
    }
    return render(request, "console/home.html", context)


@login_required
def api_keys_view(request):
    form = ApiKeyForm(request.POST or None)
    issued = None
    if request.method == "POST" and form.is_valid():
        try:
            issued = account_services.api_key_create(user=request.user, **form.cleaned_data)
        except ValidationError as error:
            form_errors_apply(form, error)
        else:
            form = ApiKeyForm()
    context = {"form": form, "issued": issued, "api_keys": account_selectors.api_key_list(user=request.user)}
    template = "console/partials/api_keys.html" if request.htmx else "console/api_keys.html"
    return render(request, template, context)


@login_required
@require_POST
def api_key_revoke_view(request, api_key_id):
    api_key = get_object_or_404(account_selectors.api_key_list(user=request.user), id=api_key_id)
    account_services.api_key_revoke(api_key=api_key)
    if request.htmx:
        context = {"form": ApiKeyForm(), "api_keys": account_selectors.api_key_list(user=request.user)}
        return render(request, "console/partials/api_keys.html", context)
    return redirect("console:api-keys")
