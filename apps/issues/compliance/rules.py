"""Deterministic checks, one per criterion: each returns a score (0, partial, 1), the evidence and a suggestion.

They read only the issue itself (and the duplicates its caller passes in), never the network, so the
same issue always gets the same findings.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from apps.issues.compliance.text import IssueText, first_sentence, quote, words

GENERIC_TITLE_TEXT = (
    "a an the it this that my our some please help asap urgent bug bugs fix fixes fixed issue issues problem "
    "problems error errors broken crash crashes question todo wip update updates change changes request "
    "feature task stuff thing things something doesn't does not work works working test improvement new"
)
GENERIC_TITLE_WORDS = frozenset(GENERIC_TITLE_TEXT.split())
PRIORITY_LABEL = re.compile(
    r"^\s*(?:priority|prio|pri|severity|sev|p)\s*[:/=_ -]*\s*"
    r"(?:[0-5]|critical|blocker|highest|high|medium|normal|low|lowest|urgent|major|minor|trivial)\s*$",
    re.IGNORECASE,
)
TYPE_PREFIX = re.compile(r"^(?:type|kind|t|issue[ _-]?type)\s*[:/]+\s*", re.IGNORECASE)
PROBLEM_SIGNALS = re.compile(
    r"\b(when|whenever|fails?|failing|failed|errors?|crash\w*|cannot|can't|can not|unable|instead|should|must|"
    r"expected|broken|wrong|incorrect|missing|slow|because|so that|in order to|currently|problem|needs?|wants?|"
    r"would like|as an? \w+|impact|users?|customers?)\b",
    re.IGNORECASE,
)
AC_HEADING = r"acceptance|definition of done|done when|success criteria|^ac$"
STEPS_HEADING = r"steps to|^steps$|reproduc|\brepro\b|how to"
EXPECTED_HEADING = r"expected|desired|should happen"
ACTUAL_HEADING = r"^(?!.*expected).*(actual|observed|current behaviou?r|what happens|result|instead)"
GHERKIN = re.compile(r"^\s*(?:[-*]\s*)?(?:\*\*)?given\b.+?(?:\n.*?)*?^\s*(?:[-*]\s*)?(?:\*\*)?then\b.*", re.I | re.M)
SHOULD_STATEMENT = re.compile(r"\b(should|must|needs? to|has to|have to)\b", re.IGNORECASE)
INLINE_EXPECTED = re.compile(r"\b(expected|i expect|should|ought to|supposed to)\b", re.IGNORECASE)
INLINE_ACTUAL = re.compile(
    r"\b(actually|instead|but (?:it|the|i|nothing)|currently|error|exception|traceback|crash\w*|fails?|"
    r"failed|hangs?|freezes?|returns? (?:a )?\d{3}|5\d\d|4\d\d)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class CheckResult:
    score: float  # 1.0 met, 0.0 missing, in between partly met
    evidence: str
    suggestion: str = ""  # what would meet the criterion; empty when met


@dataclass(frozen=True)
class IssueFacts:
    """What the checks need to know about one issue."""

    issue: object  # apps.issues.models.Issue
    text: IssueText
    kinds: frozenset[str]  # issue type and labels, lower-cased, without `type:`/`kind/` prefixes
    is_bug: bool
    unresolved_duplicates: Sequence = ()


def issue_kinds(issue) -> frozenset[str]:
    """The issue's type and its labels as type names: `Bug`, `type: bug`, `kind/bug` all read as `bug`."""
    kinds = {issue.issue_type.strip().lower()} if (issue.issue_type or "").strip() else set()
    kinds |= {TYPE_PREFIX.sub("", label).strip().lower() for label in issue.labels or []}
    return frozenset(kind for kind in kinds if kind)


