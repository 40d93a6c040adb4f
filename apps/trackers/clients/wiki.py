"""Jira Server/Data Center wiki markup (REST v2) to and from the Markdown that Preloop stores.

Wiki to Markdown is jira2markdown's grammar, adjusted where its output would not read back as written;
Markdown to wiki is ours, in `wiki_from_markdown`.
"""

from __future__ import annotations

from jira2markdown import convert
from jira2markdown.elements import MarkupElements
from jira2markdown.markup.advanced import Code, Panel
from jira2markdown.markup.base import AbstractMarkup
from jira2markdown.markup.text_effects import BlockQuote, Monospaced
from pyparsing import Char, Combine, Literal, ParserElement, ParseResults

from apps.trackers.clients.markdown_inline import code_span
from apps.trackers.clients.wiki_from_markdown import markdown_to_wiki

__all__ = ["markdown_to_wiki", "wiki_to_markdown"]

# The characters a backslash escapes in Jira (any other backslash is shown); Markdown escapes them the same way.
WIKI_ESCAPABLE = "-#*_+?^~|%{}[]()!@"


def wiki_to_markdown(text: str | None) -> str:
    """Convert Jira wiki markup to Markdown; None or blank text gives ""."""
    if not text or not text.strip():
        return ""
    return convert(text, elements=_ELEMENTS).strip("\n")


class _BackslashEscape(AbstractMarkup):
    """`\\*` is a literal asterisk in Jira, as in Markdown (jira2markdown would escape the asterisk again)."""

    @property
    def expr(self) -> ParserElement:
        return Combine(Literal("\\") + Char(WIKI_ESCAPABLE)).set_parse_action(lambda tokens: tokens[0])


class _Monospace(Monospaced):
    """`{{…}}` as a code span that holds backticks too, with Jira's escapes and pipe entity taken out."""

    def action(self, tokens: ParseResults) -> str:
        text = tokens[0].replace("&#124;", "|")  # how a pipe is written inside a table cell
        for char in WIKI_ESCAPABLE:
            text = text.replace("\\" + char, char)
        return code_span(text)


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


def _elements() -> MarkupElements:
    elements = MarkupElements()
    elements.replace(Code, _Code)
    elements.replace(Monospaced, _Monospace)
    elements.replace(BlockQuote, _Quote)
    elements.replace(Panel, _Panel)
    elements.insert(0, _BackslashEscape)
    return elements


_ELEMENTS = _elements()
