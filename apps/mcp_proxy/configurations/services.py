"""Writes of tool configurations. The rules live here, so REST and the console enforce them alike."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from apps.mcp_proxy.models import ExternalMcpServer, ToolConfiguration, ToolRule, ToolRuleAction, ToolSource
from apps.mcp_proxy.notifier import catalog_changed_announce
from apps.mcp_proxy.rules import ConditionInvalid, condition_check

UNSET = object()
DESCRIPTION_MAX = ToolRule._meta.get_field("description").max_length


@dataclass(frozen=True)
class RuleInput:
    condition: str
    action: str
    description: str = ""
    approval_policy_id: uuid.UUID | None = None  # require_approval rules only


class RulesInvalid(Exception):
    """Conditions that do not compile: one entry per rule, in order (None for a valid one)."""

    def __init__(self, problems: list[ConditionInvalid | None]):
        super().__init__("Some rule conditions are not valid CEL.")
        self.problems = problems

    def as_errors(self) -> dict[int, dict[str, list[str]]]:
        """DRF's shape for a list of nested items, the invalid ones by index: `{1: {"condition": ["Syntax…"]}}`."""
        return {index: {"condition": [problem.message]} for index, problem in enumerate(self.problems) if problem}


def _server_for(*, owner, tool_source: str) -> ExternalMcpServer | None:
    """The server a `tool_source` names among the owner's (None: built-in); anything else is "not found"."""
    if tool_source == ToolSource.PRELOOP_BUILTIN:
        return None
    try:
        return ExternalMcpServer.objects.get(owner=owner, id=uuid.UUID(str(tool_source)))
    except (ValueError, ExternalMcpServer.DoesNotExist):
        raise ValidationError({"tool_source": [
            "Use 'preloop_builtin' or the id of one of your MCP servers; no such server was found."
        ]}) from None  # fmt: skip


def _tool_exists_check(*, server: ExternalMcpServer | None, tool_name: str) -> None:
    if server is None:
        from apps.mcp_proxy.registry import tools_all

        names = sorted(spec.name for spec in tools_all() if spec.source == ToolSource.PRELOOP_BUILTIN)
        if tool_name not in names:
            raise ValidationError({"tool_name": [f"No built-in tool {tool_name!r}; they are: {', '.join(names)}."]})
    elif tool_name not in {tool.get("name") for tool in server.tools}:
        raise ValidationError({"tool_name": [
            f"Your server {server.name!r} offers no tool {tool_name!r} as of its last scan (give the tool's own "
            "name, without the prefix; scan the server again if the tool is new)."
        ]})  # fmt: skip


def _approval_policy_check(*, owner, policy_id, field: str):
    """The owner's own policy with this id (None stays None); anything else is a 400 naming `field`."""
    from apps.approvals.models import ApprovalPolicy

    if policy_id is None:
        return None
    try:
        return ApprovalPolicy.objects.get(owner=owner, id=uuid.UUID(str(policy_id)))
    except (ValueError, ApprovalPolicy.DoesNotExist):
        raise ValidationError({field: ["Not one of your approval policies."]}) from None


def _rules_check(rules: Sequence[RuleInput], *, owner) -> None:
    for number, rule in enumerate(rules, start=1):
        if rule.action not in ToolRuleAction.values:
            raise ValidationError({"rules": [f"{rule.action!r} is not an action; use {', '.join(ToolRuleAction)}."]})
        if len(rule.description) > DESCRIPTION_MAX:
            raise ValidationError({"rules": [f"A rule's description has at most {DESCRIPTION_MAX} characters."]})
        if rule.approval_policy_id is not None:
            if rule.action != ToolRuleAction.REQUIRE_APPROVAL:
                raise ValidationError({"rules": [
                    f"Rule #{number}: only a require_approval rule names an approval policy (approval_policy_id)."
                ]})  # fmt: skip
            try:
                _approval_policy_check(owner=owner, policy_id=rule.approval_policy_id, field="approval_policy_id")
            except ValidationError:
                raise ValidationError({"rules": [
                    f"Rule #{number}: approval_policy_id is not one of your approval policies."
                ]}) from None  # fmt: skip
    problems = [condition_check(rule.condition) for rule in rules]
    if any(problems):
        raise RulesInvalid(problems)