def _listing(items: Sequence[str], limit: int = 3) -> str:
    shown = ", ".join(quote(item, max_chars=60) for item in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def check_specific_title(facts: IssueFacts) -> CheckResult:
    title = facts.text.title
    title_words = words(title)
    generic = [word for word in title_words if word.lower() in GENERIC_TITLE_WORDS]
    specific = len(title_words) - len(generic)
    letters = [char for char in title if char.isalpha()]
    suggestion = "Say what is wrong or wanted, and where, e.g. “Login fails with 500 when the password has a quote”."
    if not title_words:
        return CheckResult(0.0, "The title is empty.", suggestion)
    if specific == 0:
        return CheckResult(0.0, f"The title {quote(title)} has only vague words ({', '.join(generic)}).", suggestion)
    if len(title_words) <= 2:
        return CheckResult(0.0, f"The title {quote(title)} has only {len(title_words)} word(s).", suggestion)
    score, problems = 1.0, []
    if len(title_words) == 3:
        score, problems = 0.5, [*problems, "only 3 words"]
    if specific < 2 or len(generic) > specific:
        score, problems = 0.5, [*problems, f"mostly vague words ({', '.join(generic)})"]
    if len(letters) >= 4 and title.upper() == title:
        score, problems = min(score, 0.5), [*problems, "written in capitals"]
    if len(title) > 150:
        score, problems = min(score, 0.5), [*problems, f"{len(title)} characters long; move detail to the description"]
    if problems:
        return CheckResult(score, f"The title {quote(title)} is {'; '.join(problems)}.", suggestion)
    return CheckResult(1.0, f"The title {quote(title)} names the subject in {len(title_words)} words.")


def check_problem_statement(facts: IssueFacts) -> CheckResult:
    text = facts.text
    suggestion = "Describe the problem: who is affected, what happens (or is missing) and why it matters."
    if not text.description.strip():
        return CheckResult(0.0, "The description is empty.", suggestion)
    prose_words = words(text.prose)
    count = len(prose_words)
    if count < 5:
        return CheckResult(0.0, f"The description has only {count} word(s) of prose.", suggestion)
    opening = quote(first_sentence(text.prose))
    if " ".join(prose_words).lower() == " ".join(words(text.title)).lower():
        return CheckResult(0.5, "The description only repeats the title.", suggestion)
    signal = PROBLEM_SIGNALS.search(text.prose)
    if (count >= 12 and signal) or count >= 30:
        return CheckResult(1.0, f"The description states the problem ({count} words): {opening}")
    reason = f"short ({count} words)" if count < 12 else "silent on what goes wrong or why it matters"
    return CheckResult(0.5, f"The description is {reason}: {opening}", suggestion)


def check_acceptance_criteria(facts: IssueFacts) -> CheckResult:
    text = facts.text
    suggestion = "Add an “Acceptance criteria” section with a checklist (`- [ ] …`) of observable outcomes."
    if section := text.section(AC_HEADING):
        items = [line for line in section.lines if line.strip()]
        return CheckResult(1.0, f"Section “{section.heading}” with {len(items)} line(s): {quote(section.text)}")
    if empty := text.heading_present(AC_HEADING):
        return CheckResult(0.0, f"The “{empty.heading}” section holds only placeholders.", suggestion)
    checklist = [item for item in text.checklist if words(item) and "TODO" not in item]
    if checklist:
        return CheckResult(1.0, f"{len(checklist)} checklist item(s): {_listing(checklist)}.")
    if match := GHERKIN.search(text.body):
        return CheckResult(1.0, f"A Given/When/Then scenario: {quote(match.group(0))}")
    if facts.is_bug and (expected := text.section(EXPECTED_HEADING)):
        return CheckResult(1.0, f"Bug report: the expected behaviour is the criterion: {quote(expected.text)}")
    statements = SHOULD_STATEMENT.findall(text.body)
    if len(statements) >= 2:
        return CheckResult(0.5, f"{len(statements)} “should/must” statements, but no checkable list.", suggestion)
    return CheckResult(0.0, "No acceptance criteria, checklist or Given/When/Then scenario.", suggestion)


def bug_report_parts(text: IssueText) -> dict[str, str | None]:
    """Where a bug report gives its steps, expected and actual behaviour (None: not found)."""
    parts: dict[str, str | None] = {}
    if steps := text.section(STEPS_HEADING):
        parts["steps"] = f"“{steps.heading}”"
    else:
        parts["steps"] = f"{len(text.numbered)} numbered steps" if len(text.numbered) >= 2 else None
    if expected := text.section(EXPECTED_HEADING):
        parts["expected"] = f"“{expected.heading}”"
    else:
        parts["expected"] = "in the text" if INLINE_EXPECTED.search(text.body) else None
    if actual := text.section(ACTUAL_HEADING):
        parts["actual"] = f"“{actual.heading}”"
    else:
        parts["actual"] = "in the text" if INLINE_ACTUAL.search(text.body) else None
    return parts


BUG_PART_NAMES = {"steps": "steps to reproduce", "expected": "expected behaviour", "actual": "actual behaviour"}


def check_bug_reproduction(facts: IssueFacts) -> CheckResult:
    parts = bug_report_parts(facts.text)
    found = [f"{BUG_PART_NAMES[part]} ({where})" for part, where in parts.items() if where]
    missing = [BUG_PART_NAMES[part] for part, where in parts.items() if not where]
    evidence = "Found: " + (", ".join(found) or "nothing") + (f"; missing: {', '.join(missing)}." if missing else ".")
    suggestion = f"Add the {' and '.join(missing)}, each under its own heading." if missing else ""
    return CheckResult(round(len(found) / 3, 2), evidence, suggestion)


def check_labels(facts: IssueFacts) -> CheckResult:
    labels = list(facts.issue.labels or [])
    topical = [label for label in labels if not PRIORITY_LABEL.match(label)]
    suggestion = "Add labels for the kind of issue (bug, feature) and the area it touches."
    if topical:
        return CheckResult(1.0, f"Labels: {', '.join(topical)}.")
    if labels:
        return CheckResult(0.5, f"Only priority labels: {', '.join(labels)}.", suggestion)
    return CheckResult(0.0, "No labels.", suggestion)


def check_priority(facts: IssueFacts) -> CheckResult:
    issue = facts.issue
    if (issue.priority or "").strip():
        return CheckResult(1.0, f"Priority: {issue.priority}.")
    if label := next((label for label in issue.labels or [] if PRIORITY_LABEL.match(label)), None):
        return CheckResult(1.0, f"Priority label: {label}.")
    return CheckResult(0.0, "No priority field or `priority:` label.", "Set a priority (or a `priority: …` label).")


def check_no_unresolved_duplicate(facts: IssueFacts) -> CheckResult:
    issue = facts.issue
    candidates = [dup for dup in facts.unresolved_duplicates if dup.pk != issue.pk]
    # The caller says these are unresolved; one closed or deleted since then no longer counts.
    open_ones = [dup for dup in candidates if dup.state == "open" and dup.deleted_at is None]
    if open_ones:
        named = ", ".join(f"{dup.key} {quote(dup.title, max_chars=60)}" for dup in open_ones[:3])
        keys = ", ".join(dup.key for dup in open_ones[:3])
        return CheckResult(0.0, f"Unresolved possible duplicate(s): {named}.",
                           f"Close one as a duplicate of the other ({keys}), or say how they differ.")  # fmt: skip
    if candidates:
        return CheckResult(
            1.0, f"No unresolved duplicate known: the {len(candidates)} candidate(s) given are resolved."
        )
    return CheckResult(1.0, "No unresolved duplicate known: no open issue of the project is similar enough.")
