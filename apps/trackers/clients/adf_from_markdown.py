"""Markdown to Atlassian Document Format (Jira Cloud REST v3), built on markdown-it's syntax tree."""

from __future__ import annotations

from markdown_it.tree import SyntaxTreeNode

from apps.trackers.clients.markdown_tree import inline_children, is_line_break_tag, markdown_tree, plain_text

Node = dict
Mark = dict

# What ADF lets a list item or a block quote hold; anything else is reshaped to fit (see `_fit`).
NESTED_CONTENT = frozenset({"paragraph", "bulletList", "orderedList", "codeBlock"})
_INLINE_MARKS = {"strong": "strong", "em": "em", "s": "strike"}


def markdown_to_adf(text: str | None) -> dict:
    """Convert Markdown to an ADF document; empty text gives a document without content."""
    content = _blocks(markdown_tree(text).children) if text and text.strip() else []
    return {"type": "doc", "version": 1, "content": content}


def _blocks(nodes: list[SyntaxTreeNode]) -> list[Node]:
    return [block for node in nodes for block in _block(node)]


def _block(node: SyntaxTreeNode) -> list[Node]:
    kind = node.type
    if kind == "paragraph":
        return [_paragraph(_inline(inline_children(node)))]
    if kind == "heading":
        level = int(node.tag[1]) if node.tag[1:].isdigit() else 1
        return [{"type": "heading", "attrs": {"level": level}, "content": _inline(inline_children(node))}]
    if kind in {"bullet_list", "ordered_list"}:
        return [_list(node)]
    if kind in {"fence", "code_block"}:
        return [_code_block(node)]
    if kind == "blockquote":
        return [{"type": "blockquote", "content": _fit(_blocks(node.children))}]
    if kind == "hr":
        return [{"type": "rule"}]
    if kind == "table":
        return [_table(node)]
    if kind == "html_block":
        return [_paragraph(_text_with_breaks(node.content.strip("\n"), []))]
    return _blocks(node.children)


def _paragraph(content: list[Node]) -> Node:
    return {"type": "paragraph", "content": content}


def _list(node: SyntaxTreeNode) -> Node:
    items = [{"type": "listItem", "content": _fit(_blocks(item.children), in_list_item=True)} for item in node.children]
    if node.type == "bullet_list":
        return {"type": "bulletList", "content": items}
    start = node.attrs.get("start", 1)
    return {"type": "orderedList", "attrs": {"order": start if isinstance(start, int) else 1}, "content": items}


def _code_block(node: SyntaxTreeNode) -> Node:
    code = node.content.removesuffix("\n")
    block: Node = {"type": "codeBlock", "content": [{"type": "text", "text": code}] if code else []}
    language = node.info.split()[0] if node.type == "fence" and node.info.strip() else ""
    if language:
        block["attrs"] = {"language": language}
    return block


def _table(node: SyntaxTreeNode) -> Node:
    rows = []
    for section in node.children:
        for row in section.children:
            cells = [
                {
                    "type": "tableHeader" if cell.type == "th" else "tableCell",
                    "attrs": {},
                    "content": [_paragraph(_inline(inline_children(cell)))],
                }
                for cell in row.children
            ]
            rows.append({"type": "tableRow", "content": cells})
    return {"type": "table", "attrs": {"isNumberColumnEnabled": False, "layout": "default"}, "content": rows}


def _fit(blocks: list[Node], *, in_list_item: bool = False) -> list[Node]:
    """Reshape blocks that ADF does not allow in a list item or quote, keeping their text.

    Headings become bold paragraphs, nested quotes give up their quoting, tables become one paragraph per
    row, rules disappear. A list item must start with a paragraph or code block and may not be empty.
    """
    fitted: list[Node] = []
    for block in blocks:
        kind = block["type"]
        if kind in NESTED_CONTENT:
            fitted.append(block)
        elif kind == "heading":
            fitted.append(_paragraph([_with_mark(child, {"type": "strong"}) for child in block["content"]]))
        elif kind == "blockquote":
            fitted.extend(_fit(block["content"]))
        elif kind == "table":
            fitted.extend(_table_row_paragraph(row) for row in block["content"])
    if in_list_item and (not fitted or fitted[0]["type"] not in {"paragraph", "codeBlock"}):
        fitted.insert(0, _paragraph([]))
    return fitted or [_paragraph([])]


def _table_row_paragraph(row: Node) -> Node:
    content: list[Node] = []
    for index, cell in enumerate(row["content"]):
        if index:
            _append_text(content, " | ", [])
        for paragraph in cell["content"]:
            content.extend(paragraph["content"])
    return _paragraph(content)


def _with_mark(node: Node, mark: Mark) -> Node:
    marks = node.get("marks", [])
    if node["type"] != "text" or any(m["type"] in {"code", mark["type"]} for m in marks):
        return node
    return {**node, "marks": [*marks, mark]}


def _inline(children: list[SyntaxTreeNode], marks: list[Mark] | None = None) -> list[Node]:
    marks = marks or []
    content: list[Node] = []
    for child in children:
        kind = child.type
        if kind == "text":
            _append_text(content, child.content, marks)
        elif kind in {"softbreak", "hardbreak"}:
            # A single newline is a line break in GitHub and GitLab issues, where this Markdown comes from.
            content.append({"type": "hardBreak"})
        elif kind == "code_inline":
            # ADF allows only a link next to the code mark.
            _append_text(content, child.content, [m for m in marks if m["type"] == "link"] + [{"type": "code"}])
        elif kind in _INLINE_MARKS:
            content.extend(_inline(child.children, _add_mark(marks, {"type": _INLINE_MARKS[kind]})))
        elif kind == "link":
            content.extend(_inline(child.children, _link_marks(marks, child)))
        elif kind == "image":
            # Images need an upload to become ADF media; a link to them keeps the reference.
            src = str(child.attrs.get("src", ""))
            label = plain_text(child) or src
            _append_text(content, label, _add_mark(marks, {"type": "link", "attrs": {"href": src}}) if src else marks)
        elif kind == "html_inline":
            if is_line_break_tag(child.content):
                content.append({"type": "hardBreak"})
            else:
                _append_text(content, child.content, marks)
        else:
            content.extend(_inline(child.children, marks))
    return content


def _link_marks(marks: list[Mark], node: SyntaxTreeNode) -> list[Mark]:
    href = str(node.attrs.get("href") or "")
    if not href:
        return marks
    attrs = {"href": href}
    if node.attrs.get("title"):
        attrs["title"] = str(node.attrs["title"])
    return _add_mark(marks, {"type": "link", "attrs": attrs})


def _add_mark(marks: list[Mark], mark: Mark) -> list[Mark]:
    return [m for m in marks if m["type"] != mark["type"]] + [mark]


def _text_with_breaks(text: str, marks: list[Mark]) -> list[Node]:
    content: list[Node] = []
    for index, line in enumerate(text.split("\n")):
        if index:
            content.append({"type": "hardBreak"})
        _append_text(content, line, marks)
    return content


def _append_text(content: list[Node], text: str, marks: list[Mark]) -> None:
    """Add a text node, merged into the previous one when it carries the same marks (ADF forbids empty text)."""
    if not text:
        return
    previous = content[-1] if content else None
    if previous is not None and previous["type"] == "text" and previous.get("marks", []) == marks:
        previous["text"] += text
        return
    node: Node = {"type": "text", "text": text}
    if marks:
        node["marks"] = [dict(mark) for mark in marks]
    content.append(node)
