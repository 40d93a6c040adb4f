"""ADF inline content as Markdown: text and its marks, line breaks, mentions, emoji, status, cards, dates."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from apps.trackers.clients.markdown_inline import (
    MARK_ORDER,
    Mark,
    Piece,
    autolink,
    code_span,
    escape_text,
    join_pieces,
    link_destination,
)

Node = dict
HARD_BREAK = "\\\n"


def node_children(node: Node) -> list[Node]:
    """The child nodes of an ADF node, ignoring anything that is not a node."""
    content = node.get("content")
    return [child for child in content if isinstance(child, dict)] if isinstance(content, list) else []


def node_attrs(node: Node) -> dict:
    attrs = node.get("attrs")
    return attrs if isinstance(attrs, dict) else {}


def inline_markdown(nodes: list[Node], *, line_break: str = HARD_BREAK) -> str:
    """Markdown for inline nodes; `line_break` is what a hard break becomes (a heading or table cell has one line)."""
    pieces: list[Piece] = []
    for node in _merge_texts(nodes):
        pieces.extend(_pieces(node, line_break))
    return join_pieces(pieces)


def inline_card(attrs: dict) -> str:
    """A smart link (inline, block or embed card) as a Markdown link."""
    data = attrs.get("data") if isinstance(attrs.get("data"), dict) else {}
    url = str(attrs.get("url") or data.get("url") or "")
    name = str(data.get("name") or "")
    if name and url:
        return f"[{escape_text(name)}]({link_destination(url)})"
    return autolink(url) if url else escape_text(name)


def _merge_texts(nodes: list[Node]) -> list[Node]:
    """Join neighbouring text nodes with the same marks: two code spans side by side would read as one."""
    merged: list[Node] = []
    for node in nodes:
        previous = merged[-1] if merged else None
        if (
            previous is not None
            and node.get("type") == previous.get("type") == "text"
            and isinstance(node.get("text"), str)
            and isinstance(previous.get("text"), str)
            and _delimited_marks(node.get("marks")) == _delimited_marks(previous.get("marks"))
        ):
            merged[-1] = {**previous, "text": previous["text"] + node["text"]}
        else:
            merged.append(node)
    return merged


def _pieces(node: Node, line_break: str) -> list[Piece]:
    kind = node.get("type")
    if kind == "text":
        text = node.get("text")
        return _text_pieces(text, node.get("marks"), line_break) if isinstance(text, str) else []
    if kind == "hardBreak":
        return [Piece(line_break, None, flexible=True)]
    renderer = _RENDERERS.get(kind)
    if renderer is not None:
        markdown = renderer(node_attrs(node))
        return [Piece(markdown, _delimited_marks(node.get("marks"))[0])] if markdown else []
    # An unknown inline node: its text content, or its text attribute.
    children = node_children(node)
    if children:
        return [piece for child in children for piece in _pieces(child, line_break)]
    fallback = node_attrs(node).get("text") or node.get("text")
    return _text_pieces(fallback, None, line_break) if isinstance(fallback, str) else []


def _text_pieces(text: str, marks: object, line_break: str) -> list[Piece]:
    delimited, is_code = _delimited_marks(marks)
    if not is_code and ("link", text) in delimited and "\n" not in text:
        # A bare URL, as an inline card or `<url>` gives.
        return [Piece(autolink(text), tuple(mark for mark in delimited if mark[0] != "link"))]
    pieces: list[Piece] = []
    for index, line in enumerate(text.split("\n")):
        if index:
            pieces.append(Piece(line_break, None, flexible=True))
        core = line.strip()
        if is_code or not core:
            pieces.extend([Piece(code_span(line), delimited) if is_code else Piece(line, delimited, flexible=True)])
            continue
        # Whitespace stays outside delimiters: `**bold **` would not be bold in CommonMark.
        lead, trail = line[: len(line) - len(line.lstrip())], line[len(line.rstrip()) :]
        pieces.extend(Piece(space, delimited, flexible=True) for space in (lead,) if space)
        pieces.append(Piece(escape_text(core), delimited))
        pieces.extend(Piece(space, delimited, flexible=True) for space in (trail,) if space)
    return [piece for piece in pieces if piece.markdown]


def _delimited_marks(marks: object) -> tuple[tuple[Mark, ...], bool]:
    """The marks Markdown writes as delimiters, and whether the text is code (underline and colours have none)."""
    found: dict[str, Mark] = {}
    is_code = False
    for mark in marks if isinstance(marks, list) else []:
        kind = mark.get("type") if isinstance(mark, dict) else None
        if kind == "code":
            is_code = True
        elif kind == "link":
            href = node_attrs(mark).get("href")
            if isinstance(href, str) and href:
                found["link"] = ("link", href)
        elif kind in MARK_ORDER:
            found[kind] = (kind, "")
    return tuple(found[kind] for kind in MARK_ORDER if kind in found), is_code


def _mention(attrs: dict) -> str:
    name = str(attrs.get("text") or attrs.get("displayName") or attrs.get("id") or "").lstrip("@")
    return escape_text("@" + name) if name else ""


def _date(attrs: dict) -> str:
    timestamp = str(attrs.get("timestamp") or "")
    try:
        return datetime.fromtimestamp(int(timestamp) / 1000, tz=UTC).date().isoformat()
    except (ValueError, OverflowError, OSError):
        return escape_text(timestamp)


def _media(attrs: dict) -> str:
    # Attachments live in Jira; only an external image has an address Markdown can show.
    if attrs.get("type") == "external" and attrs.get("url"):
        return f"![{escape_text(str(attrs.get('alt') or ''))}]({link_destination(str(attrs['url']))})"
    name = str(attrs.get("alt") or attrs.get("name") or "").strip()
    return escape_text(f"(attachment: {name})" if name else "(attachment)")


_RENDERERS: dict[str, Callable[[dict], str]] = {
    "mention": _mention,
    "emoji": lambda attrs: escape_text(str(attrs.get("text") or attrs.get("shortName") or "")),
    "status": lambda attrs: escape_text(f"[{attrs['text']}]") if attrs.get("text") else "",
    "inlineCard": inline_card,
    "date": _date,
    "placeholder": lambda attrs: "",  # an editor's prompt, not content
    "media": _media,
    "mediaInline": _media,
}
