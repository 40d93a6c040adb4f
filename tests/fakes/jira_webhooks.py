"""Webhook deliveries as the Jira fake would send them: realistic payloads and the admin-webhook signature.

Jira signs a webhook that has a secret with HMAC-SHA256 over the raw body, in `X-Hub-Signature: sha256=<hex>`
(Cloud admin webhooks since 2024, Data Center's "secret token"). Payloads show the issue in REST v2 form
(Cloud included: descriptions and comment bodies as wiki markup, self links under /rest/api/2).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid

from .jira_data import IssueRecord
from .jira_render import NAVIGABLE_FIELDS

ISSUE_EVENTS = ("jira:issue_created", "jira:issue_updated", "jira:issue_deleted")
COMMENT_EVENTS = ("comment_created", "comment_updated", "comment_deleted")
# The summary fields a comment event carries for its issue.
COMMENT_ISSUE_FIELDS = frozenset({"summary", "status", "priority", "assignee", "issuetype", "project"})


class JiraWebhooksMixin:
    """Mixed into FakeJira."""

    def webhook(
        self, payload: dict, secret: str | None = None, *, retry: int = 0, identifier: str | None = None
    ) -> tuple[dict[str, str], bytes]:
        """Headers and raw body of one delivery; with a secret, signed as `X-Hub-Signature: sha256=<hex>`."""
        body = json.dumps(payload, separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json; charset=UTF-8",
            "User-Agent": "Atlassian Webhook HTTP Client",
            "X-Atlassian-Webhook-Identifier": identifier or str(uuid.uuid4()),
            "X-Atlassian-Webhook-Flow": "Primary",
        }
        if retry:
            headers["X-Atlassian-Webhook-Retry"] = str(retry)
        if secret is not None:
            digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
            headers["X-Hub-Signature"] = f"sha256={digest}"
        return headers, body

    def _webhook_issue(self, key: str) -> IssueRecord:
        issue = self._issue_by_reference(key) or self._deleted.get(key.upper())
        if issue is None:
            raise KeyError(f"no issue {key}")
        return issue

    def issue_event_payload(
        self,
        key: str,
        webhook_event: str = "jira:issue_updated",
        *,
        user: str | None = None,
        changelog_items: list[dict] | None = None,
        comment_id: int | str | None = None,
    ) -> dict:
        """jira:issue_created / _updated (with the issue's latest changelog, or `changelog_items`) / _deleted.

        With `comment_id`, the jira:issue_updated Jira sends alongside comment_created ("issue_commented").
        """
        if webhook_event not in ISSUE_EVENTS:
            raise ValueError(f"issue events are {ISSUE_EVENTS}")
        with self.lock:
            issue = self._webhook_issue(key)
            latest = issue.history[-1] if issue.history else None
            actor = self._find_user(user) if user else (latest and latest["author"]) or self.me
            payload = {
                "timestamp": self._now_ms(),
                "webhookEvent": webhook_event,
                "issue_event_type_name": f"issue_{webhook_event.split('_', 1)[1]}",
                "user": self._user_json(actor, "2"),
                "issue": self._issue_json(issue, "2", NAVIGABLE_FIELDS),
            }
            if webhook_event == "jira:issue_updated":
                if comment_id is not None:
                    payload["issue_event_type_name"] = "issue_commented"
                    payload["comment"] = self._comment_json(issue, self._webhook_comment(issue, comment_id), "2")
                    return payload
                items = changelog_items if changelog_items is not None else (latest["items"] if latest else [])
                payload["issue_event_type_name"] = _event_type_name(items)
                payload["changelog"] = {
                    "id": str(latest["id"] if latest else 0),
                    "items": [dict(item) for item in items],
                }
            return payload

    def _webhook_comment(self, issue: IssueRecord, comment_id):
        for comment in issue.comments:
            if str(comment.id) == str(comment_id):
                return comment
        raise KeyError(f"no comment {comment_id} on {issue.key}")

    def comment_event_payload(self, key: str, comment_id: int | str, webhook_event: str = "comment_created") -> dict:
        """comment_created / _updated / _deleted: `timestamp`, `webhookEvent`, `comment`, and a short `issue`.

        Real comment events carry no `user` or `issue_event_type_name`; the comment's author is in `comment`.
        """
        if webhook_event not in COMMENT_EVENTS:
            raise ValueError(f"comment events are {COMMENT_EVENTS}")
        with self.lock:
            issue = self._webhook_issue(key)
            comment = self._webhook_comment(issue, comment_id)
            return {
                "timestamp": self._now_ms(),
                "webhookEvent": webhook_event,
                "comment": self._comment_json(issue, comment, "2"),
                "issue": self._issue_json(issue, "2", COMMENT_ISSUE_FIELDS),
            }


def _event_type_name(items: list[dict]) -> str:
    """Jira's issue_event_type_name for an update, from what changed."""
    fields = {item.get("field") for item in items}
    if "Key" in fields:
        return "issue_moved"
    if "status" in fields:
        return "issue_generic"
    if fields == {"assignee"}:
        return "issue_assigned"
    return "issue_updated"
