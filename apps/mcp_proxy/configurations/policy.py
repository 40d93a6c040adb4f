"""Deciding one call from the user's tool configuration, and shaping the tool listing by it.

Decision (ARCHITECTURE decision 2): a disabled tool is denied; every rule is evaluated and the most
restrictive matching action wins (deny > require_approval > allow); the deciding rule is the first, in the
user's order, among those with the winning action; no matching rule: approval required when the configuration
names an approval policy, allowed otherwise. A rule whose condition errs
or does not give a bool counts as a matching deny (fail closed).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.postgres.aggregates import JSONBAgg
from django.db.models import Q
from django.db.models.functions import JSONObject

from apps.mcp_proxy.configurations.selectors import configurations_of_source
from apps.mcp_proxy.models import ToolConfiguration, ToolRuleAction, ToolSource
from apps.mcp_proxy.rules import Activation, ConditionFailed, condition_matches

log = logging.getLogger(__name__)

JUSTIFICATION = "justification"
JUSTIFICATION_PROPERTY = {"type": "string", "minLength": 1,
                          "description": "Why you are making this call; shown to the people who review it."}  # fmt: skip
JUSTIFICATION_MISSING = (
    "This tool requires a `justification` argument: say, in a sentence, why you are making this call "
    "(it is shown to the people who review it and stored with the call)."
)
BUILTIN_SERVER = {"id": ToolSource.PRELOOP_BUILTIN.value, "name": "Preloop", "slug": "preloop"}
RESTRICTIVENESS = (ToolRuleAction.DENY, ToolRuleAction.REQUIRE_APPROVAL, ToolRuleAction.ALLOW)


@dataclass(frozen=True)
class RuleSnapshot:
    id: uuid.UUID
    condition: str
    action: str
    approval_policy_id: uuid.UUID | None = None


@dataclass(frozen=True)
class ToolPolicy:
    """What the pipeline needs of a configuration, read in one query."""

    is_enabled: bool
    justification_required: bool
    server: Mapping[str, str]
    rules: tuple[RuleSnapshot, ...]
    approval_policy_id: uuid.UUID | None = None


@dataclass(frozen=True)
class PolicyDecision:
    action: str  # a ToolRuleAction
    rule_id: uuid.UUID | None
    rule_condition: str
    reason: str
    # For require_approval: the policies named by the deciding rule and by the configuration, for
    # `apps.approvals.policies.approval_policy_resolve` (rule > configuration > default > the user alone).
    rule_policy_id: uuid.UUID | None = None
    configuration_policy_id: uuid.UUID | None = None


def tool_policy_for(*, user, source: str, tool_name: str) -> ToolPolicy | None:
    """The user's configuration of one tool with its rules in order, in a single query (the call path is hot)."""
    rule = JSONObject(id="rules__id", condition="rules__condition", action="rules__action",
                      approval_policy_id="rules__approval_policy_id")  # fmt: skip
    rows = (
        configurations_of_source(ToolConfiguration.objects.filter(owner=user, tool_name=tool_name), source)
        .order_by()
        .values(
            "id",
            "is_enabled",
            "justification_required",
            "approval_policy_id",
            "server_id",
            "server__name",
            "server__slug",
        )
        .annotate(
            rule_list=JSONBAgg(
                rule, filter=Q(rules__isnull=False), order_by=("rules__position", "rules__id"), default=[]
            )
        )
    )
    row = next(iter(rows), None)
    if row is None:
        return None
    server = BUILTIN_SERVER
    if row["server_id"]:
        server = {"id": str(row["server_id"]), "name": row["server__name"], "slug": row["server__slug"]}
    rules = tuple(RuleSnapshot(id=uuid.UUID(item["id"]), condition=item["condition"], action=item["action"],
                               approval_policy_id=_uuid_or_none(item.get("approval_policy_id")))
                  for item in row["rule_list"])  # fmt: skip
    return ToolPolicy(is_enabled=row["is_enabled"], justification_required=row["justification_required"],
                      server=server, rules=rules, approval_policy_id=row["approval_policy_id"])  # fmt: skip


def _uuid_or_none(value) -> uuid.UUID | None:
    return uuid.UUID(str(value)) if value else None


def tool_policies_load(*, user) -> dict[tuple[str, str], ToolPolicy]:
    """Every configuration of the user with its rules in order, keyed by (source, the tool's own name).

    The call path reads these from the user's catalog, which loads them again only when they changed.
    """
    from apps.mcp_proxy.configurations.selectors import tool_configuration_list

    policies = {}
    for configuration in tool_configuration_list(user=user):
        server = BUILTIN_SERVER
        if configuration.server_id:
            server = {"id": str(configuration.server_id), "name": configuration.server.name,
                      "slug": configuration.server.slug}  # fmt: skip
        rules = tuple(RuleSnapshot(id=rule.id, condition=rule.condition, action=rule.action,
                                   approval_policy_id=rule.approval_policy_id)
                      for rule in configuration.rules.all())  # fmt: skip
        policies[(configuration.tool_source, configuration.tool_name)] = ToolPolicy(
            is_enabled=configuration.is_enabled, justification_required=configuration.justification_required,
            server=server, rules=rules, approval_policy_id=configuration.approval_policy_id,
        )  # fmt: skip
    return policies


