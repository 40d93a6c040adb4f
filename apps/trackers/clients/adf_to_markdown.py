"""Atlassian Document Format (Jira Cloud REST v3) to Markdown: every node is kept, as Markdown or as its text."""

from __future__ import annotations

import re
from collections.abc import Callable

from apps.trackers.clients.adf_inline import Node, inline_card, inline_markdown, node_attrs, node_children
from apps.trackers.clients.markdown_inline import code_span, escape_line_starts, escape_text

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
_CLOSING_HASHES = re.compile(r"(?<=\s)#+$|^#+$")


def adf_to_markdown(document: dict | None) -> str:
    """Convert an ADF document (or any ADF node) to Markdown; None or an empty document gives ""."""
    if not isinstance(document, dict):
        return ""
    if document.get("type") == "doc":
        return _blocks(node_children(document))
    return _block(document).strip("\n")


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
    children = node_children(node)
    if any(child.get("type") in BLOCK_TYPES for child in children):
        return _blocks(children)  # an unknown container (a layout, an extension's body): keep its blocks
    return escape_line_starts(inline_markdown([node]))  # inline or unknown content, shown as a paragraph


def _paragraph(node: Node) -> str:
    return escape_line_starts(inline_markdown(node_children(node)))


def _heading(node: Node) -> str:
    level = node_attrs(node).get("level")
    level = min(max(level, 1), 6) if isinstance(level, int) else 1
    text = inline_markdown(node_children(node), line_break=" ")
    closing = _CLOSING_HASHES.search(text)
    if closing:
        text = text[: closing.start()] + "\\" + text[closing.start() :]  # not the heading's closing sequence
    return f"{'#' * level} {text}" if text.strip() else ""


def _list(node: Node, *, alternate: bool = False) -> str:
    ordered = node.get("type") == "orderedList"
    start = node_attrs(node).get("order", 1)
    number = start if isinstance(start, int) and 0 <= start < 10**9 else 1  # CommonMark allows 9 digits
    lines = []
    for item in node_children(node):
        marker = f"{number}{')' if alternate else '.'}" if ordered else ("*" if alternate else "-")
        number += 1
        lines.append(_indent(marker, _list_item(item)))
    return "\n".join(lines)


def _list_item(node: Node) -> str:
    return _blocks(node_children(node), in_list_item=True)


def _indent(marker: str, body: str) -> str:
    lines = body.split("\n")
    padding = " " * (len(marker) + 1)
    head = f"{marker} {lines[0]}" if lines[0] else marker
    return "\n".join([head] + [padding + line if line else "" for line in lines[1:]])


def _code_text(node: Node) -> str:
    return "".join(child["text"] for child in node_children(node) if isinstance(child.get("text"), str))


def _code_block(node: Node) -> str:
    code = _code_text(node)
    language = str(node_attrs(node).get("language") or "").split()
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    fence = "`" * max(3, longest + 1)
    info = language[0].replace("`", "") if language else ""
    return f"{fence}{info}\n{code}\n{fence}" if code else f"{fence}{info}\n{fence}"


def _quote(node: Node) -> str:
    body = _blocks(node_children(node))
    return "\n".join(f"> {line}" if line else ">" for line in body.split("\n")) if body else ""


def _table(node: Node) -> str:
    rendered = []
    for row in (node_children(row) for row in node_children(node) if row.get("type") == "tableRow"):
        cells = []
        for cell in row:
            cells.append(_table_cell(cell))
            colspan = node_attrs(cell).get("colspan")
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
    for child in node_children(node):
        if child.get("type") == "codeBlock":
            code = _code_text(child)
            parts.append(code_span(code) if code.strip() else "")
        elif child.get("type") in {"paragraph", "heading"}:
            parts.append(inline_markdown(node_children(child), line_break="<br>"))
        else:
            parts.append(_block(child).replace("\n", "<br>"))
    return "<br>".join(part for part in parts if part).replace("|", "\\|")


def _expand(node: Node) -> str:
    title = str(node_attrs(node).get("title") or "").strip()
    body = _blocks(node_children(node))
    return f"**{escape_text(title)}**\n\n{body}" if title else body


def _task_list(node: Node) -> str:
    lines = []
    for child in node_children(node):
        if child.get("type") in {"taskList", "decisionList"}:
            lines.extend("  " + line if line else "" for line in _task_list(child).split("\n"))
            continue
        box = ""
        if child.get("type") == "taskItem":
            box = "[x] " if node_attrs(child).get("state") == "DONE" else "[ ] "
        lines.append(f"- {box}{inline_markdown(node_children(child), line_break=' ')}".rstrip())
    return "\n".join(lines)


def _media(node: Node) -> str:
    return inline_markdown([child for child in node_children(node) if child.get("type") == "media"])


def _card(node: Node) -> str:
    return inline_card(node_attrs(node))


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
