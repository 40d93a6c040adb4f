"""Console pages for tool configurations: the user's tools with their state, and one tool's settings and rules."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from apps.approvals.selectors import approval_policy_list
from apps.mcp_proxy.configurations import selectors, services
from apps.mcp_proxy.models import ToolRuleAction
from apps.mcp_proxy.rules import ConditionInvalid


@dataclass
class RuleRow:
    """One row of the rules editor, with its error (and where it is) after a failed save."""

    condition: str = ""
    action: str = ToolRuleAction.DENY
    description: str = ""
    approval_policy_id: str = ""
    error: str = ""
    error_line_text: str = ""
    caret: str = ""


def _entry_or_404(user, source: str, tool_name: str) -> selectors.ToolEntry:
    entry = selectors.tool_catalog_entry(user=user, source=source, tool_name=tool_name)
    if entry is None:
        raise Http404("No such tool.")
    return entry


def _rows_posted(post) -> list[RuleRow]:
    conditions = post.getlist("condition")
    policies = post.getlist("rule_approval_policy")
    policies += [""] * (len(conditions) - len(policies))  # a form from before the policy column still saves
    rows = zip(conditions, post.getlist("action"), post.getlist("description"), policies, strict=False)
    return [RuleRow(condition=condition, action=action, description=description.strip(), approval_policy_id=policy)
            for condition, action, description, policy in rows if condition.strip() or description.strip()]  # fmt: skip


def _policy_id(value: str | None) -> str | None:
    """A posted policy choice: blank is none; anything else goes to the service, which checks it is the user's."""
    return value.strip() if value and value.strip() else None


def _show_problem(row: RuleRow, problem: ConditionInvalid) -> None:
    """The message, and the condition's line with a caret under the column the engine pointed at."""
    row.error = problem.message
    if problem.line and problem.column:
        lines = row.condition.split("\n")
        row.error_line_text = lines[min(problem.line, len(lines)) - 1]
        row.caret = " " * (problem.column - 1) + "^"


@login_required
def tool_configurations_view(request):
    entries = selectors.tool_catalog(user=request.user)
    return render(request, "console/tool_configurations.html", {"entries": entries})


@login_required
@require_http_methods(["GET", "POST"])
def tool_configuration_view(request, source: str, tool_name: str):
    entry = _entry_or_404(request.user, source, tool_name)
    configuration = entry.configuration
    errors: list[str] = []
    if request.method == "POST":
        rows = _rows_posted(request.POST)
        fields = {"is_enabled": request.POST.get("is_enabled") == "on",
                  "justification_required": request.POST.get("justification_required") == "on",
                  "approval_policy_id": _policy_id(request.POST.get("approval_policy")),
                  "rules": [services.RuleInput(row.condition, row.action, row.description,
                                               _policy_id(row.approval_policy_id)) for row in rows]}  # fmt: skip
        try:
            if configuration is None:
                services.tool_configuration_create(owner=request.user, tool_source=source, tool_name=tool_name,
                                                   **fields)  # fmt: skip
            else:
                services.tool_configuration_update(configuration=configuration, **fields)
        except services.RulesInvalid as invalid:
            for row, problem in zip(rows, invalid.problems, strict=True):
                if problem:
                    _show_problem(row, problem)
            errors.append("Some conditions are not valid CEL; nothing was saved.")
        except ValidationError as error:
            errors.extend(message for messages_ in error.message_dict.values() for message in messages_)
        else:
            messages.success(request, f"Saved the configuration of {entry.client_name}.")
            return redirect("console:tool-configurations")
        state = {"is_enabled": fields["is_enabled"], "justification_required": fields["justification_required"],
                 "approval_policy_id": fields["approval_policy_id"] or ""}  # fmt: skip
    else:
        rows = [RuleRow(rule.condition, rule.action, rule.description, str(rule.approval_policy_id or ""))
                for rule in (configuration.rules.all() if configuration else [])]  # fmt: skip
        state = {"is_enabled": configuration.is_enabled if configuration else True,
                 "justification_required": configuration.justification_required if configuration else False,
                 "approval_policy_id": str(configuration.approval_policy_id or "") if configuration else ""}  # fmt: skip
    context = {"entry": entry, "rows": rows, "errors": errors, "actions": ToolRuleAction.choices,
               "approval_policies": [(str(policy.id), policy.name) for policy in
                                     approval_policy_list(user=request.user)], **state}  # fmt: skip
    return render(request, "console/tool_configuration.html", context, status=400 if errors else 200)


@login_required
@require_POST
def tool_configuration_reset_view(request, source: str, tool_name: str):
    entry = _entry_or_404(request.user, source, tool_name)
    if entry.configuration is not None:
        services.tool_configuration_delete(configuration=entry.configuration)
        messages.success(request, f"{entry.client_name} is back to its defaults: enabled, no rules.")
    return redirect("console:tool-configurations")
