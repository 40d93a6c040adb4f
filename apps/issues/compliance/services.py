"""Compliance of one issue with its project's definition of ready: scoring and improvement proposals.

With an LLM configured (`LLM_PROVIDER`), the text criteria are judged and the rewrite is written by the
LLM; facts (labels, priority, known duplicates) are always checked by rules, and the score is always
the weighted share computed here. Without an LLM, or when its answer is unusable, the rules and
templates answer, and the result says which was used (`engine`) and why (`notes`). Nothing is written
to the tracker or the database.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from apps.issues.compliance import improve, prompts
from apps.issues.compliance.criteria import BUG_TYPES, CRITERIA
from apps.issues.compliance.definition import CriterionSetting, definition_of_ready_get
from apps.issues.compliance.report import (
    RULES_ENGINE,
    ComplianceReport,
    ComplianceSuggestion,
    CriterionFinding,
    weighted_score,
)
from apps.issues.compliance.rules import IssueFacts, issue_kinds
from apps.issues.compliance.text import issue_text_read
from preloop.llm import LlmConfig, LlmError, llm_complete_json, llm_config

if TYPE_CHECKING:
    from apps.issues.models import Issue

log = logging.getLogger(__name__)
LLM_STATUS_SCORES = {"met": 1.0, "partial": 0.5, "missing": 0.0}
MAX_LLM_TEXT = 1000


def _facts(issue: Issue, unresolved_duplicates: Sequence[Issue] | None) -> IssueFacts:
    if unresolved_duplicates is None:
        from apps.issues.duplicates import issue_unresolved_duplicates

        unresolved_duplicates = issue_unresolved_duplicates(issue=issue)
    kinds = issue_kinds(issue)
    return IssueFacts(issue=issue, text=issue_text_read(title=issue.title, description=issue.description),
                      kinds=kinds, is_bug=bool(kinds & set(BUG_TYPES)),
                      unresolved_duplicates=tuple(unresolved_duplicates))  # fmt: skip


def _rules_finding(setting: CriterionSetting, facts: IssueFacts) -> CriterionFinding:
    criterion = setting.criterion
    if not setting.applies_to(facts.kinds):
        kinds = ", ".join(sorted(facts.kinds)) or "no type or labels"
        evidence = f"Not applicable: only for {', '.join(setting.applies_to_types)}; this issue has {kinds}."
        return CriterionFinding(criterion.id, criterion.label, setting.weight, False, 0.0, evidence)
    result = criterion.check(facts)
    return CriterionFinding(criterion.id, criterion.label, setting.weight, True, result.score, result.evidence,
                            result.suggestion)  # fmt: skip


def _rules_summary(findings: list[CriterionFinding]) -> str:
    applicable = [finding for finding in findings if finding.applicable]
    met = [finding for finding in applicable if finding.status == "met"]
    unmet = [finding.label.lower() for finding in applicable if finding.status != "met"]
    return f"{len(met)} of {len(applicable)} criteria met" + (f"; not yet: {'; '.join(unmet)}." if unmet else ".")


def _llm_findings(config: LlmConfig, issue, findings: list[CriterionFinding]) -> tuple[list[CriterionFinding], str]:
    """The text criteria judged by the LLM in place of the rules; raises LlmError for an unusable answer."""
    judged = [finding for finding in findings if finding.applicable and CRITERIA[finding.id].judged_by_llm]
    if not judged:
        return findings, ""
    ids = [finding.id for finding in judged]
    answer = llm_complete_json(
        config=config, system=prompts.ESTIMATE_SYSTEM, schema=prompts.estimate_schema(ids),
        prompt=prompts.estimate_prompt(issue=issue, criteria=[CRITERIA[criterion_id] for criterion_id in ids]),
        schema_name="compliance_estimate",
    )  # fmt: skip
    by_id = {item["id"]: item for item in answer["findings"]}
    if sorted(by_id) != sorted(ids):
        raise LlmError(f"The answer judges {sorted(by_id)} instead of {sorted(ids)}.")
    merged = []
    for finding in findings:
        item = by_id.get(finding.id)
        if item is None:
            merged.append(finding)
            continue
        suggestion = "" if item["status"] == "met" else item["suggestion"][:MAX_LLM_TEXT]
        merged.append(CriterionFinding(finding.id, finding.label, finding.weight, True,
                                       LLM_STATUS_SCORES[item["status"]], item["evidence"][:MAX_LLM_TEXT],
                                       suggestion, config.engine))  # fmt: skip
    return merged, answer["summary"][:MAX_LLM_TEXT]


def _llm_unusable_note(config: LlmConfig, issue, task: str, error: LlmError) -> str:
    log.warning("Compliance %s of issue %s: the LLM (%s %s) gave no usable answer, rules used instead: %s",
                task, issue.pk, config.provider, config.model, error)  # fmt: skip
    return f"The LLM ({config.model}) gave no usable answer, so the rules were used instead: {error}"


def _report(*, issue, facts: IssueFacts, use_llm: bool) -> ComplianceReport:
    definition = definition_of_ready_get(project=issue.project)
    findings = [_rules_finding(setting, facts) for setting in definition.criteria if setting.enabled]
    engine, summary, notes = RULES_ENGINE, "", []
    config = llm_config() if use_llm else None
    if config is not None:
        try:
            findings, summary = _llm_findings(config, issue, findings)
            engine = config.engine
        except LlmError as error:
            notes.append(_llm_unusable_note(config, issue, "estimate", error))
    score = weighted_score(findings)
    return ComplianceReport(issue_id=str(issue.pk), issue_key=issue.key, score=score, engine=engine,
                            definition="default" if definition.is_default else "project", findings=findings,
                            summary=summary or f"Score {score}/100: {_rules_summary(findings)}", notes=notes)  # fmt: skip


def compliance_estimate(*, issue: Issue, unresolved_duplicates: Sequence[Issue] | None = None) -> ComplianceReport:
    """Score an issue 0-100 against its project's definition of ready, with per-criterion evidence.

    `unresolved_duplicates`: open issues that duplicate this one; by default the duplicate finder's
    (apps/issues/duplicates.py: open, undismissed, above the project's duplicate threshold).
    """
    return _report(issue=issue, facts=_facts(issue, unresolved_duplicates), use_llm=True)


def _llm_suggestion(config: LlmConfig, issue, report: ComplianceReport) -> dict:
    answer = llm_complete_json(config=config, system=prompts.IMPROVE_SYSTEM, schema=prompts.IMPROVE_SCHEMA,
                               prompt=prompts.improve_prompt(issue=issue, unmet=report.unmet),
                               schema_name="compliance_improvement")  # fmt: skip
    title = " ".join(answer["title"].split())
    if not title or len(title) > 1000:
        raise LlmError("The proposed title is empty or longer than 1000 characters.")
    if not answer["description"].strip():
        raise LlmError("The proposed description is empty.")
    criteria = [item.strip() for item in answer["acceptance_criteria"] if item.strip()]
    return {"title": title, "description": answer["description"].strip() + "\n", "acceptance_criteria": criteria,
            "notes": [answer["notes"].strip()] if answer["notes"].strip() else []}  # fmt: skip


def _rules_suggestion(facts: IssueFacts, unmet: dict[str, CriterionFinding]) -> dict:
    existing = improve.acceptance_criteria_existing(facts)
    criteria = improve.acceptance_criteria_proposal(facts) if "acceptance_criteria" in unmet else existing
    title = improve.title_proposal(facts) if "specific_title" in unmet else facts.text.title
    description = improve.description_proposal(facts, unmet, criteria)
    notes = ["Replace every [TODO: …] placeholder before using this text."] if "[TODO" in title + description else []
    return {"title": title, "description": description, "acceptance_criteria": criteria, "notes": notes}


def compliance_improve(*, issue: Issue, unresolved_duplicates: Sequence[Issue] | None = None) -> ComplianceSuggestion:
    """Propose a title, description and acceptance criteria that meet the criteria the issue misses.

    The unmet criteria come from the rules (so the proposal costs at most one LLM call); fields that are
    not text (labels, priority, duplicates) come back as `other_changes`. Nothing is written anywhere.
    """
    facts = _facts(issue, unresolved_duplicates)
    report = _report(issue=issue, facts=facts, use_llm=False)
    unmet = {finding.id: finding for finding in report.unmet}
    proposal, engine, notes = _rules_suggestion(facts, unmet), RULES_ENGINE, []
    config = llm_config()
    if config is not None and set(unmet) & set(improve.TEXT_CRITERIA):
        try:
            proposal, engine = _llm_suggestion(config, issue, report), config.engine
        except LlmError as error:
            notes.append(_llm_unusable_note(config, issue, "improvement", error))
    if not unmet:
        notes.append("The issue already meets every applicable criterion; nothing to add.")
    return ComplianceSuggestion(
        issue_id=str(issue.pk), issue_key=issue.key, engine=engine, score_before=report.score,
        addresses=[criterion_id for criterion_id in unmet if criterion_id in improve.TEXT_CRITERIA],
        title=proposal["title"], title_changed=proposal["title"] != issue.title,
        description=proposal["description"], acceptance_criteria=proposal["acceptance_criteria"],
        other_changes=[{"id": finding.id, "suggestion": finding.suggestion} for finding in unmet.values()
                       if finding.id not in improve.TEXT_CRITERIA],
        notes=[*notes, *proposal["notes"]],
    )  # fmt: skip