def _reason(action: str, number: int, condition: str) -> str:
    rule = f"your rule #{number} ({condition})"
    if action == ToolRuleAction.DENY:
        return f"Denied by {rule}."
    if action == ToolRuleAction.REQUIRE_APPROVAL:
        return (f"Approval required by {rule}, but approvals are not available in Preloop yet, so the call was "
                "not run.")  # fmt: skip
    return f"Allowed by {rule}."


def _reason_unmatched_approval() -> str:
    return ("Approval required by the approval policy of this tool's configuration, but approvals are not available "
            "in Preloop yet, so the call was not run.")  # fmt: skip


def tool_call_policy_decide(*, policy: ToolPolicy | None, arguments: dict[str, Any], tool_name: str, user,
                            now: dt.datetime | None = None) -> PolicyDecision:  # fmt: skip
    """Allow, deny or require approval for one call, naming the deciding rule."""
    if policy is None:
        return PolicyDecision(ToolRuleAction.ALLOW, None, "", "No tool configuration: allowed.")
    if not policy.is_enabled:
        return PolicyDecision(ToolRuleAction.DENY, None, "", f"The tool {tool_name} is disabled in your configuration.")
    activation = Activation(args=arguments, tool=tool_name, server=dict(policy.server),
                            user={"id": str(user.pk), "email": user.email},
                            now=now or dt.datetime.now(dt.UTC))  # fmt: skip
    first: dict[str, PolicyDecision] = {}
    for number, rule in enumerate(policy.rules, start=1):
        try:
            matched, action = condition_matches(rule.condition, activation), rule.action
            reason = _reason(action, number, rule.condition)
        except ConditionFailed as failure:
            log.warning("rule %s of %s (%r) failed for user %s: %s", rule.id, tool_name, rule.condition, user.pk,
                        failure)  # fmt: skip
            matched, action = True, ToolRuleAction.DENY
            reason = (f"Denied: your rule #{number} ({rule.condition}) could not be evaluated ({failure}), so the "
                      "call was refused.")  # fmt: skip
        if matched and action not in first:
            rule_policy_id = rule.approval_policy_id if action == ToolRuleAction.REQUIRE_APPROVAL else None
            first[action] = PolicyDecision(action, rule.id, rule.condition, reason, rule_policy_id=rule_policy_id,
                                           configuration_policy_id=policy.approval_policy_id)  # fmt: skip
        if ToolRuleAction.DENY in first:
            break  # nothing evaluated later can outrank the first deny, nor come before it
    for action in RESTRICTIVENESS:
        if action in first:
            return first[action]
    if policy.approval_policy_id is not None:  # the configuration names a policy: its unmatched calls wait for it
        return PolicyDecision(ToolRuleAction.REQUIRE_APPROVAL, None, "", _reason_unmatched_approval(),
                              configuration_policy_id=policy.approval_policy_id)  # fmt: skip
    return PolicyDecision(ToolRuleAction.ALLOW, None, "", "No rule matched: allowed.")


def justification_split(arguments: Mapping[str, Any]) -> tuple[dict[str, Any], str | None]:
    """(the arguments without `justification`, the justification); None when it is missing or blank."""
    remaining = {key: value for key, value in arguments.items() if key != JUSTIFICATION}
    given = arguments.get(JUSTIFICATION)
    return remaining, given.strip() if isinstance(given, str) and given.strip() else None


# The derived schema of each tool schema, built once and reused, so the pipeline's validator cache (keyed by the
# schema object) keeps hitting. Keeping the original makes a reused id() harmless.
_with_justification: dict[int, tuple[Mapping[str, Any], Mapping[str, Any]]] = {}


def _schema_with_justification(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    cached = _with_justification.get(id(schema))
    if cached is None or cached[0] is not schema:
        if len(_with_justification) > 4096:  # upstream specs are rebuilt on each scan; never grow without bound
            _with_justification.clear()
        required = [name for name in schema.get("required", []) if name != JUSTIFICATION]
        derived = {**schema, "type": "object", "properties": {**schema.get("properties", {}),
                                                              JUSTIFICATION: JUSTIFICATION_PROPERTY},
                   "required": [*required, JUSTIFICATION]}  # fmt: skip
        cached = _with_justification[id(schema)] = (schema, derived)
    return cached[1]


def tool_specs_configured(*, specs: list, policies: Mapping[tuple[str, str], ToolPolicy]) -> list:
    """The visible ToolSpecs as the user's configurations shape them: disabled ones removed, `justification`
    added where required."""
    if not policies:
        return specs
    shaped = []
    for spec in specs:
        policy = policies.get((str(spec.source), spec.name_at_source))
        if policy is not None and not policy.is_enabled:
            continue
        if policy is not None and policy.justification_required:
            spec = dataclasses.replace(spec, input_schema=_schema_with_justification(spec.input_schema))
        shaped.append(spec)
    return shaped
