"""Approval requests: made, decided, cancelled, expired, escalated, consumed. Each write is one transaction that
locks the request row while it decides (never across a wait); events go out only after commit.

The quorum rule: a request is approved when `approvals_required` distinct approvers (of its snapshot) have
approved, and declined as soon as any approver declines, or from the start when its approvers are fewer
than the approvals it needs (then no answer could reach the quorum). One "no" is enough because an approver
who refuses usually knows something the others do not; a request that needs more "yes" than it can get must
not wait its whole timeout for nothing. A request that nobody decides in time expires: the call is refused.

What listeners get after commit:
- the `approvals` WebSocket topic of the requester and of every approver: `approval_request` (new, or newly
  escalated: `data.escalated`), `approval_decision` (one approver decided; `data.status` tells whether that
  ended it), `approval_expired`, `approval_cancelled`; `data` is `approval_request_summary(request)`;
- the channel-layer group `approval_request_group(request_id)`, once, when the request leaves `pending`:
  `{"type": "approval.finished", "request_id": "<uuid>", "status": "approved|declined|expired|cancelled"}`.
  A waiting call listens there, then reads the row again: the database, not the message, decides.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.utils import timezone

from apps.approvals import hooks
from apps.approvals.errors import ApprovalAlreadyFinished, ApprovalNotAnApprover, ApprovalTokenInvalid
from apps.approvals.models import ApprovalDecision, ApprovalPolicy, ApprovalRequest, ApprovalStatus, ApprovalToken
from apps.approvals.policies import ResolvedPolicy
from apps.mcp_proxy.audit import arguments_digest as digest_of
from apps.mcp_proxy.audit import arguments_redact
from apps.notifications.services import event_publish
from apps.notifications.topics import APPROVALS
from preloop.crypto import secret_hash, secrets_equal

log = logging.getLogger(__name__)

FINISHED_MESSAGE_TYPE = "approval.finished"


def approval_request_group(request_id: uuid.UUID | str) -> str:
    """The channel-layer group a waiting call joins to hear that its request ended."""
    return f"approval_{uuid.UUID(str(request_id)).hex}"


def approval_request_summary(request: ApprovalRequest) -> dict[str, Any]:
    """What events carry about a request: enough to show it, nothing secret (arguments are redacted)."""
    return {
        "request_id": str(request.id), "status": request.status, "tool_name": request.tool_name,
        "tool_source": request.tool_source, "requester_id": str(request.owner_id),
        "approver_ids": [str(approver) for approver in request.approver_ids],
        "approvals_required": request.approvals_required, "justification": request.justification,
        "arguments": request.arguments, "expires_at": request.expires_at.isoformat(),
        "decided_at": request.decided_at.isoformat() if request.decided_at else None,
        "decision_reason": request.decision_reason,
    }  # fmt: skip


def _publish(request: ApprovalRequest, event_type: str, *, to: Iterable[uuid.UUID] | None = None, **extra) -> None:
    """The event to the requester and every approver (each once), after commit."""
    data = {**approval_request_summary(request), **extra}
    audience = to if to is not None else [request.owner_id, *request.approver_ids]
    for user_id in dict.fromkeys(audience):
        event_publish(user_id=user_id, topic=APPROVALS, event_type=event_type, data=data)


def _finished_send(request: ApprovalRequest) -> None:
    message = {"type": FINISHED_MESSAGE_TYPE, "request_id": str(request.id), "status": request.status}
    group = approval_request_group(request.id)

    def send() -> None:
        try:
            async_to_sync(get_channel_layer().group_send)(group, message)
        except Exception:  # the waiting call also re-reads the row on its own; a lost message delays, never approves
            log.exception("could not tell group %s that approval request %s ended", group, request.id)

    transaction.on_commit(send)


def _end(request: ApprovalRequest, status: str, reason: str, event_type: str | None, **extra) -> None:
    """Move a locked pending request to its end, and tell everyone once committed."""
    request.status, request.decision_reason, request.decided_at = status, reason, timezone.now()
    request.save(update_fields=["status", "decision_reason", "decided_at"])
    if event_type:
        _publish(request, event_type, **extra)
    _finished_send(request)


def _tokens_issue(request: ApprovalRequest, approver_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    """One fresh token per approver: the raw values are returned once, only their hashes are kept."""
    raw = {approver_id: secrets.token_urlsafe(32) for approver_id in approver_ids}
    ApprovalToken.objects.bulk_create(
        ApprovalToken(request=request, approver_id=approver_id, token_hash=secret_hash(token))
        for approver_id, token in raw.items()
    )
    return raw


def _announce_after_commit(request: ApprovalRequest, tokens: Mapping[uuid.UUID, str], channels) -> None:
    transaction.on_commit(lambda: hooks.approval_request_announced(request, tokens, channels))


def approval_request_create(*, user, tool_name: str, tool_source: str, tool_name_at_source: str,
                            arguments: dict, justification: str = "", client_name: str = "",
                            session_id: str | None = "", transport: str = "",
                            policy: ResolvedPolicy) -> tuple[ApprovalRequest, dict[uuid.UUID, str]]:  # fmt: skip
    """Store a pending request for `user`'s call under `policy`, issue one link token per approver and announce it.

    Returns the request and `{approver_id: raw_token}` (the only time raw tokens exist). `arguments` are
    those the tool would receive: stored redacted, bound by their digest.
    """
    now = timezone.now()
    approver_ids = list(dict.fromkeys(policy.approver_ids))
    escalates_at = None
    if policy.escalation_after_seconds and (policy.escalation_approver_ids or policy.escalation_channels):
        escalates_at = now + dt.timedelta(seconds=policy.escalation_after_seconds)
    with transaction.atomic():
        # The snapshot decides; the link to the policy is kept only while the policy exists (deleted since: none).
        policy_id = policy.policy_id
        if policy_id and not ApprovalPolicy.objects.filter(pk=policy_id).exists():
            policy_id = None
        request = ApprovalRequest.objects.create(
            owner=user, policy_id=policy_id, policy_name=policy.name[:200], approver_ids=approver_ids,
            approvals_required=policy.approvals_required, notification_channels=list(policy.notification_channels),
            timeout_seconds=policy.timeout_seconds, escalates_at=escalates_at,
            escalation_approver_ids=list(policy.escalation_approver_ids),
            escalation_channels=list(policy.escalation_channels),
            tool_name=tool_name[:200], tool_source=str(tool_source)[:100],
            tool_name_at_source=tool_name_at_source[:200], arguments=arguments_redact(arguments),
            arguments_digest=digest_of(arguments), justification=justification or "",
            client_name=(client_name or "")[:200], session_id=(session_id or "")[:200], transport=transport[:10],
            created_at=now, expires_at=now + dt.timedelta(seconds=policy.timeout_seconds),
        )  # fmt: skip
        tokens = _tokens_issue(request, approver_ids)
        _publish(request, "approval_request")
        if len(approver_ids) < policy.approvals_required:
            _end(request, ApprovalStatus.DECLINED, f"The policy needs {policy.approvals_required} approvals but has "
                 f"{len(approver_ids)} active approver(s), so no decision could approve it.", "approval_decision")  # fmt: skip
            return request, {}
        _announce_after_commit(request, tokens, request.notification_channels)
    return request, tokens


def _approver_label(approver) -> str:
    return approver.email or str(approver.pk)


def _decide_locked(locked: ApprovalRequest, approver, approve: bool, comment: str, via: str) -> bool:
    """Record the decision on a locked row; True when it decided, False when the request had just expired."""
    if approver.pk not in locked.approver_ids:
        raise ApprovalNotAnApprover("You are not an approver of this request.")
    if locked.status != ApprovalStatus.PENDING:
        raise ApprovalAlreadyFinished(locked)
    if locked.expires_at <= timezone.now():
        _end(locked, ApprovalStatus.EXPIRED, "Nobody decided before the timeout.", "approval_expired")
        return False
    if locked.decisions.filter(approver=approver).exists():
        raise ApprovalAlreadyFinished(locked, "You already decided on this request; it waits for the others.")
    comment = (comment or "").strip()
    ApprovalDecision.objects.create(request=locked, approver=approver, approve=approve, comment=comment, via=via)
    said = f": {comment}" if comment else ""
    if not approve:
        _end(locked, ApprovalStatus.DECLINED, f"Declined by {_approver_label(approver)}{said}", "approval_decision",
             approver_id=str(approver.pk), approve=False, comment=comment)  # fmt: skip
        return True
    approvals = locked.decisions.filter(approve=True).count()
    if approvals >= locked.approvals_required:
        _end(locked, ApprovalStatus.APPROVED, f"Approved by {_approver_label(approver)}{said}", "approval_decision",
             approver_id=str(approver.pk), approve=True, comment=comment)  # fmt: skip
    else:
        _publish(locked, "approval_decision", approver_id=str(approver.pk), approve=True, comment=comment,
                 approvals=approvals)  # fmt: skip
    return True


def approval_request_decide(*, request: ApprovalRequest, approver, approve: bool, comment: str = "",
                            via: str = "api") -> ApprovalRequest:  # fmt: skip
    """One approver's decision. Raises ApprovalNotAnApprover, or ApprovalAlreadyFinished (ended, expired, or
    this approver decided already) carrying the request as it now is."""
    with transaction.atomic():
        locked = ApprovalRequest.objects.select_for_update().get(pk=request.pk)
        decided = _decide_locked(locked, approver, approve, comment, via)
    if not decided:  # it timed out just before: the expiry is committed, and the caller hears it ended
        raise ApprovalAlreadyFinished(locked)
    return locked


def approval_request_cancel(*, request: ApprovalRequest, reason: str) -> ApprovalRequest:
    """Cancel a pending request (the client went away); an ended one is returned unchanged."""
    with transaction.atomic():
        locked = ApprovalRequest.objects.select_for_update().get(pk=request.pk)
        if locked.status == ApprovalStatus.PENDING:
            _end(locked, ApprovalStatus.CANCELLED, reason or "Cancelled: the client went away.", "approval_cancelled")
    return locked


def approval_request_expire_due(*, request: ApprovalRequest) -> ApprovalRequest:
    """Expire one pending request whose timeout has passed (the waiting call at its deadline, rather than wait
    for the sweep); returns the row as it now is: a decision that came first stands, a request not yet due
    stays pending."""
    with transaction.atomic():
        locked = ApprovalRequest.objects.select_for_update().get(pk=request.pk)
        if locked.status == ApprovalStatus.PENDING and locked.expires_at <= timezone.now():
            _end(locked, ApprovalStatus.EXPIRED, "Nobody decided before the timeout.", "approval_expired")
    return locked


def approval_requests_expire(*, now: dt.datetime | None = None) -> int:
    """Expire every pending request past its timeout (the periodic sweep); returns how many."""
    now = now or timezone.now()
    due = ApprovalRequest.objects.filter(status=ApprovalStatus.PENDING, expires_at__lte=now)
    expired = 0
    for request_id in list(due.values_list("id", flat=True)[:5000]):
        with transaction.atomic():
            # skip_locked: a row being decided right now is left to that decision (it expires it itself if due).
            locked = (
                ApprovalRequest.objects.select_for_update(skip_locked=True)
                .filter(pk=request_id, status=ApprovalStatus.PENDING, expires_at__lte=now)
                .first()
            )
            if locked is not None:
                _end(locked, ApprovalStatus.EXPIRED, "Nobody decided before the timeout.", "approval_expired")
                expired += 1
    return expired


def approval_requests_escalate(*, now: dt.datetime | None = None) -> int:
    """Escalate every pending request past its escalation time: its escalation approvers join the approvers,
    get link tokens, and everyone is announced on the escalation channels. Returns how many."""
    now = now or timezone.now()
    due = ApprovalRequest.objects.filter(status=ApprovalStatus.PENDING, escalated_at__isnull=True,
                                         escalates_at__lte=now, expires_at__gt=now)  # fmt: skip
    escalated = 0
    for request_id in list(due.values_list("id", flat=True)[:5000]):
        with transaction.atomic():
            locked = (
                ApprovalRequest.objects.select_for_update(skip_locked=True)
                .filter(pk=request_id, status=ApprovalStatus.PENDING, escalated_at__isnull=True)
                .first()
            )
            if locked is None:
                continue
            added = [user_id for user_id in locked.escalation_approver_ids if user_id not in locked.approver_ids]
            locked.approver_ids = [*locked.approver_ids, *added]
            locked.escalated_at = now
            locked.save(update_fields=["approver_ids", "escalated_at"])
            tokens = _tokens_issue(locked, added)
            _publish(locked, "approval_request", escalated=True)
            channels = locked.escalation_channels or locked.notification_channels
            _announce_after_commit(locked, tokens, channels)
            escalated += 1
    return escalated


def approval_consume(*, user, tool_source: str, tool_name_at_source: str,
                     arguments_digest: str) -> ApprovalRequest | None:  # fmt: skip
    """The call-again mode: use an approved, unused, unexpired approval of `user` for this very tool and these
    very arguments (by digest). Returns it, marked used, or None; an approval is used at most once."""
    now = timezone.now()
    candidates = ApprovalRequest.objects.filter(
        owner=user, tool_source=str(tool_source), tool_name_at_source=tool_name_at_source,
        arguments_digest=arguments_digest, status=ApprovalStatus.APPROVED, used_at__isnull=True, expires_at__gt=now,
    ).order_by("decided_at")  # fmt: skip
    for request in candidates[:5]:
        # A conditional update is the lock: of two calls racing for one approval, exactly one gets it.
        if ApprovalRequest.objects.filter(pk=request.pk, used_at__isnull=True).update(used_at=now):
            request.used_at = now
            return request
    return None


def approval_request_link_tool_call(*, request: ApprovalRequest, tool_call) -> None:
    """Point the request at the audit row of the call it decided."""
    ApprovalRequest.objects.filter(pk=request.pk).update(tool_call=tool_call)
    request.tool_call = tool_call


def _token_find(request_id: uuid.UUID | str, raw_token: str | None) -> ApprovalToken:
    if not raw_token:
        raise ApprovalTokenInvalid(ApprovalTokenInvalid.MISSING)
    try:
        request_uuid = uuid.UUID(str(request_id))
    except ValueError:
        raise ApprovalTokenInvalid(ApprovalTokenInvalid.WRONG) from None
    offered = secret_hash(raw_token)
    match = None
    # Compared with every token of the request in constant time, none skipped: timing tells nothing.
    for token in ApprovalToken.objects.filter(request_id=request_uuid).select_related("request", "approver"):
        if secrets_equal(token.token_hash, offered):
            match = token
    if match is None or not match.approver.is_active:
        raise ApprovalTokenInvalid(ApprovalTokenInvalid.WRONG)
    return match


def _token_usable(token: ApprovalToken) -> None:
    request = token.request
    if token.used_at is not None:
        raise ApprovalTokenInvalid(ApprovalTokenInvalid.USED)
    if request.status in (ApprovalStatus.EXPIRED, ApprovalStatus.CANCELLED) or (
        request.status == ApprovalStatus.PENDING and request.expires_at <= timezone.now()
    ):
        raise ApprovalTokenInvalid(ApprovalTokenInvalid.EXPIRED)


def approval_token_check(*, request_id: uuid.UUID | str, raw_token: str | None) -> tuple[ApprovalRequest, Any]:
    """(the request, the approver) a link token stands for; raises ApprovalTokenInvalid (missing, wrong, used,
    expired). A request approved or declined by others still shows; deciding on it then says it ended."""
    token = _token_find(request_id, raw_token)
    _token_usable(token)
    return token.request, token.approver


def approval_token_decide(*, request_id: uuid.UUID | str, raw_token: str | None, approve: bool,
                          comment: str = "") -> tuple[ApprovalRequest, Any]:  # fmt: skip
    """Decide through a one-click link: the token is checked, used (once) and the decision recorded together;
    returns (the request, the approver the token stands for).

    Raises ApprovalTokenInvalid, ApprovalNotAnApprover or ApprovalAlreadyFinished; on any of them nothing changes
    (an expiry found on the way is still recorded).
    """
    token = _token_find(request_id, raw_token)
    with transaction.atomic():
        locked_token = ApprovalToken.objects.select_for_update().select_related("request", "approver").get(pk=token.pk)
        _token_usable(locked_token)
        locked = ApprovalRequest.objects.select_for_update().get(pk=locked_token.request_id)
        decided = _decide_locked(locked, locked_token.approver, approve, comment, "link")
        if decided:
            locked_token.used_at = timezone.now()
            locked_token.save(update_fields=["used_at"])
    if not decided:
        raise ApprovalTokenInvalid(ApprovalTokenInvalid.EXPIRED)
    return locked, locked_token.approver
