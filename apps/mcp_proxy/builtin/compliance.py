"""The compliance tools: score an issue against its project's definition of ready, and propose a better one."""

from __future__ import annotations

from apps.issues.compliance.services import compliance_estimate, compliance_improve
from apps.mcp_proxy.builtin.issue_format import issue_reference
from apps.mcp_proxy.builtin.issues import ISSUE_REFERENCE, _issue
from apps.mcp_proxy.registry import ToolOutput, ToolSpec, tool_register

MARKS = {"met": "✓", "partial": "~", "missing": "✗", "not_applicable": "-"}


def estimate_compliance(*, user, arguments: dict, context=None) -> ToolOutput:
    issue = _issue(user, arguments["issue"])
    report = compliance_estimate(issue=issue).as_dict()
    lines = [f"{issue_reference(issue)}: {report['score']}/100 ({report['engine']}). {report['summary']}"]
    for finding in report["findings"]:
        if finding["applicable"]:
            line = f"{MARKS.get(finding['status'], '?')} {finding['label']} (weight {finding['weight']}): "
            lines.append(line + finding["evidence"] + (f" → {finding['suggestion']}" if finding["suggestion"]
                                                      and finding["status"] != "met" else ""))  # fmt: skip
    lines += [f"Note: {note}" for note in report["notes"]]
    if report["missing"]:
        lines.append("improve_compliance proposes text that meets the missing criteria.")
    return ToolOutput(structured=report, text="\n".join(lines))


def improve_compliance(*, user, arguments: dict, context=None) -> ToolOutput:
    issue = _issue(user, arguments["issue"])
    suggestion = compliance_improve(issue=issue).as_dict()
    reference = issue_reference(issue)
    if not suggestion["addresses"]:
        text = f"{reference} already meets its definition of ready (score {suggestion['score_before']}/100)."
        return ToolOutput(structured=suggestion, text=text)
    lines = [f"Proposal for {reference} (score now {suggestion['score_before']}/100, {suggestion['engine']}); "
             f"it addresses: {', '.join(suggestion['addresses'])}. Nothing was changed in the tracker: to apply it, "
             f"call update_issue with the title and description below.", "",
             f"Title: {suggestion['title']}", "", "Description:", suggestion["description"]]  # fmt: skip
    if suggestion["acceptance_criteria"]:
        lines += ["Acceptance criteria:", *(f"- {item}" for item in suggestion["acceptance_criteria"])]
    lines += [f"Also: {change['suggestion']}" for change in suggestion["other_changes"]]
    lines += [f"Note: {note}" for note in suggestion["notes"]]
    return ToolOutput(structured=suggestion, text="\n".join(lines))


ONE_ISSUE = {"type": "object", "properties": {"issue": ISSUE_REFERENCE}, "required": ["issue"],
             "additionalProperties": False}  # fmt: skip

tool_register(ToolSpec(
    name="estimate_compliance",
    title="Estimate compliance",
    description="Score an issue 0-100 against its project's definition of ready (specific title, problem "
    "statement, acceptance criteria, reproduction steps with expected and actual behaviour for bugs, labels, "
    "priority, no open duplicate) and report each criterion with its evidence and what would fix it. Read-only.",
    input_schema=ONE_ISSUE,
    output_schema={"type": "object", "properties": {
        "score": {"type": "integer", "minimum": 0, "maximum": 100}, "engine": {"type": "string"},
        "summary": {"type": "string"}, "missing": {"type": "array", "items": {"type": "string"}},
        "findings": {"type": "array", "items": {"type": "object"}}}, "required": ["score", "engine", "findings"]},
    handler=estimate_compliance,
    read_only=True, idempotent=True,
))  # fmt: skip

tool_register(ToolSpec(
    name="improve_compliance",
    title="Improve compliance",
    description="Propose a rewritten title, description and acceptance criteria that make an issue meet its "
    "project's definition of ready, keeping what it already says and marking unknown facts as [TODO: …]. Writes "
    "nothing: apply the proposal with update_issue once it is right.",
    input_schema=ONE_ISSUE,
    output_schema={"type": "object", "properties": {
        "title": {"type": "string"}, "description": {"type": "string"},
        "acceptance_criteria": {"type": "array", "items": {"type": "string"}},
        "addresses": {"type": "array", "items": {"type": "string"}}, "engine": {"type": "string"},
        "score_before": {"type": "integer"}}, "required": ["title", "description", "acceptance_criteria"]},
    handler=improve_compliance,
    read_only=True, idempotent=True,
))  # fmt: skip
