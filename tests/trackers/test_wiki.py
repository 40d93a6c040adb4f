"""Jira Server/Data Center wiki markup to and from Markdown."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from apps.trackers.clients.wiki import markdown_to_wiki, wiki_to_markdown

# A description as Jira Data Center's REST v2 returns it.
JIRA_SERVER_DESCRIPTION = r"""h2. Steps to reproduce

Signing in with *SSO* fails; see the [runbook|https://wiki.example.com/runbook]. It used to -work- _fine_ with {{--verbose}}.
Second line of the paragraph.

* Open the sign-in page
** in a private window
* Click _Sign in_
*# then wait

# Expected: the dashboard
# Actual: a {{500}}

{code:python}
client.login(user)
assert client.ok
{code}

{noformat}
raw *not bold*
{noformat}

{code}
no language
{code}

bq. A one-line quote.

{quote}
A quote with *two*

paragraphs.
{quote}

----

||Browser||Result||
|Firefox|*fails*|
|Chrome|works|

{panel:title=Heads up}
Affects every SSO customer.
{panel}
[~alice] can you look? Prices are \*not\* final."""

JIRA_SERVER_DESCRIPTION_MARKDOWN = """\
## Steps to reproduce

Signing in with **SSO** fails; see the [runbook](https://wiki.example.com/runbook). \
It used to ~~work~~ _fine_ with `--verbose`.
Second line of the paragraph.

- Open the sign-in page
  - in a private window
- Click _Sign in_
  1. then wait

1. Expected: the dashboard
1. Actual: a `500`

```python
client.login(user)
assert client.ok
```

```
raw *not bold*
```

```
no language
```

> A one-line quote.

> A quote with **two**
>\x20
> paragraphs.


----

|Browser|Result|
|---|---|
|Firefox|**fails**|
|Chrome|works|

> **Heads up**
> Affects every SSO customer.

@alice can you look? Prices are \\*not\\* final."""

MARKDOWN_DESCRIPTION = """\
## Steps to reproduce

Signing in with **SSO** fails; see the [runbook](https://wiki.example.com/runbook) or <https://status.example.com>.
It used to ~~work~~ *fine* with `--verbose`.

- Open the sign-in page
  - in a private window
- Click *Sign in*

1. Expected: the dashboard
2. Actual: a `500`

```py
client.login(user)
```

```
plain
```

> Quoted once.

> Quoted
>
> twice.

---

| Browser | Result |
| --- | --- |
| Firefox | **fails** |
| Chrome \\| Edge | works |

Literal text: 2 * 3, snake_case, {braces}, [brackets], a -- b, (i) and ??why??"""

MARKDOWN_DESCRIPTION_WIKI = r"""h2. Steps to reproduce

Signing in with *SSO* fails; see the [runbook|https://wiki.example.com/runbook] or [https://status.example.com].
It used to -work- _fine_ with {{\-\-verbose}}.

* Open the sign-in page
** in a private window
* Click _Sign in_

# Expected: the dashboard
# Actual: a {{500}}

{code:python}
client.login(user)
{code}

{noformat}
plain
{noformat}

bq. Quoted once.

{quote}
Quoted

twice.
{quote}

----

||Browser||Result||
|Firefox|*fails*|
|Chrome &#124; Edge|works|

Literal text: 2 * 3, snake_case, \{braces\}, \[brackets\], a \-\- b, \(i) and \?\?why\?\?"""

# Markdown that Jira wiki can say; each comes back from wiki markup as it reads.
MARKDOWN_SAMPLES = [
    "# Title with `code` and **bold**",
    "Plain *em* **strong** ~~strike~~ `code` [link](https://example.com/x?y=1&z=2)",
    "**bold [link](https://example.com) inside** and [**bold link**](https://example.com)",
    "Line one\nline two\\\nline three",
    "- a\n- b\n  - c\n    - d\n- e\n\n1. x\n2. y\n   1. z\n   2. zz\n     - mixed",
    '```python\ndef f():\n    return "```"\n```',
    "````\nholds ``` inside\n````",
    "> quote\n> more\n>\n> another paragraph",
    "above\n\n---\n\nbelow",
    "| a | b |\n| --- | --- |\n| 1 | `x\\|y` |\n| **b** | [l](https://example.com) |\n| c \\| d |  |",
    "Escapes: \\* \\_ \\# \\[ \\] \\{ \\} \\| \\! \\- \\+ \\^ \\~ a_b_c ??",
    "\\# not a heading\n\n\\- not a list\n\n\\* not a list either\n\nh1\\. not a heading\n\nbq. not a quote",
    "well-known, 10-20, (i) (x) (/) :) and C++",
    "`code with {{braces}} and *stars*`",
    "Héllo wörld — “quotes” 😄",
]

# Wiki markup as people write it; a trip through Markdown and back leaves its Markdown as it was.
WIKI_SAMPLES = [
    JIRA_SERVER_DESCRIPTION,
    "h1. One\nh3. Three *bold*",
    "* a\n*# b\n*#* c\n* d",
    '{code:java}\nString s = "```";\n{code}',
    "||a||b||\n|x\\\\y|[link|https://example.com]|",
    "Text with \\*escaped\\* \\{braces\\} and {{mono \\*x\\*}}",
    "{quote}\nq\n{quote}\nafter the quote",
    "Visit [https://example.com] or mail [mailto:ops@example.com]",
]

HTML = MarkdownIt("commonmark", {"html": True, "breaks": True}).enable(["table", "strikethrough"])


def normalised(markdown: str) -> str:
    """What a reader sees: Markdown rendered to HTML, with a line break wherever the source has one."""
    html = re.sub(r"</?p>|\n", " ", HTML.render(markdown))
    html = re.sub(r"<br\s*/?>", "<br>", re.sub(r'<ol start="\d+">', "<ol>", html))
    return re.sub(r"\s*(<[^>]+>)\s*", r"\1", re.sub(r"\s+", " ", html)).strip()


def test_it_converts_a_jira_server_description_to_markdown():
    assert wiki_to_markdown(JIRA_SERVER_DESCRIPTION) == JIRA_SERVER_DESCRIPTION_MARKDOWN


def test_it_converts_markdown_to_jira_wiki_markup():
    assert markdown_to_wiki(MARKDOWN_DESCRIPTION) == MARKDOWN_DESCRIPTION_WIKI


@pytest.mark.parametrize("value", [None, "", " \n\t\n"])
def test_it_gives_empty_text_for_no_text(value):
    assert wiki_to_markdown(value) == ""
    assert markdown_to_wiki(value) == ""


def test_code_without_a_language_is_not_called_java():
    assert wiki_to_markdown("{code}\nx = 1\n{code}") == "```\nx = 1\n```"


def test_code_holding_a_fence_gets_a_longer_fence():
    assert wiki_to_markdown("{code}\n```\n{code}") == "````\n```\n````"


def test_monospace_keeps_backticks_and_drops_jira_escapes():
    assert wiki_to_markdown(r"{{a `b` \*c\*}}") == "``a `b` *c*``"


def test_text_after_a_quote_or_panel_is_not_quoted():
    assert wiki_to_markdown("{quote}\nq\n{quote}\nafter") == "> q\n\nafter"
    assert wiki_to_markdown("{panel}\np\n{panel}\nafter") == "> p\n\nafter"


def test_backslash_escapes_stay_literal():
    assert wiki_to_markdown(r"\*not bold\* and \[not a link\]") == r"\*not bold\* and \[not a link\]"


def test_it_escapes_what_jira_would_read_as_markup():
    assert markdown_to_wiki("2 * 3 = 6, not *bold*: \\*x\\*") == r"2 * 3 = 6, not _bold_: \*x\*"
    assert markdown_to_wiki("(i) (on) ?? {x} [y] a|b") == r"\(i) \(on) \?\? \{x\} \[y\] a\|b"


def test_it_escapes_lines_that_would_start_a_block_in_jira_or_back_in_markdown():
    markdown = "\\- item\n\nh1\\. title\n\n1\\. not a list\n\n\\> not a quote"
    assert markdown_to_wiki(markdown) == "\\- item\n\nh1&#46; title\n\n1&#46; not a list\n\n&gt; not a quote"


def test_italic_goes_inside_bold_and_strike():
    assert markdown_to_wiki("***both*** and *~~gone~~*") == "*_both_* and -_gone_-"


def test_block_content_of_a_list_item_follows_its_line():
    markdown = "1. Run:\n\n   ```sh\n   make\n   ```\n2. Done"
    assert markdown_to_wiki(markdown) == "# Run:\n{code:bash}\nmake\n{code}\n# Done"


@pytest.mark.parametrize("markdown", MARKDOWN_SAMPLES)
def test_markdown_comes_back_from_wiki_markup_as_it_reads(markdown):
    assert normalised(wiki_to_markdown(markdown_to_wiki(markdown))) == normalised(markdown)


@pytest.mark.parametrize("wiki", WIKI_SAMPLES)
def test_wiki_markup_survives_a_trip_through_markdown(wiki):
    markdown = wiki_to_markdown(wiki)
    assert normalised(wiki_to_markdown(markdown_to_wiki(markdown))) == normalised(markdown)


# Markdown-only inline syntax (backticks, HTML, entities) is not markup in Jira, so wiki text holding it
# reads differently as Markdown; everything else that Jira shows literally comes back.
LITERAL = st.sampled_from(
    [*"ab z09 ._-*+^~?!{}[]|#():;/'\"=@$%>é", "(i)", "--", "??", "h1.", "bq.", "1.", "http://x.y"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(LITERAL, min_size=1, max_size=25).map("".join).map(str.strip).filter(bool))
def test_any_literal_text_comes_back_from_wiki_markup(value):
    markdown = re.sub(r"([!-/:-@\[-`{-~])", r"\\\1", re.sub(r"\s+", " ", value))  # every punctuation escaped
    assert normalised(wiki_to_markdown(markdown_to_wiki(markdown))) == normalised(markdown)
