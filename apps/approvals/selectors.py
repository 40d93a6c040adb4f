"""Reads of approval policies and requests, always scoped to the requesting user."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from apps.approvals.models import ApprovalDecision, ApprovalPolicy, ApprovalRequest, ApprovalStatus


def approval_policy_list(*, user) -> QuerySet[ApprovalPolicy]:
    """The user's own policies, with their approvers."""
    return ApprovalPolicy.objects.filter(owner=user).prefetch_related("approvers", "escalation_approvers")


def approval_request_list(*, user, status: str | None = None) -> QuerySet[ApprovalRequest]:
    """Requests the user made and requests addressed to the user (as an approver), newest first."""
    requests = ApprovalRequest.objects.filter(Q(owner=user) | Q(approver_ids__contains=[user.pk]))
    if status:
        requests = requests.filter(status=status)
    return requests.select_related("owner").prefetch_related("decisions__approver").order_by("-created_at")


def approval_request_of(*, user, request_id) -> ApprovalRequest | None:
    """One request `user` made (what a waiting or returning call reads again: the database decides, not messages)."""
    return ApprovalRequest.objects.filter(owner=user, pk=request_id).first()


def approval_inbox(*, user) -> QuerySet[ApprovalRequest]:
    """Requests addressed to the user: pending ones first (soonest to expire first), then the rest, newest first."""
    return (
        ApprovalRequest.objects.filter(approver_ids__contains=[user.pk])
        .select_related("owner")
        .prefetch_related("decisions__approver")
        .annotate(decided_by_me=Exists(ApprovalDecision.objects.filter(request=OuterRef("pk"), approver=user)))
    )


def approval_awaiting_count(*, user) -> int:
    """How many open requests wait for this user's decision: one query (the console shows it on every page)."""
    return (
        ApprovalRequest.objects.filter(status=ApprovalStatus.PENDING, approver_ids__contains=[user.pk],
                                       expires_at__gt=timezone.now())
        .exclude(Exists(ApprovalDecision.objects.filter(request=OuterRef("pk"), approver=user)))
        .count()
    )  # fmt: skip
