"""Approval policies: writing them (the business rules live here, for REST, console and admin alike) and
resolving the one that applies to a call.

Resolution (ARCHITECTURE decision 2): the rule's policy, else the tool configuration's, else the user's
default policy, else the owner alone with a 10-minute timeout. A timeout always ends a request as `expired`
and the call refused: a policy sets how long to wait, never that silence means yes. An approval that could
arrive by nobody answering would let any call through whenever the approvers are asleep, which is exactly
the case approvals exist for.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from apps.approvals.errors import ApprovalPolicyInUse
from apps.approvals.models import (
    DEFAULT_TIMEOUT_SECONDS,
    MIN_TIMEOUT_SECONDS,
    ApprovalPolicy,
    NotificationChannel,
    default_channels,
)

UNSET = object()
FALLBACK_NAME = "You alone (no policy set)"


@dataclass(frozen=True)
class ResolvedPolicy:
    """What applies to one request, copied from the policy so later edits change nothing for it."""

    policy_id: uuid.UUID | None
    name: str
    source: str  # rule | configuration | default | fallback
    approver_ids: tuple[uuid.UUID, ...]
    approvals_required: int
    timeout_seconds: int
    notification_channels: tuple[str, ...]
    escalation_after_seconds: int | None = None
    escalation_approver_ids: tuple[uuid.UUID, ...] = ()
    escalation_channels: tuple[str, ...] = ()


def _snapshot(policy: ApprovalPolicy, source: str) -> ResolvedPolicy:
    # Deactivated approvers drop out, and nobody takes their place: falling back to the owner would let a user
    # approve the calls a policy meant someone else to check. Too few left: the request is declined at once.
    approvers = tuple(user.pk for user in policy.approvers.all() if user.is_active)
    escalation = tuple(user.pk for user in policy.escalation_approvers.all() if user.is_active)
    return ResolvedPolicy(
        policy_id=policy.id, name=policy.name, source=source, approver_ids=approvers,
        approvals_required=policy.approvals_required, timeout_seconds=policy.timeout_seconds,
        notification_channels=tuple(policy.notification_channels),
        escalation_after_seconds=policy.escalation_after_seconds if policy.escalation_after_seconds else None,
        escalation_approver_ids=escalation, escalation_channels=tuple(policy.escalation_channels),
    )  # fmt: skip


def approval_policy_resolve(*, user, rule_policy_id: uuid.UUID | None,
                            configuration_policy_id: uuid.UUID | None) -> ResolvedPolicy:  # fmt: skip
    """The policy that applies to a call of `user` that needs approval: rule > configuration > default > you alone.

    Only the user's own policies count; an id that names none (deleted since) falls through to the next.
    """
    policies = ApprovalPolicy.objects.filter(owner=user).prefetch_related("approvers", "escalation_approvers")
    candidates = [(rule_policy_id, "rule"), (configuration_policy_id, "configuration")]
    found = {policy.id: policy for policy in policies.filter(id__in=[pid for pid, _ in candidates if pid])}
    for policy_id, source in candidates:
        if policy_id and policy_id in found:
            return _snapshot(found[policy_id], source)
    default = policies.filter(is_default=True).first()
    if default is not None:
        return _snapshot(default, "default")
    return ResolvedPolicy(policy_id=None, name=FALLBACK_NAME, source="fallback", approver_ids=(user.pk,),
                          approvals_required=1, timeout_seconds=DEFAULT_TIMEOUT_SECONDS,
                          notification_channels=tuple(default_channels()))  # fmt: skip


def _users(ids: Sequence[uuid.UUID], field: str) -> list:
    from apps.accounts.models import User

    wanted = list(dict.fromkeys(ids))
    users = {user.pk: user for user in User.objects.filter(pk__in=wanted, is_active=True)}
    missing = [str(user_id) for user_id in wanted if user_id not in users]
    if missing:
        raise ValidationError({field: [f"No active user with the id {', '.join(missing)}."]})
    return [users[user_id] for user_id in wanted]


def _channels_check(channels: Sequence[str], field: str) -> list[str]:
    unknown = [channel for channel in channels if channel not in NotificationChannel.values]
    if unknown:
        raise ValidationError({field: [f"Unknown channel {', '.join(map(repr, unknown))}; use "
                                       f"{', '.join(NotificationChannel.values)}."]})  # fmt: skip
    return list(dict.fromkeys(channels))


def policy_rules_check(policy: ApprovalPolicy, approvers: list, escalation_approvers: list) -> None:
    """The rules every policy keeps, however it is saved; raises ValidationError naming the field."""
    if not policy.name.strip():
        raise ValidationError({"name": ["A policy needs a name."]})
    if policy.approvals_required < 1:
        raise ValidationError({"approvals_required": ["At least 1."]})
    if policy.approvals_required > len(approvers):
        raise ValidationError({"approvals_required": [
            f"{policy.approvals_required} approvals cannot come from {len(approvers)} approver(s)."]})  # fmt: skip
    maximum = settings.APPROVAL_TIMEOUT_MAX_SECONDS
    if not MIN_TIMEOUT_SECONDS <= policy.timeout_seconds <= maximum:
        raise ValidationError({"timeout_seconds": [f"Between {MIN_TIMEOUT_SECONDS} and {maximum} seconds."]})
    after = policy.escalation_after_seconds
    if after is not None and not 1 <= after < policy.timeout_seconds:
        raise ValidationError({"escalation_after_seconds": [
            "Escalation comes before the timeout: between 1 and timeout_seconds - 1."]})  # fmt: skip
    if (escalation_approvers or policy.escalation_channels) and after is None:
        raise ValidationError({"escalation_after_seconds": [
            "Say after how many seconds to escalate to the escalation approvers or channels."]})  # fmt: skip
    if after is not None and not (escalation_approvers or policy.escalation_channels):
        raise ValidationError({"escalation_approver_user_ids": [
            "Escalation needs escalation approvers or escalation channels."]})  # fmt: skip


def _save(policy: ApprovalPolicy, *, approvers: list, escalation_approvers: list) -> ApprovalPolicy:
    policy_rules_check(policy, approvers, escalation_approvers)
    try:
        with transaction.atomic():
            if policy.is_default:  # one default per owner: the new one replaces the old
                ApprovalPolicy.objects.filter(owner=policy.owner, is_default=True).exclude(pk=policy.pk).update(
                    is_default=False
                )
            policy.save()
            policy.approvers.set(approvers)
            policy.escalation_approvers.set(escalation_approvers)
    except IntegrityError as error:  # two defaults saved at once: the constraint keeps one
        raise ValidationError(
            {"is_default": ["Another default policy was saved at the same time; try again."]}
        ) from error
    return policy


def approval_policy_create(*, owner, name: str, description: str = "", is_default: bool = False,
                           approver_user_ids: Sequence[uuid.UUID] | None = None, approvals_required: int = 1,
                           timeout_seconds: int = DEFAULT_TIMEOUT_SECONDS,
                           notification_channels: Sequence[str] | None = None,
                           escalation_after_seconds: int | None = None,
                           escalation_approver_user_ids: Sequence[uuid.UUID] = (),
                           escalation_channels: Sequence[str] = ()) -> ApprovalPolicy:  # fmt: skip
    """A new policy of `owner`; approvers default to the owner. Raises ValidationError naming the field."""
    approvers = _users(approver_user_ids, "approver_user_ids") if approver_user_ids else [owner]
    escalation_approvers = _users(escalation_approver_user_ids, "escalation_approver_user_ids")
    channels = default_channels() if notification_channels is None else notification_channels
    policy = ApprovalPolicy(
        owner=owner, name=name, description=description, is_default=is_default,
        approvals_required=approvals_required, timeout_seconds=timeout_seconds,
        notification_channels=_channels_check(channels, "notification_channels"),
        escalation_after_seconds=escalation_after_seconds,
        escalation_channels=_channels_check(escalation_channels, "escalation_channels"),
    )  # fmt: skip
    return _save(policy, approvers=approvers, escalation_approvers=escalation_approvers)


def approval_policy_update(*, policy: ApprovalPolicy, **changes) -> ApprovalPolicy:
    """Change the fields given (the names of `approval_policy_create`); the others stay as they are."""
    approvers = list(policy.approvers.all())
    escalation_approvers = list(policy.escalation_approvers.all())
    if "approver_user_ids" in changes:
        ids = changes.pop("approver_user_ids")
        approvers = _users(ids, "approver_user_ids") if ids else [policy.owner]
    if "escalation_approver_user_ids" in changes:
        escalation_approvers = _users(changes.pop("escalation_approver_user_ids") or [],
                                      "escalation_approver_user_ids")  # fmt: skip
    for field in ("notification_channels", "escalation_channels"):
        if field in changes:
            changes[field] = _channels_check(changes[field] or [], field)
    allowed = {"name", "description", "is_default", "approvals_required", "timeout_seconds", "notification_channels",
               "escalation_after_seconds", "escalation_channels"}  # fmt: skip
    for field, value in changes.items():
        if field not in allowed:
            raise TypeError(f"approval_policy_update() got an unexpected field {field!r}")
        setattr(policy, field, value)
    return _save(policy, approvers=approvers, escalation_approvers=escalation_approvers)


def approval_policy_delete(*, policy: ApprovalPolicy) -> None:
    """Delete a policy no tool configuration or rule names (deleting one in use would silently change which
    calls need approval: a configuration's policy is what makes its unmatched calls wait). Requests made under
    it keep their snapshot."""
    configurations = policy.tool_configurations.count() + policy.tool_rules.values("configuration").distinct().count()
    if configurations:
        raise ApprovalPolicyInUse(
            f"The policy {policy.name!r} is used by {configurations} tool configuration(s) or their rules; "
            "choose another policy there first."
        )
    policy.delete()
