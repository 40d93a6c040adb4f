"""The domain errors of approvals; the edges (REST, public pages, console, MCP) map them to their answers."""

from __future__ import annotations


class ApprovalError(Exception):
    """Base of the approval errors."""


class ApprovalNotAnApprover(ApprovalError):
    """The user is not among the request's approvers (REST: 403)."""


class ApprovalAlreadyFinished(ApprovalError):
    """The request is no longer pending, or this approver already decided; carries the current row (REST: 409)."""

    def __init__(self, request, message: str = ""):
        self.request = request
        super().__init__(message or f"This approval request is already {request.status}.")


class ApprovalPolicyInUse(ApprovalError):
    """A policy that tool configurations or rules name cannot be deleted (REST: 409)."""


class ApprovalTokenInvalid(ApprovalError):
    """A one-click link's token that cannot decide: `reason` is missing, wrong, used or expired."""

    MISSING, WRONG, USED, EXPIRED = "missing", "wrong", "used", "expired"
    MESSAGES = {
        MISSING: "This link has no token.",
        WRONG: "This link is not valid for this approval request.",
        USED: "This link was used already; each link decides once.",
        EXPIRED: "This approval request has ended; its links no longer work.",
    }

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(self.MESSAGES[reason])
