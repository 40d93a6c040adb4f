from django import forms

from apps.notifications.models import Channel

URL_HELP = "Stored encrypted; shown masked. Leave empty to keep the stored one."


class NotificationPreferenceForm(forms.Form):
    enabled_channels = forms.MultipleChoiceField(
        label="Channels", choices=Channel.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    email_address = forms.EmailField(label="Email address (optional)", required=False)
    slack_webhook_url = forms.CharField(label="Slack incoming webhook URL", required=False, help_text=URL_HELP)
    clear_slack_webhook_url = forms.BooleanField(label="Remove the Slack webhook URL", required=False)
    mattermost_webhook_url = forms.CharField(
        label="Mattermost incoming webhook URL", required=False, help_text=URL_HELP
    )
    clear_mattermost_webhook_url = forms.BooleanField(label="Remove the Mattermost webhook URL", required=False)
    webhook_url = forms.CharField(label="Signed webhook URL", required=False, help_text=URL_HELP)
    clear_webhook_url = forms.BooleanField(label="Remove the webhook URL", required=False)
    quiet_hours_start = forms.TimeField(
        label="Quiet hours from", required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    quiet_hours_end = forms.TimeField(
        label="Quiet hours until", required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    timezone = forms.CharField(label="Time zone", max_length=64, initial="UTC")

    def changes(self) -> dict:
        """What to pass to `preference_update`: empty URL fields keep the stored URL unless "remove" is ticked."""
        data = dict(self.cleaned_data)
        for field in ("slack_webhook_url", "mattermost_webhook_url", "webhook_url"):
            if data.pop(f"clear_{field}"):
                data[field] = ""
            elif not data[field]:
                del data[field]
        return data