def _rules_replace(configuration: ToolConfiguration, rules: Sequence[RuleInput]) -> None:
    """The new list, in order. A rule sent again (same condition and action) keeps its id, so reordering the
    rules or editing another one does not orphan the audit's `decision_rule`."""
    unused = list(configuration.rules.all())
    kept, created = [], []
    for position, rule in enumerate(rules, start=1):
        same = next((old for old in unused if (old.condition, old.action) == (rule.condition, rule.action)), None)
        if same is not None:
            unused.remove(same)
            same.position, same.description = position, rule.description
            same.approval_policy_id = rule.approval_policy_id
            kept.append(same)
        else:
            created.append(ToolRule(configuration=configuration, position=position, condition=rule.condition,
                                    action=rule.action, description=rule.description,
                                    approval_policy_id=rule.approval_policy_id))  # fmt: skip
    ToolRule.objects.filter(id__in=[rule.id for rule in unused]).delete()
    ToolRule.objects.bulk_update(kept, ["position", "description", "approval_policy_id"])
    ToolRule.objects.bulk_create(created)


def _save(configuration: ToolConfiguration, *, rules: Sequence[RuleInput] | None) -> ToolConfiguration:
    try:
        with transaction.atomic():
            configuration.save()
            if rules is not None:
                _rules_replace(configuration, rules)
    except IntegrityError as error:
        raise ValidationError({"tool_name": ["You already have a configuration for this tool."]}) from error
    if rules is not None:
        configuration.refresh_from_db()  # drops rules prefetched before the change
    # A tool switched off vanishes, one asking for a justification changes its schema: clients list again.
    catalog_changed_announce(user_id=configuration.owner_id, kinds=["tools"])
    return configuration


def tool_configuration_create(*, owner, tool_source: str, tool_name: str, is_enabled: bool = True,
                              justification_required: bool = False, approval_policy_id: uuid.UUID | None = None,
                              rules: Sequence[RuleInput] = ()) -> ToolConfiguration:  # fmt: skip
    """Configure one of the owner's tools; raises ValidationError or RulesInvalid (with positions).

    `approval_policy_id` (one of the owner's policies): calls no rule matches need its approval.
    """
    server = _server_for(owner=owner, tool_source=tool_source)
    _tool_exists_check(server=server, tool_name=tool_name)
    approval_policy = _approval_policy_check(owner=owner, policy_id=approval_policy_id, field="approval_policy_id")
    _rules_check(rules, owner=owner)
    configuration = ToolConfiguration(owner=owner, server=server, tool_name=tool_name, is_enabled=is_enabled,
                                      justification_required=justification_required,
                                      approval_policy=approval_policy)  # fmt: skip
    return _save(configuration, rules=list(rules))


def tool_configuration_update(*, configuration: ToolConfiguration, tool_source=UNSET, tool_name=UNSET,
                              is_enabled=UNSET, justification_required=UNSET, approval_policy_id=UNSET,
                              rules: Sequence[RuleInput] | None = None) -> ToolConfiguration:  # fmt: skip
    """Change the fields given; `rules`, when given, replaces the whole list in its new order."""
    if tool_source is not UNSET:
        configuration.server = _server_for(owner=configuration.owner, tool_source=tool_source)
    if tool_name is not UNSET:
        configuration.tool_name = tool_name
    if tool_source is not UNSET or tool_name is not UNSET:
        _tool_exists_check(server=configuration.server, tool_name=configuration.tool_name)
    if is_enabled is not UNSET:
        configuration.is_enabled = is_enabled
    if justification_required is not UNSET:
        configuration.justification_required = justification_required
    if approval_policy_id is not UNSET:
        configuration.approval_policy = _approval_policy_check(owner=configuration.owner, policy_id=approval_policy_id,
                                                               field="approval_policy_id")  # fmt: skip
    if rules is not None:
        _rules_check(rules, owner=configuration.owner)
    return _save(configuration, rules=rules)


def tool_configuration_delete(*, configuration: ToolConfiguration) -> None:
    """Forget the configuration and its rules; past calls keep their decision and the rule's condition."""
    owner_id = configuration.owner_id
    configuration.delete()
    catalog_changed_announce(user_id=owner_id, kinds=["tools"])
