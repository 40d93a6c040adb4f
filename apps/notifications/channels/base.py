"""What every channel receives and returns: the notice, its recipient, the outcome."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from apps.notifications.models import NotificationPreference


@dataclass(frozen=True)
class ApprovalNotice:
    """An approval request as approvers are told about it; arguments are already redacted."""

    request_id: str
    requester_name: str
    requester_email: str
    tool_name: str
    source_label: str  # "Preloop built-in" or the MCP server's name
    arguments: dict = field(default_factory=dict)
    justification: str = ""
    client_name: str = ""
    expires_at: datetime | None = None
    approve_url: str = ""
    decline_url: str = ""
    detail_url: str = ""  # the request's page in the console
    escalation: bool = False

    @property
    def title(self) -> str:
        prefix = "Escalated: approval" if self.escalation else "Approval"
        return f"{prefix} needed for {self.tool_name}"

    @property
    def summary(self) -> str:
        """One sentence for push bodies and chat fallbacks."""
        who = self.requester_name or self.requester_email or "An agent"
        via = f" via {self.client_name}" if self.client_name else ""
        return f"{who}{via} wants to call {self.tool_name} on {self.source_label}."

    @property
    def arguments_text(self) -> str:
        return json.dumps(self.arguments, indent=2, sort_keys=True, ensure_ascii=False, default=str)

    def to_json(self) -> dict:
        data = asdict(self)
        data["expires_at"] = self.expires_at.isoformat() if self.expires_at else None
        return data

    @classmethod
    def from_json(cls, data: dict) -> ApprovalNotice:
        expires_at = data.get("expires_at")
        return cls(**{**data, "expires_at": datetime.fromisoformat(expires_at) if expires_at else None})


@dataclass(frozen=True)
class Recipient:
    """Someone to notify. Approval links are per approver (their own one-click tokens): when given, a
    recipient's `approve_url`/`decline_url` replace the notice's for their deliveries."""

    user_id: str
    email: str
    name: str = ""
    approve_url: str = ""
    decline_url: str = ""

    @classmethod
    def for_user(cls, user, *, approve_url: str = "", decline_url: str = "") -> Recipient:
        return cls(
            user_id=str(user.pk),
            email=user.email,
            name=user.get_full_name(),
            approve_url=approve_url,
            decline_url=decline_url,
        )

    def personalise(self, notice: ApprovalNotice) -> ApprovalNotice:
        return replace(
            notice,
            approve_url=self.approve_url or notice.approve_url,
            decline_url=self.decline_url or notice.decline_url,
        )


@dataclass(frozen=True)
class DeliveryResult:
    """What one channel did with one notice: `sent`, `failed` or `skipped` (nothing to send to)."""

    status: str
    attempts: int = 1
    response_status: int | None = None
    error: str = ""
    detail: str = ""  # what the other end answered, shortened, for the log

    @classmethod
    def sent(cls, **kwargs) -> DeliveryResult:
        return cls(status="sent", **kwargs)

    @classmethod
    def failed(cls, error: str, **kwargs) -> DeliveryResult:
        return cls(status="failed", error=error, **kwargs)

    @classmethod
    def skipped(cls, reason: str) -> DeliveryResult:
        return cls(status="skipped", attempts=0, error=reason)


class ChannelSender(Protocol):
    def __call__(
        self, *, notice: ApprovalNotice, recipient: Recipient, settings: NotificationPreference, delivery_id: str = ""
    ) -> DeliveryResult: ...


def answer_excerpt(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"
