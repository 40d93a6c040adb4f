"""Markdown to Jira Server/Data Center wiki markup (REST v2), written from markdown-it's syntax tree."""

from __future__ import annotations

import re

from markdown_it.tree import SyntaxTreeNode

from apps.trackers.clients.markdown_tree import inline_children, is_line_break_tag, markdown_tree, plain_text

LIST_TYPES = frozenset({"bullet_list", "ordered_list"})
# Jira's forced line break, for places where a newline would end the list item or table row.
FORCED_BREAK = " \\\\ "
# Short names that Jira's code macro does not know, for languages it does.
LANGUAGE_ALIASES = {
    "py": "python",
    "js": "javascript",
    "ts": "typescript",
    "sh": "bash",
    "shell": "bash",
    "yml": "yaml",
}

_ALWAYS = r"[{}\[\]|]"
# Effect markers (*bold*, _italic_, -strike-, +underline+, ^sup^, ~sub~, !image!) count only where they
# could open (after a non-word character, before a non-space) or close (after a non-space, before a non-word).
_EFFECT = r"(?<!\w)[*_\-+^~!](?=\S)|(?<=\S)[*_\-+^~!](?!\w)"
_CITATION = r"\?(?=\?)|(?<=\?)\?"
_EMOTICON = r"\((?=(?:[yn/xi!?*+-]|on|off|flag|flagoff)\))"
_SPECIAL = re.compile("|".join((_ALWAYS, _EFFECT, _CITATION, _EMOTICON)))
_LIST_MARKER = re.compile(r"[*#+-]+(?=\s|$)")
_BLOCK_KEYWORD = re.compile(r"(?:h[1-6]|bq)(?=\.)")
_ORDERED_MARKER = re.compile(r"\d{1,9}(?=[.)](?:\s|$))")


def markdown_to_wiki(text: str | None) -> str:
    """Convert Markdown to Jira wiki markup; None or blank text gives ""."""
    if not text or not text.strip():
        return ""
    return _blocks(markdown_tree(text).children)


def _escape(text: str) -> str:
    """Escape running text so that Jira shows it literally."""
    return _SPECIAL.sub(lambda match: "\\" + match.group(), text)


def _blocks(nodes: list[SyntaxTreeNode]) -> str:
    return "\n\n".join(text for text in (_block(node) for node in nodes) if text.strip())


def _block(node: SyntaxTreeNode) -> str:
    kind = node.type
    if kind == "paragraph":
        return _escape_line_starts(_inline(inline_children(node), line_break="\n"))
    if kind == "heading":
        return f"h{node.tag[1:]}. {_inline(inline_children(node), line_break=' ')}"
    if kind in LIST_TYPES:
        return _list(node, prefix="")
    if kind in {"fence", "code_block"}:
        return _code_block(node)
    if kind == "blockquote":
        body = _blocks(node.children)
        single_line = len(node.children) == 1 and node.children[0].type == "paragraph" and "\n" not in body
        return f"bq. {body}" if single_line else f"{{quote}}\n{body}\n{{quote}}"
    if kind == "hr":
        return "----"
    if kind == "table":
        return _table(node)
    if kind == "html_block":
        return _escape_line_starts(_escape(node.content.strip("\n")))
    return _blocks(node.children)


def _escape_line_starts(text: str) -> str:
    """Escape what would start a list, heading or quote at the beginning of a paragraph's lines.

    That includes Markdown's own `1.` and `>`, which Jira shows as typed but which would come back from
    Jira as a list or a quote. Jira cannot backslash-escape '.' or '>', but shows their character references.
    """
    lines = []
    for line in text.split("\n"):
        marker = _BLOCK_KEYWORD.match(line) or _ORDERED_MARKER.match(line)
        if marker:
            end = marker.end()
            line = line[:end] + ("&#46;" if line[end] == "." else "\\)") + line[end + 1 :]
        elif line.startswith(">"):
            line = "&gt;" + line[1:]
        elif _LIST_MARKER.match(line):
            line = "\\" + line
        lines.append(line)
    return "\n".join(lines)


