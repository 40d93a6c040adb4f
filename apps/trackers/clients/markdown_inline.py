"""Writing inline Markdown: escaping, code spans, links, and emphasis delimiters that nest correctly."""

from __future__ import annotations

import re
from dataclasses import dataclass

# One mark written with delimiters: ("strong", ""), ("em", ""), ("strike", "") or ("link", href).
Mark = tuple[str, str]

# Characters that would start Markdown syntax in running text. Underscores only count at a word's edge,
# '<' only before something tag-like, '&' only before something entity-like.
_SPECIAL = re.compile(r"[\\`*\[\]~]|(?<![^\W_])_|_(?![^\W_])|<(?=[A-Za-z/!?])|&(?=#?\w+;)")
# At the start of a line: ATX headings, list markers, quotes, setext underlines and thematic breaks.
_BLOCK_START = re.compile(r"#{1,6}(?:[ \t]|$)|[-+](?:[ \t]|$)|>|[-=][-= \t]*$")
_ORDERED_START = re.compile(r"\d{1,9}(?=[.)](?:[ \t]|$))")
_AUTOLINK = re.compile(r"[A-Za-z][A-Za-z0-9+.-]{1,31}:[^\s<>]*")
_OPENERS = {"strong": "**", "em": "*", "strike": "~~", "link": "["}
# Marks opened together nest in this order, outermost first: a link spanning formatted text stays one link.
MARK_ORDER = ("link", "strong", "em", "strike")


@dataclass(frozen=True)
class Piece:
    """A run of finished Markdown with the delimited marks around it.

    A flexible piece (whitespace, a line break) may sit inside or outside the delimiters of its neighbours;
    its marks, if not None, are the most it may carry.
    """

    markdown: str
    marks: tuple[Mark, ...] | None
    flexible: bool = False


def escape_text(text: str) -> str:
    """Escape running text so that Markdown shows it literally (newlines become spaces)."""
    return _SPECIAL.sub(lambda match: "\\" + match.group(), text.replace("\n", " "))


def escape_line_starts(text: str) -> str:
    """Escape what would start a block at the beginning of a paragraph's lines, and drop the indentation."""
    lines = []
    for line in text.split("\n"):
        line = line.strip(" \t")
        ordered = _ORDERED_START.match(line)
        if ordered:
            line = line[: ordered.end()] + "\\" + line[ordered.end() :]
        elif _BLOCK_START.match(line):
            line = "\\" + line
        lines.append(line)
    return "\n".join(lines)


def code_span(text: str) -> str:
    """An inline code span holding `text` exactly, whatever backticks it contains."""
    text = text.replace("\n", " ")
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    padded = text[:1] == "`" or text[-1:] == "`" or (text[:1] == " " and text[-1:] == " " and text.strip() != "")
    return f"{fence} {text} {fence}" if padded else f"{fence}{text}{fence}"


def link_destination(url: str) -> str:
    """A URL written so that Markdown reads it back whole, as the destination of `[text](...)`."""
    for char, encoded in ((" ", "%20"), ("<", "%3C"), (">", "%3E"), ("\n", ""), ("\r", "")):
        url = url.replace(char, encoded)
    return re.sub(r"([\\()])", r"\\\1", url)


def autolink(url: str) -> str:
    """A link showing its own URL: `<url>` where CommonMark allows it, `[url](url)` otherwise."""
    if _AUTOLINK.fullmatch(url):
        return f"<{url}>"
    return f"[{escape_text(url)}]({link_destination(url)})"


def join_pieces(pieces: list[Piece]) -> str:
    """Join pieces, opening and closing delimiters so that marks shared by neighbours stay open across them."""
    start, end = 0, len(pieces)
    while start < end and pieces[start].flexible:
        start += 1
    while end > start and pieces[end - 1].flexible:
        end -= 1
    pieces = pieces[start:end]
    out: list[str] = []
    open_marks: list[Mark] = []
    for index, piece in enumerate(pieces):
        wanted = _flexible_marks(pieces, index) if piece.flexible else set(piece.marks or ())
        keep = 0
        while keep < len(open_marks) and open_marks[keep] in wanted:
            keep += 1
        out.extend(_closer(mark) for mark in reversed(open_marks[keep:]))
        del open_marks[keep:]
        # Delimiters open only right before text: `** a**` would not be bold.
        opening = set() if piece.flexible else wanted - set(open_marks)
        for mark in sorted(opening, key=lambda mark: MARK_ORDER.index(mark[0])):
            if mark[0] == "link" and out and _ends_with_unescaped(out[-1], "!"):
                out[-1] = out[-1][:-1] + "\\!"  # '!' before '[' would make the link an image
            out.append(_OPENERS[mark[0]])
            open_marks.append(mark)
        out.append(piece.markdown)
    out.extend(_closer(mark) for mark in reversed(open_marks))
    return "".join(out)


def _flexible_marks(pieces: list[Piece], index: int) -> set[Mark]:
    """The marks a run of whitespace and line breaks keeps: those of both neighbours that every piece allows."""
    first = last = index
    while pieces[first - 1].flexible:
        first -= 1
    while pieces[last + 1].flexible:
        last += 1
    marks = set(pieces[first - 1].marks or ()) & set(pieces[last + 1].marks or ())
    for piece in pieces[first : last + 1]:
        if piece.marks is not None:
            marks &= set(piece.marks)
    return marks


def _closer(mark: Mark) -> str:
    kind, href = mark
    return f"]({link_destination(href)})" if kind == "link" else _OPENERS[kind]


def _ends_with_unescaped(text: str, char: str) -> bool:
    if not text.endswith(char):
        return False
    backslashes = len(text[:-1]) - len(text[:-1].rstrip("\\"))
    return backslashes % 2 == 0
