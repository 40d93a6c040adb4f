"""Fake Slack and Mattermost incoming webhooks: they check payloads the way the real services do and answer alike.

Slack (https://api.slack.com/messaging/webhooks): 200 `ok` as text; 400 `invalid_blocks` / `no_text` for bad
payloads; 404 `no_service` for an unknown hook. Mattermost (incoming webhooks): 200 `ok`; 400 with a JSON error
when neither text nor attachments are given; 404 for an unknown hook.
"""

from __future__ import annotations

import json
import secrets

from .server import FakeServer, Request, Response

SLACK_BLOCK_TYPES = {"header", "section", "actions", "context", "divider", "image", "rich_text"}


def slack_blocks_problem(blocks: object) -> str | None:
    """Why Slack would refuse these blocks (a subset of Block Kit's rules, the ones our messages touch)."""
    if not isinstance(blocks, list) or len(blocks) > 50:
        return "blocks must be a list of at most 50"
    for block in blocks:
        kind = block.get("type")
        if kind not in SLACK_BLOCK_TYPES:
            return f"unknown block type {kind!r}"
        if kind == "header":
            text = block.get("text", {})
            if text.get("type") != "plain_text" or not 0 < len(text.get("text", "")) <= 150:
                return "header text must be plain_text of 1-150 characters"
        if kind == "section":
            text, fields = block.get("text"), block.get("fields")
            if text is None and not fields:
                return "a section needs text or fields"
            if text is not None and (text.get("type") not in ("mrkdwn", "plain_text") or len(text["text"]) > 3000):
                return "section text must be mrkdwn/plain_text up to 3000 characters"
            if fields and (len(fields) > 10 or any(len(field["text"]) > 2000 for field in fields)):
                return "at most 10 fields of up to 2000 characters"
        if kind == "actions":
            elements = block.get("elements", [])
            if not 0 < len(elements) <= 25:
                return "actions need 1-25 elements"
            for element in elements:
                if element.get("type") != "button":
                    return "only buttons are expected here"
                label = element.get("text", {})
                if label.get("type") != "plain_text" or not 0 < len(label.get("text", "")) <= 75:
                    return "button text must be plain_text of 1-75 characters"
                if not element.get("action_id") or len(element["action_id"]) > 255:
                    return "a button needs an action_id"
                if "url" in element and not (0 < len(element["url"]) <= 3000):
                    return "button url too long"
                if element.get("style") not in (None, "primary", "danger"):
                    return "style must be primary or danger"
    return None


class FakeSlack(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.hook_path = (
            f"/services/T{secrets.token_hex(4).upper()}/B{secrets.token_hex(4).upper()}/{secrets.token_hex(12)}"
        )
        self.messages: list[dict] = []
        self.route("POST", r"/services/.+", self._incoming)

    @property
    def webhook_url(self) -> str:
        return self.url + self.hook_path

    def _incoming(self, request: Request) -> Response:
        if request.path != self.hook_path:
            return Response(404, "no_service")
        try:
            payload = json.loads(request.body)
        except json.JSONDecodeError:
            return Response(400, "invalid_payload")
        if not payload.get("text") and not payload.get("blocks"):
            return Response(400, "no_text")
        if "blocks" in payload and slack_blocks_problem(payload["blocks"]):
            return Response(400, "invalid_blocks")
        self.messages.append(payload)
        return Response(200, "ok")


class FakeMattermost(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.hook_id = secrets.token_hex(13)
        self.messages: list[dict] = []
        self.route("POST", r"/hooks/(?P<hook>[^/]+)", self._incoming)

    @property
    def webhook_url(self) -> str:
        return f"{self.url}/hooks/{self.hook_id}"

    def _incoming(self, request: Request) -> Response:
        if request.params["hook"] != self.hook_id:
            return Response(404, {"id": "web.incoming_webhook.invalid.app_error", "message": "Invalid webhook"})
        payload = json.loads(request.body)
        attachments = payload.get("attachments")
        if not payload.get("text") and not attachments:
            return Response(
                400, {"id": "web.incoming_webhook.text.app_error", "message": "No text specified", "status_code": 400}
            )
        if attachments is not None and not (
            isinstance(attachments, list)
            and all(isinstance(item, dict) and all({"title", "value"} <= set(f) for f in item.get("fields", []))
                    for item in attachments)
        ):  # fmt: skip
            return Response(400, {"id": "web.incoming_webhook.attachments.app_error", "message": "Bad attachments"})
        self.messages.append(payload)
        return Response(200, "ok")
