"""Atlassian Document Format (Jira Cloud) to and from Markdown."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from apps.trackers.clients.adf import adf_to_markdown, markdown_to_adf

STRONG, EM, STRIKE, CODE = ({"type": kind} for kind in ("strong", "em", "strike", "code"))


def link(href: str) -> dict:
    return {"type": "link", "attrs": {"href": href}}


def text(value: str, *marks: dict) -> dict:
    return {"type": "text", "text": value, **({"marks": list(marks)} if marks else {})}


def paragraph(*content: dict) -> dict:
    return {"type": "paragraph", "content": list(content)}


def item(*content: dict) -> dict:
    return {"type": "listItem", "content": list(content)}


def cell(kind: str, *content: dict) -> dict:
    return {"type": kind, "attrs": {}, "content": [paragraph(*content)]}


def doc(*content: dict) -> dict:
    return {"type": "doc", "version": 1, "content": list(content)}


# A description as Jira Cloud's REST v3 returns it.
JIRA_CLOUD_DESCRIPTION = doc(
    {"type": "heading", "attrs": {"level": 2}, "content": [text("Steps to reproduce")]},
    paragraph(
        text("Signing in with "),
        text("SSO", STRONG),
        text(" fails; see the "),
        text("runbook", link("https://wiki.example.com/runbook")),
        text("."),
    ),
    {
        "type": "bulletList",
        "content": [
            item(
                paragraph(text("Open the sign-in page")),
                {"type": "bulletList", "content": [item(paragraph(text("in a private window")))]},
            ),
            item(paragraph(text("Click "), text("Sign in", EM))),
        ],
    },
    {
        "type": "orderedList",
        "attrs": {"order": 1},
        "content": [
            item(paragraph(text("Expected: the dashboard"))),
            item(paragraph(text("Actual: a "), text("500", CODE))),
        ],
    },
    {"type": "codeBlock", "attrs": {"language": "python"}, "content": [text("client.login(user)\nassert client.ok")]},
    paragraph(
        {"type": "mention", "attrs": {"id": "5b10ac8d82e05b22cc7d4ef5", "text": "@Alice Adams", "accessLevel": ""}},
        text(" can you look? "),
        {"type": "emoji", "attrs": {"shortName": ":thumbsup:", "id": "1f44d", "text": "👍"}},
        {"type": "hardBreak"},
        text("Status: "),
        {"type": "status", "attrs": {"text": "IN PROGRESS", "color": "blue", "localId": "9a2c"}},
        text(", blocked by "),
        {"type": "inlineCard", "attrs": {"url": "https://example.atlassian.net/browse/PRJ-42"}},
        text(", due "),
        {"type": "date", "attrs": {"timestamp": "1735689600000"}},
    ),
    {
        "type": "table",
        "attrs": {"isNumberColumnEnabled": False, "layout": "default", "localId": "7c1d"},
        "content": [
            {
                "type": "tableRow",
                "content": [cell("tableHeader", text("Browser")), cell("tableHeader", text("Result"))],
            },
            {
                "type": "tableRow",
                "content": [cell("tableCell", text("Firefox")), cell("tableCell", text("fails", STRONG))],
            },
            {
                "type": "tableRow",
                "content": [cell("tableCell", text("Chrome | Edge")), cell("tableCell", text("works"))],
            },
        ],
    },
    {"type": "panel", "attrs": {"panelType": "warning"}, "content": [paragraph(text("Affects every SSO customer."))]},
    {"type": "rule"},
    paragraph(),
)

JIRA_CLOUD_DESCRIPTION_MARKDOWN = """\
## Steps to reproduce

