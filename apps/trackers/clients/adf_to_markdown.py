"""Atlassian Document Format (Jira Cloud REST v3) to Markdown: every node is kept, as Markdown or as its text."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

from apps.trackers.clients.markdown_inline import (
    MARK_ORDER,
    Piece,
    autolink,
    code_span,
    escape_line_starts,
    escape_text,
    join_pieces,
    link_destination,
)

Node = dict

# Nodes that hold blocks; an unknown node holding one of these is rendered as blocks, otherwise as a paragraph.
BLOCK_TYPES = frozenset(
    {
        "paragraph", "heading", "bulletList", "orderedList", "listItem", "codeBlock", "blockquote", "rule",
        "table", "tableRow", "tableHeader", "tableCell", "panel", "expand", "nestedExpand", "mediaSingle",
        "mediaGroup", "taskList", "decisionList", "blockCard", "embedCard", "extension", "bodiedExtension",
        "layoutSection", "layoutColumn",
    }
)  # fmt: skip
_INTERRUPTING_LIST = re.compile(r"(?:[-*]|1[.)]) \S")


def adf_to_markdown(document: dict | None) -> str:
    """Convert an ADF document (or any ADF node) to Markdown; None or an empty document gives ""."""
    if not isinstance(document, dict):
        return ""
    if document.get("type") == "doc":
        return _blocks(_children(document))
    return _block(document).strip("\n")


def _children(node: Node) -> list[Node]:
    content = node.get("content")
    return [child for child in content if isinstance(child, dict)] if isinstance(content, list) else []


def _attrs(node: Node) -> dict:
    attrs = node.get("attrs")
    return attrs if isinstance(attrs, dict) else {}


def _blocks(nodes: list[Node], *, in_list_item: bool = False) -> str:
    rendered: list[str] = []
    previous = previous_list = ""
    for node in nodes:
        kind = node.get("type")
        is_list = kind in {"bulletList", "orderedList"}
        # Two lists in a row with the same marker would read back as one list: alternate the marker.
        alternate = is_list and previous_list == kind
        text = _list(node, alternate=alternate) if is_list else _block(node)
        if not text.strip():
            continue
        # A nested list right under its item's text keeps the list tight, when CommonMark lets a list
        # interrupt a paragraph: not when it starts with an empty item or a number other than 1.
        tight = in_list_item and is_list and previous == "paragraph" and _INTERRUPTING_LIST.match(text)
        rendered.append(("\n" if tight else "\n\n") + text if rendered else text)
        previous, previous_list = str(kind), (str(kind) if is_list and not alternate else "")
    return "".join(rendered)


def _block(node: Node) -> str:
    kind = node.get("type")
    renderer = _BLOCK_RENDERERS.get(kind)
    if renderer is not None:
        return renderer(node)
    children = _children(node)
    if any(child.get("type") in BLOCK_TYPES for child in children):
        return _blocks(children)  # an unknown container (a layout, an extension's body): keep its blocks
    return escape_line_starts(_inline([node]))  # inline or unknown content, shown as a paragraph


def _paragraph(node: Node) -> str:
    return escape_line_starts(_inline(_children(node)))


def _heading(node: Node) -> str:
    level = _attrs(node).get("level")
    level = min(max(level, 1), 6) if isinstance(level, int) else 1
    text = _inline(_children(node), line_break=" ")
    if text.endswith("#"):
        text = text[:-1] + "\\#"  # a trailing '#' would be read as the heading's optional closing sequence
    return f"{'#' * level} {text}" if text.strip() else ""


def _list(node: Node, *, alternate: bool = False) -> str:
    ordered = node.get("type") == "orderedList"
    start = _attrs(node).get("order", 1)
    number = start if isinstance(start, int) and start >= 0 else 1
    lines = []
    for item in _children(node):
        marker = f"{number}{')' if alternate else '.'}" if ordered else ("*" if alternate else "-")
        number += 1
        lines.append(_indent(marker, _list_item(item)))
    return "\n".join(lines)


def _list_item(node: Node) -> str:
    return _blocks(_children(node), in_list_item=True)


def _indent(marker: str, body: str) -> str:
    lines = body.split("\n")
    padding = " " * (len(marker) + 1)
    head = f"{marker} {lines[0]}" if lines[0] else marker
    return "\n".join([head] + [padding + line if line else "" for line in lines[1:]])


def _code_text(node: Node) -> str:
    return "".join(child["text"] for child in _children(node) if isinstance(child.get("text"), str))


def _code_block(node: Node) -> str:
    code = _code_text(node)
    language = str(_attrs(node).get("language") or "").split()
    run, longest = 0, 0
    for char in code:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    fence = "`" * max(3, longest + 1)
    info = language[0].replace("`", "") if language else ""
    return f"{fence}{info}\n{code}\n{fence}" if code else f"{fence}{info}\n{fence}"


def _quote(node: Node) -> str:
    body = _blocks(_children(node))
    return "\n".join(f"> {line}" if line else ">" for line in body.split("\n")) if body else ""


def _table(node: Node) -> str:
    rows = [[cell for cell in _children(row)] for row in _children(node) if row.get("type") == "tableRow"]
    rendered = []
    for row in rows:
        cells = []
        for cell in row:
            cells.append(_table_cell(cell))
            colspan = _attrs(cell).get("colspan")
            cells.extend([""] * (colspan - 1 if isinstance(colspan, int) and colspan > 1 else 0))
        rendered.append(cells)
    width = max((len(cells) for cells in rendered), default=0)
    if not width:
        return ""
    lines = ["| " + " | ".join(cells + [""] * (width - len(cells))) + " |" for cells in rendered]
    # GitHub tables need a header row: a Jira table without one gets its first row promoted.
    lines.insert(1, "|" + " --- |" * width)
    return "\n".join(lines)


def _table_cell(node: Node) -> str:
    parts = []
    for child in _children(node):
        if child.get("type") == "codeBlock":
            code = _code_text(child)
            parts.append(code_span(code) if code.strip() else "")
        elif child.get("type") in {"paragraph", "heading"}:
            parts.append(_inline(_children(child), line_break="<br>"))
        else:
            parts.append(_block(child).replace("\n", "<br>"))
    return "<br>".join(part for part in parts if part).replace("|", "\\|")


def _expand(node: Node) -> str:
    title = str(_attrs(node).get("title") or "").strip()
    body = _blocks(_children(node))
    return f"**{escape_text(title)}**\n\n{body}" if title else body


def _task_list(node: Node) -> str:
    lines = []
    for child in _children(node):
        if child.get("type") in {"taskList", "decisionList"}:
            lines.extend("  " + line if line else "" for line in _task_list(child).split("\n"))
            continue
        box = ""
        if child.get("type") == "taskItem":
            box = "[x] " if _attrs(child).get("state") == "DONE" else "[ ] "
        lines.append(f"- {box}{_inline(_children(child), line_break=' ')}".rstrip())
    return "\n".join(lines)


def _media(node: Node) -> str:
    return _inline([child for child in _children(node) if child.get("type") == "media"])


def _card(node: Node) -> str:
    return _inline_card(_attrs(node))


_BLOCK_RENDERERS: dict[str, Callable[[Node], str]] = {
    "paragraph": _paragraph,
    "heading": _heading,
    "bulletList": _list,
    "orderedList": _list,
    "listItem": _list_item,
    "codeBlock": _code_block,
    "blockquote": _quote,
    "panel": _quote,
    "rule": lambda node: "---",
    "table": _table,
    "expand": _expand,
    "nestedExpand": _expand,
    "taskList": _task_list,
    "decisionList": _task_list,
    "mediaSingle": _media,
    "mediaGroup": _media,
    "blockCard": _card,
    "embedCard": _card,
}


def _inline(nodes: list[Node], *, line_break: str = "\\\n") -> str:
    """Render inline nodes; `line_break` is what a hard break becomes (a heading or table cell has one line)."""
    pieces: list[Piece] = []
    for node in _merge_texts(nodes):
        pieces.extend(_pieces(node, line_break))
    return join_pieces(pieces)


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
    renderer = _INLINE_RENDERERS.get(kind)
    if renderer is not None:
        markdown = renderer(_attrs(node))
        return [Piece(markdown, _delimited_marks(node.get("marks"))[0])] if markdown else []
    children = _children(node)
    if children:
        return [piece for child in children for piece in _pieces(child, line_break)]
    fallback = _attrs(node).get("text") or node.get("text")
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
        if is_code:
            pieces.extend([Piece(code_span(line), delimited)] if line else [])
            continue
        core = line.strip()
        if not core:
            pieces.extend([Piece(line, delimited, flexible=True)] if line else [])
            continue
        lead, trail = line[: len(line) - len(line.lstrip())], line[len(line.rstrip()) :]
        # Whitespace stays outside delimiters: `**bold **` would not be bold in CommonMark.
        pieces.extend(Piece(part, delimited, flexible=True) for part in [lead] if part)
        pieces.append(Piece(escape_text(core), delimited))
        pieces.extend(Piece(part, delimited, flexible=True) for part in [trail] if part)
    return pieces


def _delimited_marks(marks: object) -> tuple[tuple[tuple[str, str], ...], bool]:
    """The marks Markdown writes as delimiters, and whether the text is code."""
    found: dict[str, tuple[str, str]] = {}
    is_code = False
    for mark in marks if isinstance(marks, list) else []:
        kind = mark.get("type") if isinstance(mark, dict) else None
        if kind == "code":
            is_code = True
        elif kind == "link":
            href = _attrs(mark).get("href")
            if isinstance(href, str) and href:
                found["link"] = ("link", href)
        elif kind in MARK_ORDER:
            found[kind] = (kind, "")
    return tuple(found[kind] for kind in MARK_ORDER if kind in found), is_code


def _mention(attrs: dict) -> str:
    name = str(attrs.get("text") or attrs.get("displayName") or attrs.get("id") or "").lstrip("@")
    return escape_text("@" + name) if name else ""


def _inline_card(attrs: dict) -> str:
    data = attrs.get("data") if isinstance(attrs.get("data"), dict) else {}
    url = str(attrs.get("url") or data.get("url") or "")
    name = str(data.get("name") or "")
    if name and url:
        return f"[{escape_text(name)}]({link_destination(url)})"
    return autolink(url) if url else escape_text(name)


def _date(attrs: dict) -> str:
    timestamp = str(attrs.get("timestamp") or "")
    try:
        return datetime.fromtimestamp(int(timestamp) / 1000, tz=UTC).date().isoformat()
    except (ValueError, OverflowError, OSError):
        return escape_text(timestamp)


def _media_inline(attrs: dict) -> str:
    if attrs.get("type") == "external" and attrs.get("url"):
        return f"![{escape_text(str(attrs.get('alt') or ''))}]({link_destination(str(attrs['url']))})"
    name = str(attrs.get("alt") or attrs.get("name") or "").strip()
    return escape_text(f"(attachment: {name})" if name else "(attachment)")


_INLINE_RENDERERS: dict[str, Callable[[dict], str]] = {
    "mention": _mention,
    "emoji": lambda attrs: escape_text(str(attrs.get("text") or attrs.get("shortName") or "")),
    "status": lambda attrs: escape_text(f"[{attrs['text']}]") if attrs.get("text") else "",
    "inlineCard": _inline_card,
    "date": _date,
    "placeholder": lambda attrs: "",
    "media": _media_inline,
    "mediaInline": _media_inline,
}
