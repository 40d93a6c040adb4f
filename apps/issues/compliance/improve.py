"""The rules-based improver: the original text kept, missing sections added as marked templates.

Nothing is invented: what the issue does not say becomes a `[TODO: …]` placeholder for its author;
what it does say (its first sentence, its "should" statements, its expected behaviour) is reused.
"""

from __future__ import annotations

import re

from apps.issues.compliance import rules
from apps.issues.compliance.report import CriterionFinding
from apps.issues.compliance.text import CODE_FENCE, PLACEHOLDER, first_sentence, heading_of, words

TEXT_CRITERIA = ("specific_title", "problem_statement", "acceptance_criteria", "bug_reproduction")
PROBLEM_HEADING = r"problem|describe|description|summary|context|background"
# (part of a bug report, the heading that finds it, the heading we add, the template under it)
BUG_SECTIONS = [
    ("steps", rules.STEPS_HEADING, "Steps to reproduce",
     "1. [TODO: first step]\n2. [TODO: next step]\n3. [TODO: the step where it goes wrong]"),
    ("expected", rules.EXPECTED_HEADING, "Expected behaviour", "[TODO: what should happen]"),
    ("actual", rules.ACTUAL_HEADING, "Actual behaviour",
     "[TODO: what happens instead; paste the error message or log lines]"),
]  # fmt: skip
MAX_TITLE_WORDS = 12
REQUIREMENT = re.compile(r"\b(should|must|shall)\b", re.IGNORECASE)
PRESENT_STATE = re.compile(r"\b(today|currently|at the moment|right now|for now|still)\b", re.IGNORECASE)


def title_proposal(facts: rules.IssueFacts) -> str:
    """A more specific title: the description's first sentence, else the title with a marked gap."""
    title = facts.text.title
    sentence = first_sentence(facts.text.prose, max_chars=200).rstrip(".!?…:; ")
    sentence_words = sentence.split()
    if len(words(sentence)) >= 4 and sentence.lower() != title.lower():
        proposal = " ".join(sentence_words[:MAX_TITLE_WORDS]).rstrip(",;:")
        return proposal[:1].upper() + proposal[1:]
    if title and title.upper() == title and any(char.isalpha() for char in title):
        title = title[:1] + title[1:].lower()  # no shouting; the specifics still need the author
    return f"{title or 'Untitled'}: [TODO: what fails or is wanted, and where]"


def _sentences(text: str) -> list[str]:
    return [sentence.strip() for sentence in re.split(r"(?<=[.!?])\s+|\n+", text or "") if sentence.strip()]


def _is_requirement(sentence: str) -> bool:
    """“It should …”, “Each refusal must …”; not “today we must email support” (that is the problem)."""
    return bool(REQUIREMENT.search(sentence)) and not PRESENT_STATE.search(sentence)


def acceptance_criteria_existing(facts: rules.IssueFacts) -> list[str]:
    """The checkable outcomes the issue already states."""
    text = facts.text
    if section := text.section(rules.AC_HEADING):
        items = [
            re.sub(r"^\s*(?:[-*+]\s+(?:\[[ xX]\]\s+)?|\d{1,2}[.)]\s+)", "", line).strip() for line in section.lines
        ]
        return [item for item in items if words(item)]
    checklist = [item for item in text.checklist if words(item) and "TODO" not in item]
    if checklist:
        return checklist
    if facts.is_bug and (expected := text.section(rules.EXPECTED_HEADING)):
        return [first_sentence(expected.text)]
    return [line.strip() for line in text.description.splitlines() if re.match(r"^\s*(given|when|then|and)\b", line,
                                                                                re.IGNORECASE)]  # fmt: skip


def acceptance_criteria_proposal(facts: rules.IssueFacts) -> list[str]:
    """Checklist items built from what the issue says, with placeholders for the rest."""
    statements = [sentence for sentence in _sentences(facts.text.prose) if _is_requirement(sentence)]
    if facts.is_bug:
        expected = facts.text.section(rules.EXPECTED_HEADING)
        outcome = first_sentence(expected.text) if expected else next(iter(statements), "")
        return [f"Following the steps to reproduce gives the expected behaviour: "
                f"{outcome or '[TODO: the expected behaviour]'}", "A regression test covers this case"]  # fmt: skip
    if statements:
        return [*statements[:5], "[TODO: how it is checked: test, demo or metric]"]
    return ["[TODO: an observable outcome that shows this is done]",
            "[TODO: how it is checked: test, demo or metric]"]  # fmt: skip


def _fill_in_place(original: str, fills: dict[str, str]) -> str:
    """Put each template under the first heading matching its pattern, dropping placeholder lines there."""
    lines, in_code, filling = [], False, False
    for line in original.splitlines():
        if CODE_FENCE.match(line):
            in_code = not in_code
        opened = None if in_code else heading_of(line)
        if opened is not None:
            pattern = next((pattern for pattern in fills if re.search(pattern, opened[0], re.IGNORECASE)), None)
            filling = pattern is not None
            lines.extend([line, "", fills.pop(pattern)] if filling else [line])
            continue
        if not (filling and PLACEHOLDER.fullmatch(line.strip())):
            lines.append(line)
    return "\n".join(lines)


def description_proposal(facts: rules.IssueFacts, unmet: dict[str, CriterionFinding],
                         acceptance_criteria: list[str]) -> str:  # fmt: skip
    """The original description with templates for what the unmet criteria ask for.

    A section the issue has but left empty (issue forms answer `_No response_`) is filled where it is;
    any other is added at the end under its own heading.
    """
    text = facts.text
    wanted: list[tuple[str, str, str]] = []  # (pattern, heading, template)
    if "problem_statement" in unmet:
        ask = "say more: " if words(text.prose) else ""
        wanted.append((PROBLEM_HEADING, "Problem",
                       f"[TODO: {ask}what goes wrong or is missing, who is affected and why it matters]"))  # fmt: skip
    if "bug_reproduction" in unmet:
        found = rules.bug_report_parts(text)
        wanted.extend((pattern, heading, template) for part, pattern, heading, template in BUG_SECTIONS
                      if not found[part])  # fmt: skip
    if "acceptance_criteria" in unmet:
        checklist = "\n".join(f"- [ ] {item}" for item in acceptance_criteria)
        wanted.append((rules.AC_HEADING, "Acceptance criteria", checklist))
    empty = {pattern: template for pattern, _, template in wanted
             if text.heading_present(pattern) and not text.section(pattern)}  # fmt: skip
    original = _fill_in_place(text.original.strip(), dict(empty)) if empty else text.original.strip()
    added = [f"## {heading}\n\n{template}" for pattern, heading, template in wanted if pattern not in empty]
    return "\n\n".join(part for part in [original, *added] if part) + "\n"
