"""Approval requests told to their approvers on the notification channels.

The approvals app announces each new or escalated request through `apps.approvals.hooks.ANNOUNCERS`; this
announcer (registered when the app starts) builds the notice, gives each approver their own one-click links
(their token; the page they open asks them to confirm, so opening a link decides nothing) and hands it to the
dispatcher, which queues one worker message per approver and channel.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence

from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse

from apps.notifications.channels import ApprovalNotice, Recipient
from apps.notifications.delivery import approval_notice_dispatch


def _source_label(request) -> str:
    from apps.mcp_proxy.models import ExternalMcpServer, ToolSource

    if request.tool_source == ToolSource.PRELOOP_BUILTIN:
        return "Preloop"
    server = ExternalMcpServer.objects.filter(pk=request.tool_source).only("name").first()
    return server.name if server is not None else "an MCP server"


def approval_request_announce(request, tokens: Mapping[uuid.UUID, str], channels: Sequence[str]) -> None:
    """Notify the approvers given `tokens` on `channels` (the approvals app's announce hook)."""
    requester = request.owner
    link = settings.PRELOOP_URL + reverse("approval-link", args=[request.id])
    notice = ApprovalNotice(
        request_id=str(request.id), requester_name=requester.get_full_name() or requester.email,
        requester_email=requester.email, tool_name=request.tool_name, source_label=_source_label(request),
        arguments=request.arguments, justification=request.justification, client_name=request.client_name,
        expires_at=request.expires_at, detail_url=settings.PRELOOP_URL + reverse("console:approval", args=[request.id]),
        escalation=request.escalated_at is not None,
    )  # fmt: skip
    approvers = get_user_model().objects.filter(pk__in=list(tokens), is_active=True)
    recipients = [Recipient.for_user(approver, approve_url=f"{link}?token={tokens[approver.pk]}&decision=approve",
                                     decline_url=f"{link}?token={tokens[approver.pk]}&decision=decline")
                  for approver in approvers]  # fmt: skip
    approval_notice_dispatch(notice=notice, recipients=recipients, channels=list(channels),
                             ignore_quiet_hours=notice.escalation)  # fmt: skip
