"""The console's approvals inbox: requests addressed to the user (pending first), one request's page, deciding."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from apps.approvals import selectors, services
from apps.approvals.errors import ApprovalAlreadyFinished, ApprovalNotAnApprover
from apps.approvals.models import ApprovalStatus

RECENT = 50
COMMENT_MAX = 2000


def _visible_or_404(user, request_id):
    approval = selectors.approval_request_list(user=user).filter(pk=request_id).first()
    if approval is None:
        raise Http404("No such approval request.")
    return approval


def _can_decide(approval, user) -> bool:
    return (approval.status == ApprovalStatus.PENDING and approval.expires_at > timezone.now()
            and user.pk in approval.approver_ids
            and not any(decision.approver_id == user.pk for decision in approval.decisions.all()))  # fmt: skip


@login_required
@require_GET
def approvals_view(request):
    inbox = selectors.approval_inbox(user=request.user)
    now = timezone.now()
    waiting = list(inbox.filter(status=ApprovalStatus.PENDING, expires_at__gt=now).order_by("expires_at"))
    recent = list(inbox.exclude(pk__in=[approval.pk for approval in waiting]).order_by("-created_at")[:RECENT])
    for approval in waiting + recent:
        approval.can_decide = _can_decide(approval, request.user)
    return render(request, "console/approvals.html", {"waiting": waiting, "recent": recent})


@login_required
@require_GET
def approval_view(request, request_id):
    approval = _visible_or_404(request.user, request_id)
    approval.can_decide = _can_decide(approval, request.user)
    return render(request, "console/approval.html", {"approval": approval})


@login_required
@require_POST
def approval_decide_view(request, request_id):
    """Approve or decline (htmx swaps the request's card; without JavaScript, back to where the form was)."""
    approval = _visible_or_404(request.user, request_id)
    choice = request.POST.get("decision")
    problem, http_status = "", 200
    if choice not in ("approve", "decline"):
        problem, http_status = "Choose approve or decline.", 400
    else:
        try:
            services.approval_request_decide(request=approval, approver=request.user, approve=choice == "approve",
                                             comment=request.POST.get("comment", "")[:COMMENT_MAX],
                                             via="console")  # fmt: skip
        except ApprovalNotAnApprover as refused:
            problem, http_status = str(refused), 403
        except ApprovalAlreadyFinished as finished:
            problem, http_status = str(finished), 409
    approval = _visible_or_404(request.user, request_id)
    approval.can_decide = _can_decide(approval, request.user)
    if request.htmx:
        return render(request, "console/partials/approval_card.html", {"approval": approval, "problem": problem},
                      status=http_status)  # fmt: skip
    if problem:
        messages.error(request, problem)
    else:
        messages.success(request, f"Recorded: {choice}. The request is {approval.get_status_display().lower()}.")
    if request.POST.get("next") == "detail":
        return redirect("console:approval", request_id=approval.pk)
    return redirect("console:approvals")
