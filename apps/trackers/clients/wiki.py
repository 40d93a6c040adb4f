"""Jira Server/Data Center wiki markup (REST v2) to and from the Markdown that Preloop stores.

Wiki to Markdown is jira2markdown's grammar, adjusted where its output would not read back as written;
Markdown to wiki is ours, in `wiki_from_markdown`.
"""

from __future__ import annotations

import functools

import jira2markdown.parser  # noqa: F401  (sets pyparsing to skip no whitespace, as the grammar expects)
from jira2markdown.elements import MarkupElements
from jira2markdown.markup.advanced import Code, Panel
from jira2markdown.markup.base import AbstractMarkup
from jira2markdown.markup.text_effects import BlockQuote, Monospaced
from pyparsing import Char, Combine, Forward, Literal, ParserElement, ParseResults

from apps.trackers.clients.markdown_inline import code_span
from apps.trackers.clients.wiki_from_markdown import markdown_to_wiki

__all__ = ["markdown_to_wiki", "wiki_to_markdown"]

# The characters a backslash escapes in Jira (any other backslash is shown); Markdown escapes them the same way.
WIKI_ESCAPABLE = "-#*_+?^~|%{}[]()!@"


def wiki_to_markdown(text: str | None) -> str:
    """Convert Jira wiki markup to Markdown; None or blank text gives ""."""
    if not text or not text.strip():
        return ""
    return _wiki_grammar().transform_string(text).strip("\n")


class _BackslashEscape(AbstractMarkup):
    """`\\*` is a literal asterisk in Jira, as in Markdown (jira2markdown would escape the asterisk again)."""

    @property
    def expr(self) -> ParserElement:
        return Combine(Literal("\\") + Char(WIKI_ESCAPABLE)).set_parse_action(lambda tokens: tokens[0])


class _Monospace(Monospaced):
    """`{{…}}` as a code span that holds backticks too, without Jira's escapes."""

    def action(self, tokens: ParseResults) -> str:
        text = tokens[0]
        for char in WIKI_ESCAPABLE:
            text = text.replace("\\" + char, char)
        # A pipe inside a table cell is written `&#124;` (see wiki_from_markdown); a Markdown table needs `\|`.
        return code_span(text.replace("&#124;", "\\|"))


class _Code(Code):
    """`{code}` without a language stays without one (Jira would highlight it as Java), in a fence long enough."""

    def action(self, tokens: ParseResults) -> str:
        text = tokens.text.strip("\n")
        fences = [line.strip() for line in text.split("\n") if line.strip() and set(line.strip()) == {"`"}]
        longest = max((len(line) for line in fences), default=0)
        fence = "`" * max(3, longest + 1)
        return f"{fence}{tokens.lang or ''}\n{text}\n{fence}"


class _Quote(BlockQuote):
    """`{quote}` followed by a blank line, so the next line does not continue the quote."""

    def action(self, tokens: ParseResults) -> str:
        return super().action(tokens) + "\n"


class _Panel(Panel):
    """`{panel}` as a quote, followed by a blank line like `{quote}`."""

    def action(self, tokens: ParseResults) -> str:
        return super().action(tokens) + "\n"


@functools.cache
def _wiki_grammar() -> ParserElement:
    """jira2markdown's grammar with the adjustments above, built once: building it takes longer than most uses."""
    elements = MarkupElements()
    elements.replace(Code, _Code)
    elements.replace(Monospaced, _Monospace)
    elements.replace(BlockQuote, _Quote)
    elements.replace(Panel, _Panel)
    elements.insert(0, _BackslashEscape)
    inline, markup = Forward(), Forward()
    inline <<= elements.expr(inline, markup, {}, [element for element in elements if element.is_inline_element])
    markup <<= elements.expr(inline, markup, {}, elements)
    markup.streamline()
    return markup
