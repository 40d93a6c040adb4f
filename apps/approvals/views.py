"""The page a one-click link opens: `/approval/{request_id}?token=…` shows the call and two buttons.

Opening the link changes nothing (mail scanners and link previews fetch links); only the form's POST decides,
and it works without JavaScript. The form carries no CSRF token on purpose: CSRF abuses credentials a browser
sends by itself (cookies), and this form has none. Its only credential is the link's token, which a forging
site cannot know; a request without the right token changes nothing. The page is never cached, never framed,
and sends no Referer, so the token does not leak through those.
"""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.clickjacking import xframe_options_deny
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from apps.approvals import services
from apps.approvals.api.public import TOKEN_STATUS
from apps.approvals.errors import ApprovalAlreadyFinished, ApprovalNotAnApprover, ApprovalTokenInvalid

COMMENT_MAX = 2000


def _page(request, context: dict, status: int = 200):
    response = render(request, "approvals/link.html", context, status=status)
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


@csrf_exempt  # see the module's docstring: the token is the only credential, so there is nothing to forge
@xframe_options_deny
@require_http_methods(["GET", "POST"])
def approval_link_view(request, request_id):
    token = request.GET.get("token") or request.POST.get("token")
    try:
        approval, approver = services.approval_token_check(request_id=request_id, raw_token=token)
    except ApprovalTokenInvalid as invalid:
        return _page(request, {"problem": str(invalid), "reason": invalid.reason}, TOKEN_STATUS[invalid.reason])
    context = {"approval": approval, "approver": approver, "token": token}
    if request.method == "GET":
        return _page(request, context)
    choice = request.POST.get("decision")
    if choice not in ("approve", "decline"):
        return _page(request, {**context, "problem": "Choose approve or decline."}, 400)
    comment = request.POST.get("comment", "")[:COMMENT_MAX]
    try:
        approval, _approver = services.approval_token_decide(request_id=request_id, raw_token=token,
                                                             approve=choice == "approve", comment=comment)  # fmt: skip
    except ApprovalTokenInvalid as invalid:
        return _page(request, {**context, "problem": str(invalid), "reason": invalid.reason},
                     TOKEN_STATUS[invalid.reason])  # fmt: skip
    except ApprovalNotAnApprover as refused:
        return _page(request, {**context, "problem": str(refused)}, 403)
    except ApprovalAlreadyFinished as finished:
        return _page(request, {**context, "approval": finished.request, "problem": str(finished)}, 409)
    return _page(request, {"approval": approval, "approver": approver, "done": choice})
