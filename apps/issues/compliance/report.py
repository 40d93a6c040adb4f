"""What compliance scoring and improvement return: plain dataclasses with `as_dict()` for REST and MCP."""

from __future__ import annotations

from dataclasses import dataclass, field

RULES_ENGINE = "rules"


def finding_status(score: float) -> str:
    return "met" if score >= 1.0 else "missing" if score <= 0.0 else "partial"


@dataclass(frozen=True)
class CriterionFinding:
    id: str
    label: str
    weight: int
    applicable: bool  # False: excluded from the score (e.g. the bug criterion on a feature request)
    score: float  # 0.0 … 1.0
    evidence: str
    suggestion: str = ""
    engine: str = RULES_ENGINE  # who judged this criterion: "rules" or "llm:<model>"

    @property
    def status(self) -> str:
        return finding_status(self.score) if self.applicable else "not_applicable"

    def as_dict(self) -> dict:
        return {"id": self.id, "label": self.label, "weight": self.weight, "applicable": self.applicable,
                "status": self.status, "score": self.score, "evidence": self.evidence,
                "suggestion": self.suggestion, "engine": self.engine}  # fmt: skip


def weighted_score(findings: list[CriterionFinding]) -> int:
    """Weighted share of the applicable criteria met, 0-100 (100 when nothing applies)."""
    total = sum(finding.weight for finding in findings if finding.applicable)
    if total <= 0:
        return 100
    earned = sum(finding.weight * finding.score for finding in findings if finding.applicable)
    return int(earned * 100 / total + 0.5)


@dataclass(frozen=True)
class ComplianceReport:
    issue_id: str
    issue_key: str
    score: int  # 0-100
    engine: str  # "rules" or "llm:<model>"
    definition: str  # "project" (the project's own definition of ready) or "default"
    findings: list[CriterionFinding]
    summary: str = ""
    notes: list[str] = field(default_factory=list)  # e.g. why the LLM answer was not used

    @property
    def unmet(self) -> list[CriterionFinding]:
        return [finding for finding in self.findings if finding.applicable and finding.score < 1.0]

    def as_dict(self) -> dict:
        return {"issue_id": self.issue_id, "issue_key": self.issue_key, "score": self.score, "engine": self.engine,
                "definition": self.definition, "summary": self.summary,
                "missing": [finding.id for finding in self.unmet],
                "findings": [finding.as_dict() for finding in self.findings], "notes": list(self.notes)}  # fmt: skip


@dataclass(frozen=True)
class ComplianceSuggestion:
    issue_id: str
    issue_key: str
    engine: str
    score_before: int  # by the rules, which also decide what is unmet
    addresses: list[str]  # ids of the criteria the proposal is meant to meet
    title: str
    title_changed: bool
    description: str  # the whole proposed description, Markdown; placeholders read `[TODO: …]`
    acceptance_criteria: list[str]
    other_changes: list[dict] = field(default_factory=list)  # [{"id", "suggestion"}] for fields, not text
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"issue_id": self.issue_id, "issue_key": self.issue_key, "engine": self.engine,
                "score_before": self.score_before, "addresses": list(self.addresses), "title": self.title,
                "title_changed": self.title_changed, "description": self.description,
                "acceptance_criteria": list(self.acceptance_criteria), "other_changes": list(self.other_changes),
                "notes": list(self.notes)}  # fmt: skip