Signing in with **SSO** fails; see the [runbook](https://wiki.example.com/runbook).

- Open the sign-in page
  - in a private window
- Click *Sign in*

1. Expected: the dashboard
2. Actual: a `500`

```python
client.login(user)
assert client.ok
```

@Alice Adams can you look? 👍\\
Status: \\[IN PROGRESS\\], blocked by <https://example.atlassian.net/browse/PRJ-42>, due 2025-01-01

| Browser | Result |
| --- | --- |
| Firefox | **fails** |
| Chrome \\| Edge | works |

> Affects every SSO customer.

---"""

MARKDOWN_SAMPLES = [
    "# Title with `code` and **bold**",
    "Plain *em* **strong** ~~strike~~ `code` [link](https://example.com/x?y=1&z=2)",
    "***both*** and **bold [a link](https://example.com) inside**",
    "[**bold link** then plain](https://example.com)",
    "Line one\nline two\\\nline three",
    "- a\n- b\n  - c\n    - d\n- e\n\n1. x\n2. y\n   1. z",
    "3. three\n4. four",
    "- a\n\n  a second paragraph\n- b",
    '```python\ndef f():\n    return "```"\n```',
    "````\nholds ``` inside\n````",
    "> quote\n> more\n>\n> - a list in the quote",
    "above\n\n---\n\nbelow",
    "| a | b |\n| --- | --- |\n| 1 | `x\\|y` |\n| **b** | [l](https://example.com) |",
    "Escapes: \\* \\_ \\# \\[ \\] \\` \\\\ a_b_c _x_ 2) &amp; &copy;",
    "\\# not a heading\n\n\\- not a list\n\n1\\. not a list\n\n\\> not a quote\n\n\\-- --",
    "Text ending with a bang! [link](https://example.com)",
    "- ```js\n  code in a list\n  ```",
    "snake_case_name, __init__ and 2*3*4",
    "a <br> b",
    "`` code with ` tick ``",
    "Autolink <https://example.com/path>",
    "Héllo wörld — “quotes” 😄 ~5 minutes",
    "+ plus list\n+ more\n\n* star list",
]

KNOWN_MARKS = {"strong", "em", "strike", "code", "link"}
INLINE_NODES = {"text", "hardBreak"}
CONTAINERS = {
    "doc": None,  # any block
    "bulletList": {"listItem"},
    "orderedList": {"listItem"},
    "listItem": {"paragraph", "bulletList", "orderedList", "codeBlock"},
    "blockquote": {"paragraph", "bulletList", "orderedList", "codeBlock"},
    "table": {"tableRow"},
    "tableRow": {"tableHeader", "tableCell"},
    "tableHeader": None,
    "tableCell": None,
}
BLOCKS = {"paragraph", "heading", "bulletList", "orderedList", "codeBlock", "blockquote", "rule", "table"}


def assert_valid_adf(node: dict, parent: str = "") -> None:
    """A structural check of the ADF we write, after Atlassian's schema: types, content, attributes, marks."""
    kind = node.get("type")
    assert isinstance(kind, str), node
    if kind == "doc":
        assert node.get("version") == 1 and isinstance(node.get("content"), list)
    if kind == "text":
        assert isinstance(node.get("text"), str) and node["text"], node
        marks = [mark["type"] for mark in node.get("marks", [])]
        assert set(marks) <= KNOWN_MARKS and len(marks) == len(set(marks)), node
        assert "code" not in marks or set(marks) <= {"code", "link"}, node
        assert all(isinstance(m["attrs"]["href"], str) for m in node.get("marks", []) if m["type"] == "link"), node
        assert parent in {"paragraph", "heading", "codeBlock"}, (parent, node)
        assert parent != "codeBlock" or "marks" not in node, node
        return
    if kind == "hardBreak":
        assert parent in {"paragraph", "heading"}, (parent, node)
        return
    if kind == "heading":
        assert node["attrs"]["level"] in range(1, 7)
    if kind == "codeBlock" and "attrs" in node:
        assert isinstance(node["attrs"]["language"], str) and node["attrs"]["language"]
    if kind == "orderedList" and "attrs" in node:
        assert isinstance(node["attrs"]["order"], int) and node["attrs"]["order"] >= 0
    children = node.get("content", [])
    child_types = [child.get("type") for child in children]
    if kind in {"paragraph", "heading"}:
        assert set(child_types) <= INLINE_NODES, node
    elif kind == "codeBlock":
        assert set(child_types) <= {"text"}, node
    elif kind in CONTAINERS:
        allowed = CONTAINERS[kind] or BLOCKS
        assert set(child_types) <= allowed, (kind, child_types)
        assert children or kind == "doc", node
    else:
        assert kind == "rule" and not children, node
    if kind == "listItem":
        assert child_types[0] in {"paragraph", "codeBlock"}, node
    for child in children:
        assert_valid_adf(child, kind)


HTML = MarkdownIt("commonmark", {"html": True, "breaks": True}).enable(["table", "strikethrough"])


def normalised(markdown: str) -> str:
    """What a reader sees: Markdown rendered to HTML, with a line break wherever the source has one."""
    html = re.sub(r"</?p>|\n", " ", HTML.render(markdown))
    html = re.sub(r"<br\s*/?>", "<br>", html)
    return re.sub(r"\s*(<[^>]+>)\s*", r"\1", re.sub(r"\s+", " ", html)).strip()


def test_it_converts_a_jira_cloud_description_to_markdown():
    assert adf_to_markdown(JIRA_CLOUD_DESCRIPTION) == JIRA_CLOUD_DESCRIPTION_MARKDOWN


@pytest.mark.parametrize("document", [None, {}, doc(), doc(paragraph()), "not a document"])
def test_it_gives_empty_markdown_for_no_document(document):
    assert adf_to_markdown(document) == ""


@pytest.mark.parametrize("markdown", [None, "", "   \n\n"])
def test_it_gives_an_empty_document_for_no_markdown(markdown):
    assert markdown_to_adf(markdown) == {"type": "doc", "version": 1, "content": []}


def test_it_keeps_the_text_of_nodes_it_does_not_know():
    document = doc(
        {"type": "layoutSection", "content": [{"type": "layoutColumn", "content": [paragraph(text("left"))]}]},
        {"type": "futureBlock", "content": [text("block text")]},
        paragraph(text("a "), {"type": "futureInline", "attrs": {"text": "inline text"}}, text(" b")),
        {"type": "extension", "attrs": {"extensionKey": "x"}},
        {"type": "expand", "attrs": {"title": "Details"}, "content": [paragraph(text("hidden"))]},
        {"type": "taskList", "content": [{"type": "taskItem", "attrs": {"state": "DONE"}, "content": [text("ship")]}]},
    )
    assert adf_to_markdown(document) == ("left\n\nblock text\n\na inline text b\n\n**Details**\n\nhidden\n\n- [x] ship")


@pytest.mark.parametrize(
    "document",
    [
        {"type": "doc", "content": "not a list"},
        {"type": "doc", "content": [None, 3, {"no": "type"}, {"type": "paragraph", "content": [{"type": "text"}]}]},
        doc(paragraph({"type": "text", "text": "x", "marks": "bold"}), {"type": "heading", "attrs": None}),
        doc({"type": "orderedList", "attrs": {"order": "two"}, "content": [item()]}),
        doc({"type": "table", "content": [{"type": "tableRow", "content": [{"type": "tableCell"}]}]}),
        doc({"type": "date", "attrs": {"timestamp": "soon"}}, {"type": "mention", "attrs": {}}),
    ],
)
def test_it_never_raises_on_malformed_documents(document):
    assert isinstance(adf_to_markdown(document), str)


def test_it_writes_inline_nodes_as_text_or_links():
    document = doc(
        paragraph(
            {"type": "mention", "attrs": {"id": "557058:0c4c", "text": "Bob Brown"}},
            text(" "),
            {"type": "emoji", "attrs": {"shortName": ":custom-party:"}},
            text(" "),
            {"type": "inlineCard", "attrs": {"data": {"url": "https://example.com/doc", "name": "Design doc"}}},
            text(" "),
            {"type": "mediaInline", "attrs": {"id": "a1", "type": "file", "alt": "trace.log"}},
        ),
        {"type": "blockCard", "attrs": {"url": "https://example.com/board"}},
    )
    assert adf_to_markdown(document) == (
        "@Bob Brown :custom-party: [Design doc](https://example.com/doc) (attachment: trace.log)"
        "\n\n<https://example.com/board>"
    )


def test_it_makes_a_pipe_table_of_any_table():
    document = doc(
        {
            "type": "table",
            "content": [
                {"type": "tableRow", "content": [cell("tableCell", text("no")), cell("tableCell", text("header"))]},
                {
                    "type": "tableRow",
                    "content": [
                        {"type": "tableCell", "attrs": {"colspan": 2}, "content": [paragraph(text("wide"))]},
                    ],
                },
                {
                    "type": "tableRow",
                    "content": [
                        {"type": "tableCell", "content": [paragraph(text("two")), paragraph(text("lines"))]},
                        {"type": "tableCell", "content": [{"type": "codeBlock", "content": [text("a | b")]}]},
                    ],
                },
            ],
        }
    )
    assert adf_to_markdown(document) == ("| no | header |\n| --- | --- |\n| wide |  |\n| two<br>lines | `a \\| b` |")
    back = markdown_to_adf(adf_to_markdown(document))
    assert back["content"][0]["content"][2]["content"][0]["content"] == [
        paragraph(text("two"), {"type": "hardBreak"}, text("lines"))
    ]
    assert back["content"][0]["content"][2]["content"][1]["content"] == [paragraph(text("a | b", CODE))]


def test_it_builds_adf_from_markdown():
    markdown = (
        "## Summary\n\n"
        "Some **bold** and [a link](https://example.com) `code`\nnext line\n\n"
        "3. three\n   - nested\n\n"
        "```go\nfmt.Println()\n```\n\n"
        "> quoted\n\n"
        "| h |\n| --- |\n| c |"
    )
    assert markdown_to_adf(markdown) == doc(
        {"type": "heading", "attrs": {"level": 2}, "content": [text("Summary")]},
        paragraph(
            text("Some "),
            text("bold", STRONG),
            text(" and "),
            text("a link", link("https://example.com")),
            text(" "),
            text("code", CODE),
            {"type": "hardBreak"},
            text("next line"),
        ),
        {
            "type": "orderedList",
            "attrs": {"order": 3},
            "content": [
                item(paragraph(text("three")), {"type": "bulletList", "content": [item(paragraph(text("nested")))]})
            ],
        },
        {"type": "codeBlock", "content": [text("fmt.Println()")], "attrs": {"language": "go"}},
        {"type": "blockquote", "content": [paragraph(text("quoted"))]},
        {
            "type": "table",
            "attrs": {"isNumberColumnEnabled": False, "layout": "default"},
            "content": [
                {"type": "tableRow", "content": [cell("tableHeader", text("h"))]},
                {"type": "tableRow", "content": [cell("tableCell", text("c"))]},
            ],
        },
    )


def test_it_reshapes_what_adf_does_not_allow_in_lists_and_quotes():
    document = markdown_to_adf("- # heading in a list\n- > quote in a list\n-\n\n> # heading in a quote\n> > nested")
    assert_valid_adf(document)
    assert adf_to_markdown(document) == (
        "- **heading in a list**\n- quote in a list\n-\n\n> **heading in a quote**\n>\n> nested"
    )


def test_code_keeps_only_a_link_beside_it_as_adf_requires():
    document = markdown_to_adf("**bold `code` [`linked`](https://example.com)**")
    assert document["content"][0]["content"][1:] == [
        text("code", CODE),
        text(" ", STRONG),
        text("linked", link("https://example.com"), CODE),
    ]


def test_images_become_links_since_adf_media_needs_an_upload():
    document = markdown_to_adf("![screenshot](https://example.com/s.png)")
    assert document["content"] == [paragraph(text("screenshot", link("https://example.com/s.png")))]


@pytest.mark.parametrize("markdown", MARKDOWN_SAMPLES)
def test_markdown_comes_back_from_adf_as_it_reads(markdown):
    document = markdown_to_adf(markdown)
    assert_valid_adf(document)
    assert normalised(adf_to_markdown(document)) == normalised(markdown)


def test_the_jira_cloud_description_comes_back_from_markdown_as_valid_adf():
    document = markdown_to_adf(adf_to_markdown(JIRA_CLOUD_DESCRIPTION))
    assert_valid_adf(document)
    assert adf_to_markdown(document) == JIRA_CLOUD_DESCRIPTION_MARKDOWN


# Property: any document in the part of ADF that Markdown can say comes back from Markdown unchanged.

WORDS = st.lists(
    st.sampled_from([*"ab  *_`[]~#-+>!<&\\|().1=:@é", "x1", "&amp;", "<b>", "1. ", "- ", "# ", "---"]),
    min_size=1,
    max_size=6,
).map("".join)
HREFS = st.sampled_from(["https://example.com/x", "https://example.com/p?q=1&r=(2)", "mailto:me@example.com"])


@st.composite
def text_nodes(draw):
    value = draw(WORDS)
    kinds = draw(st.sets(st.sampled_from(["strong", "em", "strike", "code", "link"])))
    if "code" in kinds:
        kinds &= {"code", "link"}
        value = value.replace("]:", "] :")  # `[`]:`](…)` would read as a link reference definition
    elif kinds & {"strong", "em", "strike"}:
        # Kept apart from neighbouring words: inside a word, CommonMark cannot delimit emphasis that starts or
        # ends with punctuation, nor two marks opening at once.
        value = f" {value} "
    marks = [link(draw(HREFS)) if kind == "link" else {"type": kind} for kind in sorted(kinds)]
    return text(value, *marks)


INLINE = st.lists(st.one_of(text_nodes(), text_nodes(), st.just({"type": "hardBreak"})), min_size=1, max_size=5)
PARAGRAPHS = INLINE.map(lambda content: paragraph(*content))
CODE_TEXT = st.text(st.sampled_from(list("ab `~\n{}#*")), min_size=1, max_size=20).filter(
    lambda code: code.strip() and code.strip("\n") == code
)


def lists(items):
    return st.one_of(
        st.lists(items, min_size=1, max_size=3).map(lambda content: {"type": "bulletList", "content": content}),
        st.builds(
            lambda content, order: {"type": "orderedList", "attrs": {"order": order}, "content": content},
            st.lists(items, min_size=1, max_size=3),
            st.integers(0, 5),
        ),
    )


def table(width: int):
    def row(kind):
        return st.lists(INLINE.map(lambda content: cell(kind, *content)), min_size=width, max_size=width)

    return st.builds(
        lambda header, rows: {
            "type": "table",
            "content": [{"type": "tableRow", "content": cells} for cells in [header, *rows]],
        },
        row("tableHeader"),
        st.lists(row("tableCell"), max_size=2),
    )


NESTED_LISTS = lists(PARAGRAPHS.map(item))
BLOCK_NODES = st.one_of(
    PARAGRAPHS,
    st.builds(
        lambda content, level: {"type": "heading", "attrs": {"level": level}, "content": content},
        INLINE,
        st.integers(1, 6),
    ),
    st.builds(
        lambda code, language: {
            "type": "codeBlock",
            "content": [text(code)],
            **({"attrs": {"language": language}} if language else {}),
        },
        CODE_TEXT,
        st.sampled_from(["", "python", "js"]),
    ),
    st.just({"type": "rule"}),
    lists(st.builds(lambda first, rest: item(first, *rest), PARAGRAPHS, st.lists(NESTED_LISTS, max_size=1))),
    st.lists(PARAGRAPHS, min_size=1, max_size=2).map(lambda content: {"type": "blockquote", "content": content}),
    st.integers(1, 3).flatmap(table),
)


def comparable(node: dict):
    """A document as a reader sees it: each character with its marks, runs of spaces as one, empty blocks gone."""
    kind = node["type"]
    if kind in {"paragraph", "heading"}:
        characters: list[tuple] = []
        for child in node.get("content", []):
            if child["type"] == "hardBreak":
                characters.append((" " if kind == "heading" else "\n", None))  # a heading has one line
                continue
            marks = frozenset((m["type"], m.get("attrs", {}).get("href")) for m in child.get("marks", []))
            characters.extend((" ", None) if char.isspace() else (char, marks) for char in child["text"])
        seen: list[tuple] = []
        for character in characters:
            if character[0] == " " and (not seen or seen[-1][0] in " \n"):
                continue
            if character[0] == "\n":
                while seen and seen[-1][0] == " ":
                    seen.pop()
                if not seen:
                    continue
            seen.append(character)
        while seen and seen[-1][0] in " \n":
            seen.pop()
        return (kind, node.get("attrs", {}).get("level"), tuple(seen)) if seen else None
    if kind == "codeBlock":
        return kind, node.get("attrs", {}).get("language"), node["content"][0]["text"]
    children = tuple(c for c in (comparable(child) for child in node.get("content", [])) if c is not None)
    if kind == "blockquote" and not children:
        return None
    return kind, node.get("attrs", {}).get("order", 1) if kind == "orderedList" else None, children


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(BLOCK_NODES, min_size=1, max_size=4).map(lambda content: doc(*content)))
def test_any_markdown_expressible_document_survives_the_trip_through_markdown(document):
    back = markdown_to_adf(adf_to_markdown(document))
    assert_valid_adf(back)
    assert comparable(back) == comparable(document)


PRINTABLE = st.sampled_from([*(chr(code) for code in range(32, 127)), *"éü—“😄"])


@settings(max_examples=300, deadline=None)
@given(st.text(PRINTABLE, min_size=1).map(lambda value: value.strip(" ")).filter(bool))
def test_any_text_comes_back_from_markdown_unchanged(value):
    back = markdown_to_adf(adf_to_markdown(doc(paragraph(text(value)))))
    assert back["content"] == [paragraph(text(value))]
