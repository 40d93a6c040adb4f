"""A generic signed webhook: JSON POSTed to the user's URL, signed with their Preloop-generated secret.

Headers: `X-Preloop-Event: approval.requested`, `X-Preloop-Delivery: <delivery id>`,
`X-Preloop-Timestamp: <unix seconds>` and `X-Preloop-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`.
Receivers recompute the HMAC, compare in constant time and refuse old timestamps (replays).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time

from apps.notifications.channels.base import ApprovalNotice, DeliveryResult, Recipient
from apps.notifications.channels.outbound import json_post

EVENT = "approval.requested"


def signature(*, secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def payload(notice: ApprovalNotice, *, delivery_id: str = "") -> dict:
    return {"event": EVENT, "delivery_id": delivery_id, "approval_request": notice.to_json()}


def send(*, notice: ApprovalNotice, recipient: Recipient, settings, delivery_id: str = "") -> DeliveryResult:
    if not settings.webhook_url:
        return DeliveryResult.skipped("no webhook URL in the preferences")
    if not settings.webhook_secret:
        return DeliveryResult.skipped("the webhook has no signing secret; rotate one in the preferences")
    body = json.dumps(payload(notice, delivery_id=delivery_id), separators=(",", ":")).encode()

    def sign() -> dict:
        # Signed again on every attempt, so a retry carries a fresh timestamp a receiver's replay window accepts.
        timestamp = str(int(time.time()))
        return {
            "X-Preloop-Timestamp": timestamp,
            "X-Preloop-Signature": signature(secret=settings.webhook_secret, timestamp=timestamp, body=body),
        }

    headers = {"X-Preloop-Event": EVENT, "X-Preloop-Delivery": delivery_id}
    return json_post(settings.webhook_url, body=body, headers=headers, signer=sign)
