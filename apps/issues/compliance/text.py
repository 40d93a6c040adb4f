"""A light reading of an issue's Markdown: sections under headings, checklists, numbered steps, prose.

Trackers mix Markdown headings (`## Steps to reproduce`), bold headings (`**Expected:**`) and plain
label lines (`Actual behaviour: it crashes`); all three count as headings here, and text on the same
line after a label's colon belongs to that section.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# `[TODO: …]` (our own templates), `_No response_` (an optional field left empty in a GitHub issue form),
# and lines that only say TBD, N/A, "-" or "...".
PLACEHOLDER = re.compile(
    r"\[TODO[^\]]*\]|_no response_|^\s*(?:tbd|todo|n/?a|none|-+|\.\.\.)\s*\.?$", re.IGNORECASE | re.MULTILINE
)
# Issue templates explain each section in HTML comments, which the tracker does not show.
HTML_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)
# Markdown `## Title`, and Jira wiki markup `h2. Title` in case a description was stored unconverted.
MARKDOWN_HEADING = re.compile(r"^\s{0,3}(?:#{1,6}|h[1-6]\.)\s+(?P<title>.+?)\s*#*\s*$")
BOLD_HEADING = re.compile(r"^\s*(?:\*\*|__)(?P<title>[^*_]{2,60}?)(?::)?(?:\*\*|__)\s*:?\s*(?P<rest>.*)$")
LABEL_LINE = re.compile(r"^\s*(?P<title>[A-Za-z][A-Za-z /'()-]{1,40}):\s*(?P<rest>.*)$")
CHECKLIST_ITEM = re.compile(r"^\s*[-*+]\s+\[(?P<done>[ xX])\]\s+(?P<text>.+)$")
NUMBERED_ITEM = re.compile(r"^\s*(?:\d{1,2}[.)]|step\s+\d+:?)\s+(?P<text>.+)$", re.IGNORECASE)
BULLET_ITEM = re.compile(r"^\s*[-*+]\s+(?!\[[ xX]\])(?P<text>.+)$")
CODE_FENCE = re.compile(r"^\s*(```|~~~)")
WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'_-]*")

# A label line is only a heading when its label is one people use as a section name, so that
# "Note: restart first" stays prose while "Expected behaviour: …" starts a section.
KNOWN_SECTION_WORDS = re.compile(
    r"\b(steps?|reproduc\w*|repro|expected|actual|observed|current|result|behaviou?r|acceptance|criteria|"
    r"definition of done|problem|summary|description|context|background|motivation|environment|version|"
    r"impact|user story|goal|scope|proposal|solution|done when|logs?|workaround)\b",
    re.IGNORECASE,
)


@dataclass
class Section:
    heading: str  # as written, without markup; "" for text before the first heading
    lines: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.lines).strip()

    @property
    def has_content(self) -> bool:
        """Something besides placeholders (`[TODO: …]`, `TBD`, `N/A`)."""
        return bool(WORD.search(PLACEHOLDER.sub("", self.text)))


@dataclass
class IssueText:
    title: str
    original: str  # the description as written
    description: str  # what a reader sees: without HTML comments
    sections: list[Section]
    checklist: list[str]
    numbered: list[str]
    bullets: list[str]
    prose: str  # description without code blocks, headings, list items and placeholders

    @property
    def body(self) -> str:
        """The visible description without heading lines and placeholders (text after a label's colon stays)."""
        return PLACEHOLDER.sub("", "\n".join(line for section in self.sections for line in section.lines))

    def section(self, pattern: str) -> Section | None:
        """The first section whose heading matches the regex `pattern` (case-insensitive) and has content."""
        regex = re.compile(pattern, re.IGNORECASE)
        for section in self.sections:
            if section.heading and regex.search(section.heading) and section.has_content:
                return section
        return None

    def heading_present(self, pattern: str) -> Section | None:
        """Like `section`, but also a section left empty or holding only placeholders."""
        regex = re.compile(pattern, re.IGNORECASE)
        return next((s for s in self.sections if s.heading and regex.search(s.heading)), None)


def heading_of(line: str) -> tuple[str, str] | None:
    """(heading, rest of the line) when the line opens a section."""
    if match := MARKDOWN_HEADING.match(line):
        return match["title"].strip(" *_:"), ""
    if match := BOLD_HEADING.match(line):
        return match["title"].strip(" :"), match["rest"].strip()
    if (match := LABEL_LINE.match(line)) and KNOWN_SECTION_WORDS.search(match["title"]):
        return match["title"].strip(), match["rest"].strip()
    return None


def issue_text_read(*, title: str, description: str) -> IssueText:
    """Parse an issue's title and Markdown description into the parts the rules look at."""
    sections = [Section(heading="")]
    checklist, numbered, bullets, prose = [], [], [], []
    in_code = False
    visible = HTML_COMMENT.sub("", description or "")
    for line in visible.splitlines():
        if CODE_FENCE.match(line):
            in_code = not in_code
            sections[-1].lines.append(line)
            continue
        if in_code:
            sections[-1].lines.append(line)
            continue
        if opened := heading_of(line):
            heading, rest = opened
            sections.append(Section(heading=heading, lines=[rest] if rest else []))
            if rest:
                prose.append(rest)
            continue
        sections[-1].lines.append(line)
        if match := CHECKLIST_ITEM.match(line):
            checklist.append(match["text"].strip())
        elif match := NUMBERED_ITEM.match(line):
            numbered.append(match["text"].strip())
        elif match := BULLET_ITEM.match(line):
            bullets.append(match["text"].strip())
        elif line.strip() and not line.lstrip().startswith(">"):
            prose.append(line.strip())
    prose_text = PLACEHOLDER.sub("", "\n".join(prose)).strip()
    return IssueText(title=(title or "").strip(), original=description or "", description=visible, sections=sections,
                     checklist=checklist, numbered=numbered, bullets=bullets, prose=prose_text)  # fmt: skip


def words(text: str) -> list[str]:
    return WORD.findall(text or "")


def first_sentence(text: str, *, max_chars: int = 160) -> str:
    """The first sentence of plain text, without Markdown emphasis, cut at a word boundary."""
    flat = re.sub(r"[*_`>#]+", "", " ".join((text or "").split()))
    match = re.match(r"(.+?[.!?])(?:\s|$)", flat)
    sentence = match.group(1) if match else flat
    if len(sentence) > max_chars:
        sentence = sentence[:max_chars].rsplit(" ", 1)[0] + "…"
    return sentence.strip()


def quote(text: str, *, max_chars: int = 100) -> str:
    """A short quotation for evidence: one line, cut at a word boundary."""
    flat = " ".join((text or "").split())
    if len(flat) > max_chars:
        flat = flat[:max_chars].rsplit(" ", 1)[0] + "…"
    return f"“{flat}”"
