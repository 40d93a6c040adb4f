"""The one Markdown reader of the tracker converters: CommonMark plus GitHub's tables and strikethrough."""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

# Raw HTML is recognised (not rendered) so that `<br>`, which the ADF converter writes into table cells,
# comes back as a line break; any other tag is kept by the converters as literal text.
_PARSER = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])

_LINE_BREAK_TAG = re.compile(r"<br\s*/?>", re.IGNORECASE)


def markdown_tree(text: str) -> SyntaxTreeNode:
    """Parse Markdown into a tree of block and inline nodes (markdown-it's `SyntaxTreeNode`)."""
    return SyntaxTreeNode(_PARSER.parse(text))


def is_line_break_tag(html: str) -> bool:
    """Whether a raw inline HTML token is `<br>` (or `<br/>`, `<br />`)."""
    return _LINE_BREAK_TAG.fullmatch(html.strip()) is not None


def plain_text(node: SyntaxTreeNode) -> str:
    """The text a reader sees in an inline subtree, without its formatting (e.g. an image's alt text)."""
    if node.type in {"text", "code_inline", "html_inline"}:
        return node.content
    if node.type in {"softbreak", "hardbreak"}:
        return " "
    return "".join(plain_text(child) for child in node.children)


def inline_children(block: SyntaxTreeNode) -> list[SyntaxTreeNode]:
    """The inline nodes of a paragraph, heading or table cell (markdown-it wraps them in one `inline` node)."""
    return [grandchild for child in block.children if child.type == "inline" for grandchild in child.children]
