from urllib.parse import urlsplit

from rest_framework import serializers

from apps.notifications.channels.push import push_configured
from apps.notifications.models import Channel, Device, DevicePlatform, NotificationDelivery
from preloop.crypto import mask


def url_mask(url: str) -> str:
    """Scheme and host stay readable (which service), the path with its secret does not."""
    if not url:
        return ""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/{mask(parts.path + ('?' + parts.query if parts.query else ''))}"


def is_masked(value: str) -> bool:
    """A masked value sent back unchanged (a form re-submitted) means "keep what is stored"."""
    return "••••" in value


class NotificationPreferenceSerializer(serializers.Serializer):
    enabled_channels = serializers.ListField(child=serializers.ChoiceField(choices=Channel.choices))
    available_channels = serializers.SerializerMethodField()
    email_address = serializers.EmailField(help_text="Empty: the account's email address.")
    slack_webhook_url = serializers.SerializerMethodField(help_text="Masked; write-only in full.")
    mattermost_webhook_url = serializers.SerializerMethodField(help_text="Masked; write-only in full.")
    webhook_url = serializers.SerializerMethodField(help_text="Masked; write-only in full.")
    webhook_secret_set = serializers.SerializerMethodField()
    quiet_hours_start = serializers.TimeField(allow_null=True)
    quiet_hours_end = serializers.TimeField(allow_null=True)
    timezone = serializers.CharField()
    push_configured = serializers.SerializerMethodField(help_text="PUSH_PROXY_URL and PUSH_PROXY_API_KEY are set.")
    updated_at = serializers.DateTimeField(allow_null=True)

    def get_available_channels(self, preference) -> list[str]:
        return list(Channel.values)

    def get_slack_webhook_url(self, preference) -> str:
        return url_mask(preference.slack_webhook_url)

    def get_mattermost_webhook_url(self, preference) -> str:
        return url_mask(preference.mattermost_webhook_url)

    def get_webhook_url(self, preference) -> str:
        return url_mask(preference.webhook_url)

    def get_webhook_secret_set(self, preference) -> bool:
        return bool(preference.webhook_secret)

    def get_push_configured(self, preference) -> bool:
        return push_configured()


class NotificationPreferenceSavedSerializer(NotificationPreferenceSerializer):
    webhook_secret = serializers.CharField(
        required=False, help_text="Only when this save generated the signing secret (a first webhook URL): shown once."
    )


class NotificationPreferenceUpdateSerializer(serializers.Serializer):
    """Every field optional: a PUT changes what it sends. URLs: "" clears, a masked value keeps the stored one."""

    enabled_channels = serializers.ListField(child=serializers.CharField(), required=False)
    email_address = serializers.EmailField(required=False, allow_blank=True)
    slack_webhook_url = serializers.CharField(required=False, allow_blank=True, max_length=2000, trim_whitespace=True)
    mattermost_webhook_url = serializers.CharField(
        required=False, allow_blank=True, max_length=2000, trim_whitespace=True
    )
    webhook_url = serializers.CharField(required=False, allow_blank=True, max_length=2000, trim_whitespace=True)
    quiet_hours_start = serializers.TimeField(required=False, allow_null=True)
    quiet_hours_end = serializers.TimeField(required=False, allow_null=True)
    timezone = serializers.CharField(required=False, max_length=64)

    def validate(self, data):
        return {field: value for field, value in data.items() if not (isinstance(value, str) and is_masked(value))}


class NotificationWebhookSecretSerializer(serializers.Serializer):
    webhook_secret = serializers.CharField(help_text="Shown only in this response; the previous secret stops working.")


class TestNotificationSerializer(serializers.Serializer):
    channel = serializers.CharField()


class NotificationDeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = NotificationDelivery
        fields = [
            "id",
            "channel",
            "request_id",
            "status",
            "attempts",
            "last_error",
            "response_status",
            "response_excerpt",
            "created_at",
            "finished_at",
        ]


class TestNotificationResultSerializer(serializers.Serializer):
    deliveries = NotificationDeliverySerializer(many=True)


class DeviceSerializer(serializers.ModelSerializer):
    push_token = serializers.SerializerMethodField(help_text="Masked.")

    class Meta:
        model = Device
        fields = ["id", "platform", "name", "push_token", "created_at", "last_seen_at"]

    def get_push_token(self, device) -> str:
        return mask(device.push_token)


class RegistrationTokenSerializer(serializers.Serializer):
    registration_token = serializers.CharField(help_text="Single use; shown only in this response.")
    server_url = serializers.CharField()
    expires_at = serializers.DateTimeField()
    qr_payload = serializers.CharField(help_text="The JSON the console's QR code encodes.")


class DeviceRegisterSerializer(serializers.Serializer):
    registration_token = serializers.CharField(max_length=200)
    platform = serializers.ChoiceField(choices=DevicePlatform.choices)
    name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    push_token = serializers.CharField(max_length=4096)
