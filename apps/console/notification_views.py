"""The notification-preferences page: channels, destinations, quiet hours, devices and test notifications."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from apps.console.forms import form_errors_apply
from apps.console.notification_forms import NotificationPreferenceForm
from apps.notifications import devices, preferences, selectors
from apps.notifications.api.serializers import url_mask
from apps.notifications.channels.push import push_configured
from apps.notifications.delivery import notification_test_send
from apps.notifications.models import Channel


def _initial(preference) -> dict:
    return {
        "enabled_channels": preference.enabled_channels,
        "email_address": preference.email_address,
        "quiet_hours_start": preference.quiet_hours_start,
        "quiet_hours_end": preference.quiet_hours_end,
        "timezone": preference.timezone,
    }


def _page(request, *, form=None, extra=None, status=200):
    preference = selectors.preference_get(user_id=request.user.pk)
    context = {
        "form": form or NotificationPreferenceForm(initial=_initial(preference)),
        "preference": preference,
        "masked": {
            "slack": url_mask(preference.slack_webhook_url),
            "mattermost": url_mask(preference.mattermost_webhook_url),
            "webhook": url_mask(preference.webhook_url),
        },
        "channels": Channel.choices,
        "push_configured": push_configured(),
        "devices": selectors.device_list(user=request.user),
        "deliveries": selectors.delivery_list(user=request.user)[:20],
        **(extra or {}),
    }
    return render(request, "console/notification_preferences.html", context, status=status)


@login_required
def notification_preferences_view(request):
    if request.method != "POST":
        return _page(request)
    form = NotificationPreferenceForm(request.POST)
    if form.is_valid():
        try:
            saved = preferences.preference_update(user=request.user, **form.changes())
        except ValidationError as error:
            form_errors_apply(form, error)
        else:
            messages.success(request, "Notification preferences saved.")
            if saved.webhook_secret:
                return _page(request, extra={"webhook_secret": saved.webhook_secret})
            return redirect("console:notification-preferences")
    return _page(request, form=form, status=400)


@login_required
@require_POST
def webhook_secret_rotate_view(request):
    secret = preferences.webhook_secret_rotate(user=request.user)
    return _page(request, extra={"webhook_secret": secret})


@login_required
@require_POST
def device_qr_view(request):
    issued = devices.device_registration_token_create(user=request.user)
    return _page(request, extra={"registration": issued, "registration_qr": issued.qr_svg()})


@login_required
@require_POST
def device_delete_view(request, device_id):
    device = get_object_or_404(selectors.device_list(user=request.user), id=device_id)
    devices.device_delete(device=device)
    messages.success(request, f"Device {device.name or device.platform} removed.")
    return redirect("console:notification-preferences")


@login_required
@require_POST
def notification_test_view(request, channel: str):
    try:
        notification_test_send(user=request.user, channel=channel)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Test notification queued over {channel}; its outcome appears below.")
    return redirect("console:notification-preferences")
