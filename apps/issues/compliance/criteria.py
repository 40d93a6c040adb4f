"""The registry of definition-of-ready criteria: one entry each, with its rule check and default weight.

Adding a criterion is: write its check in `rules.py`, add an entry here. Projects then weigh, disable
or restrict it to issue types through their definition of ready (`definition.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from apps.issues.compliance import rules

BUG_TYPES = ("bug", "defect", "incident", "regression")


@dataclass(frozen=True)
class Criterion:
    id: str
    label: str
    description: str  # what "met" means; shown in the API and given to the LLM
    default_weight: int
    check: Callable[[rules.IssueFacts], rules.CheckResult]
    # Text quality the LLM may judge; facts (labels, priority, known duplicates) are always checked by rules.
    judged_by_llm: bool = True
    default_applies_to_types: tuple[str, ...] | None = None  # None: every issue


CRITERIA: dict[str, Criterion] = {
    criterion.id: criterion
    for criterion in [
        Criterion(
            id="specific_title",
            label="Specific title",
            description="The title names the subject and the problem or goal in at least four words; not vague "
            "(“Bug”, “Fix”, “Help”), not all capitals.",
            default_weight=15,
            check=rules.check_specific_title,
        ),
        Criterion(
            id="problem_statement",
            label="Problem statement",
            description="The description says what is wrong or missing, who is affected and why it matters.",
            default_weight=20,
            check=rules.check_problem_statement,
        ),
        Criterion(
            id="acceptance_criteria",
            label="Acceptance criteria",
            description="Checkable outcomes: an “Acceptance criteria” section, a `- [ ]` checklist or "
            "Given/When/Then scenarios; for a bug, the stated expected behaviour.",
            default_weight=20,
            check=rules.check_acceptance_criteria,
        ),
        Criterion(
            id="bug_reproduction",
            label="Reproduction steps, expected and actual behaviour",
            description="For bugs: steps to reproduce, the expected behaviour and the actual behaviour.",
            default_weight=20,
            check=rules.check_bug_reproduction,
            default_applies_to_types=BUG_TYPES,
        ),
        Criterion(
            id="labels",
            label="Labels",
            description="At least one label besides priority labels.",
            default_weight=10,
            check=rules.check_labels,
            judged_by_llm=False,
        ),
        Criterion(
            id="priority",
            label="Priority",
            description="The priority field is set, or a `priority: …` / `P1` style label.",
            default_weight=10,
            check=rules.check_priority,
            judged_by_llm=False,
        ),
        Criterion(
            id="no_unresolved_duplicate",
            label="No unresolved duplicate",
            description="No open issue known to be a duplicate of this one.",
            default_weight=5,
            check=rules.check_no_unresolved_duplicate,
            judged_by_llm=False,
        ),
    ]
}
