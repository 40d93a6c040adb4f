"""Slack incoming webhooks: a Block Kit message whose buttons are the approve/decline links."""

from __future__ import annotations

import json

from apps.notifications.channels.base import ApprovalNotice, DeliveryResult, Recipient
from apps.notifications.channels.outbound import json_post

SECTION_TEXT_LIMIT = 3000  # Slack refuses longer section texts (invalid_blocks)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def message(notice: ApprovalNotice) -> dict:
    """The Block Kit payload (https://api.slack.com/reference/block-kit/blocks)."""
    fields = [
        {"type": "mrkdwn", "text": f"*Tool*\n`{notice.tool_name}`"},
        {"type": "mrkdwn", "text": f"*Source*\n{notice.source_label}"},
        {"type": "mrkdwn", "text": f"*Requested by*\n{notice.requester_name or notice.requester_email}"},
    ]
    if notice.client_name:
        fields.append({"type": "mrkdwn", "text": f"*Client*\n{notice.client_name}"})
    if notice.expires_at:
        fields.append({"type": "mrkdwn", "text": f"*Expires*\n{notice.expires_at:%Y-%m-%d %H:%M %Z}"})
    blocks: list[dict] = [
        {"type": "header", "text": {"type": "plain_text", "text": _clip(notice.title, 150)}},
        {"type": "section", "text": {"type": "mrkdwn", "text": _clip(notice.summary, SECTION_TEXT_LIMIT)}},
        {"type": "section", "fields": fields},
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": _clip(f"*Arguments*\n```{notice.arguments_text}```", SECTION_TEXT_LIMIT),
            },
        },
    ]
    if notice.justification:
        text = _clip(f"*Justification*\n>{notice.justification}", SECTION_TEXT_LIMIT)
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text}})
    buttons = []
    if notice.approve_url:
        buttons.append(_button("Approve", notice.approve_url, "approve", style="primary"))
    if notice.decline_url:
        buttons.append(_button("Decline", notice.decline_url, "decline", style="danger"))
    if notice.detail_url:
        buttons.append(_button("Open in Preloop", notice.detail_url, "open"))
    if buttons:
        blocks.append({"type": "actions", "block_id": f"preloop-{notice.request_id}"[:255], "elements": buttons})
    return {"text": f"{notice.title}: {notice.summary}", "blocks": blocks}


def _button(label: str, url: str, action: str, *, style: str | None = None) -> dict:
    # A link button: Slack opens the URL in the browser; the action_id is required but nothing listens to it.
    button = {"type": "button", "text": {"type": "plain_text", "text": label}, "url": url, "action_id": action}
    if style:
        button["style"] = style
    return button


def send(*, notice: ApprovalNotice, recipient: Recipient, settings, delivery_id: str = "") -> DeliveryResult:
    url = settings.slack_webhook_url
    if not url:
        return DeliveryResult.skipped("no Slack webhook URL in the preferences")
    return json_post(url, body=json.dumps(message(notice)).encode())
