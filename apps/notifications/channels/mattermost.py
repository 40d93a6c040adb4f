"""Mattermost incoming webhooks: a message attachment with the call and approve/decline links.

Mattermost's interactive buttons post to an integration URL rather than opening a link, so the decision links
are Markdown links in the attachment (clicking one opens the one-click decision page).
"""

from __future__ import annotations

import json

from apps.notifications.channels.base import ApprovalNotice, DeliveryResult, Recipient
from apps.notifications.channels.outbound import json_post


def message(notice: ApprovalNotice) -> dict:
    """The incoming-webhook payload (https://developers.mattermost.com/integrate/reference/message-attachments/)."""
    links = []
    if notice.approve_url:
        links.append(f"[✅ Approve]({notice.approve_url})")
    if notice.decline_url:
        links.append(f"[❌ Decline]({notice.decline_url})")
    if notice.detail_url:
        links.append(f"[Open in Preloop]({notice.detail_url})")
    fields = [
        {"short": True, "title": "Tool", "value": f"`{notice.tool_name}`"},
        {"short": True, "title": "Source", "value": notice.source_label},
        {"short": True, "title": "Requested by", "value": notice.requester_name or notice.requester_email},
    ]
    if notice.client_name:
        fields.append({"short": True, "title": "Client", "value": notice.client_name})
    if notice.justification:
        fields.append({"short": False, "title": "Justification", "value": notice.justification})
    fields.append({"short": False, "title": "Arguments", "value": f"```json\n{notice.arguments_text}\n```"})
    if notice.expires_at:
        fields.append({"short": True, "title": "Expires", "value": f"{notice.expires_at:%Y-%m-%d %H:%M %Z}"})
    attachment = {
        "fallback": f"{notice.title}: {notice.summary}",
        "color": "#d9822b" if notice.escalation else "#2b6cd9",
        "title": notice.title,
        "text": notice.summary + ("\n\n" + " · ".join(links) if links else ""),
        "fields": fields,
    }
    if notice.detail_url:
        attachment["title_link"] = notice.detail_url
    return {"username": "Preloop", "text": f"**{notice.title}**", "attachments": [attachment]}


def send(*, notice: ApprovalNotice, recipient: Recipient, settings, delivery_id: str = "") -> DeliveryResult:
    url = settings.mattermost_webhook_url
    if not url:
        return DeliveryResult.skipped("no Mattermost webhook URL in the preferences")
    return json_post(url, body=json.dumps(message(notice)).encode())
