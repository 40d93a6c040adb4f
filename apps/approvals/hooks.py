"""Where notification channels learn of approval requests to announce (the registry each channel appends to).

An announcer is `announcer(request, tokens, channels)`: the ApprovalRequest, `{approver_id: raw_token}` for
the approvers to notify now (raw tokens exist only here and in the links made from them; the database keeps
hashes), and the channel names to use (the policy's `notification_channels`, or its `escalation_channels` on
escalation). It runs after the request is committed, in the process that created or escalated it; a slow
channel should enqueue a Dramatiq job rather than send inline. A failing announcer is logged and never stops
the others, nor the request.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from apps.approvals.models import ApprovalRequest

log = logging.getLogger(__name__)

Announcer = Callable[["ApprovalRequest", Mapping[uuid.UUID, str], Sequence[str]], None]
ANNOUNCERS: list[Announcer] = []


def approval_request_announced(request: ApprovalRequest, tokens: Mapping[uuid.UUID, str],
                               channels: Sequence[str] | None = None) -> None:  # fmt: skip
    """Hand a new (or escalated) request to every registered channel."""
    channels = list(request.notification_channels if channels is None else channels)
    log.info("approval request %s for %s: announcing to %d approver(s) on %s", request.id, request.tool_name,
             len(tokens), ", ".join(channels) or "no channel")  # fmt: skip
    for announcer in list(ANNOUNCERS):
        try:
            announcer(request, tokens, channels)
        except Exception:  # one broken channel never silences the others
            log.exception("announcer %r failed for approval request %s", announcer, request.id)
