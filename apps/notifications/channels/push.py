"""Mobile push through the push proxy (PUSH_PROXY_URL, authenticated with PUSH_PROXY_API_KEY).

The proxy holds the APNs/FCM credentials of the Preloop apps; this instance sends it the recipient's device
tokens and the notice. Payload (JSON, `Authorization: Bearer <PUSH_PROXY_API_KEY>`):

    {"devices": [{"platform": "ios", "token": "..."}],
     "title": "Approval needed for create_issue", "body": "Alice via Claude wants to call ...",
     "data": {"type": "approval_request", "request_id": "...", "tool_name": "...", "approve_url": "...",
              "decline_url": "...", "detail_url": "...", "expires_at": "...", "escalation": false},
     "idempotency_key": "<delivery id>"}
"""

from __future__ import annotations

import json

from django.conf import settings as django_settings

from apps.notifications.channels.base import ApprovalNotice, DeliveryResult, Recipient
from apps.notifications.channels.outbound import json_post


def push_configured() -> bool:
    return bool(django_settings.PUSH_PROXY_URL and django_settings.PUSH_PROXY_API_KEY)


def payload(notice: ApprovalNotice, *, devices: list[dict], delivery_id: str = "") -> dict:
    return {
        "devices": devices,
        "title": notice.title,
        "body": notice.summary,
        "data": {
            "type": "approval_request",
            "request_id": notice.request_id,
            "tool_name": notice.tool_name,
            "approve_url": notice.approve_url,
            "decline_url": notice.decline_url,
            "detail_url": notice.detail_url,
            "expires_at": notice.expires_at.isoformat() if notice.expires_at else None,
            "escalation": notice.escalation,
        },
        "idempotency_key": delivery_id,
    }


def send(*, notice: ApprovalNotice, recipient: Recipient, settings, delivery_id: str = "") -> DeliveryResult:
    from apps.notifications.models import Device

    if not push_configured():
        return DeliveryResult.skipped("push is not configured on this instance (PUSH_PROXY_URL, PUSH_PROXY_API_KEY)")
    devices = [
        {"platform": device.platform, "token": device.push_token}
        for device in Device.objects.filter(user_id=recipient.user_id)
    ]
    if not devices:
        return DeliveryResult.skipped("no registered device")
    body = json.dumps(payload(notice, devices=devices, delivery_id=delivery_id)).encode()
    # The proxy is configured by the administrator, not by a user: no SSRF check.
    return json_post(
        django_settings.PUSH_PROXY_URL,
        body=body,
        headers={"Authorization": f"Bearer {django_settings.PUSH_PROXY_API_KEY}"},
        user_supplied=False,
    )