def _list(node: SyntaxTreeNode, prefix: str) -> str:
    marker = prefix + ("#" if node.type == "ordered_list" else "*")
    lines = []
    for item in node.children:
        texts: list[str] = []
        after: list[str] = []
        for child in item.children:
            if child.type in LIST_TYPES:
                after.append(_list(child, marker))
            elif child.type == "paragraph" and not after:
                texts.append(_inline(inline_children(child), line_break=FORCED_BREAK))
            else:
                after.append(_block(child))  # Jira lists hold only lines: other blocks follow the item
        if texts:  # an item without text of its own would be a stray marker
            lines.append(f"{marker} {FORCED_BREAK.join(texts)}")
        lines.extend(after)
    return "\n".join(lines)


def _code_block(node: SyntaxTreeNode) -> str:
    code = node.content.removesuffix("\n")
    words = node.info.split() if node.type == "fence" else []
    language = LANGUAGE_ALIASES.get(words[0].lower(), words[0]) if words else ""
    if language and re.fullmatch(r"[\w#+-]+", language) and "{code}" not in code:
        return f"{{code:{language}}}\n{code}\n{{code}}"
    return f"{{noformat}}\n{code}\n{{noformat}}"


def _table(node: SyntaxTreeNode) -> str:
    lines = []
    for section in node.children:
        separator = "||" if section.type == "thead" else "|"
        for row in section.children:
            # A pipe in a cell is written as an HTML entity, which Jira shows as '|' without splitting the cell.
            cells = [
                _inline(inline_children(cell), line_break=FORCED_BREAK).replace("\\|", "&#124;") or " "
                for cell in row.children
            ]
            lines.append(separator + separator.join(cells) + separator)
    return "\n".join(lines)


def _inline(nodes: list[SyntaxTreeNode], *, line_break: str) -> str:
    return "".join(_inline_node(node, line_break) for node in nodes)


def _inline_node(node: SyntaxTreeNode, line_break: str) -> str:
    kind = node.type
    if kind == "text":
        return _escape(node.content)
    if kind in {"softbreak", "hardbreak"}:
        # A newline is a line break in Jira, as in the GitHub and GitLab issues this Markdown comes from.
        return line_break
    if kind == "code_inline":
        return f"{{{{{_escape(node.content)}}}}}" if node.content else ""
    if kind in _EFFECTS:
        children = [child for child in node.children if child.type != "text" or child.content]
        if kind == "em" and len(children) == 1 and children[0].type in _EFFECTS:
            # Italic goes innermost: a `*` or `-` right after `_` is not read as a marker.
            inner = children[0]
            return _effect(_EFFECTS[inner.type], _effect("_", _inline(inner.children, line_break=line_break)))
        return _effect(_EFFECTS[kind], _inline(node.children, line_break=line_break))
    if kind == "link":
        href = str(node.attrs.get("href") or "").replace("|", "%7C").replace("]", "%5D")
        if not href or plain_text(node) == href:
            return f"[{href}]" if href else _inline(node.children, line_break=line_break)
        return f"[{_inline(node.children, line_break=line_break)}|{href}]"
    if kind == "image":
        src = str(node.attrs.get("src") or "").replace("!", "%21")
        return f"!{src}!" if src else _escape(plain_text(node))
    if kind == "html_inline":
        return line_break if is_line_break_tag(node.content) else _escape(node.content)
    return _inline(node.children, line_break=line_break)


_EFFECTS = {"strong": "*", "em": "_", "s": "-"}


def _effect(marker: str, inner: str) -> str:
    """Wrap text in an effect marker, keeping its edge whitespace outside: `*bold *` is not bold in Jira."""
    core = inner.strip()
    if not core:
        return inner
    lead, trail = inner[: len(inner) - len(inner.lstrip())], inner[len(inner.rstrip()) :]
    return f"{lead}{marker}{core}{marker}{trail}"
