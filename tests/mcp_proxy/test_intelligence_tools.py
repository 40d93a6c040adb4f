"""The search, duplicate and compliance tools, end to end: the issue's "done when" flow through an MCP client."""

import asyncio

import pytest

from apps.issues.embeddings.consumer import issues_embed_and_pair
from apps.issues.models import Issue
from apps.mcp_proxy.models import ToolCall
from apps.trackers.sync import tracker_sync
from tests.conftest import client_for
from tests.issues.corpus import SAFARI_TITLES, seed
from tests.mcp_proxy.client import mcp_session
from tests.mcp_proxy.conftest import key_for
from tests.trackers.factories import tracker_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def embedded_corpus(alice, fake_github):
    """The known corpus (tests/issues/corpus.py), synced and embedded, committed for the server processes."""
    seed(fake_github)
    tracker_sync(tracker=tracker_for(alice, url=fake_github.url, api_token=fake_github.token))
    issues_embed_and_pair(list(Issue.objects.values_list("id", flat=True)))
    return {issue.title: issue for issue in Issue.objects.all()}


def reference(issue) -> str:
    return f"acme/api{issue.key}"


def test_an_agent_searches_finds_duplicates_scores_improves_and_updates(server, alice, fake_github, embedded_corpus):
    login = embedded_corpus["Login fails with 500 error on Safari"]
    typo = embedded_corpus["Typo in the README installation section"]
    token = key_for(alice)

    async def flow():
        async with mcp_session(server.mcp_url, token) as session:
            found = await session.call_tool("search", {"query": "people cannot sign in with Safari", "limit": 3})
            similar = await session.call_tool("search", {"similar_to": reference(login)})
            score = await session.call_tool("estimate_compliance", {"issue": reference(typo)})
            proposal = await session.call_tool("improve_compliance", {"issue": reference(typo)})
            updated = await session.call_tool("update_issue", {
                "issue": reference(typo), "title": proposal.structured_content["title"],
                "description": proposal.structured_content["description"],
            })  # fmt: skip
            return found, similar, score, proposal, updated

    found, similar, score, proposal, updated = asyncio.run(flow())
    assert not any(result.is_error for result in (found, similar, score, proposal, updated))
    assert {hit["issue"]["title"] for hit in found.structured_content["results"]} == SAFARI_TITLES
    assert "similar in meaning" in found.content[0].text
    assert {hit["classification"] for hit in similar.structured_content["results"]} == {"duplicate"}
    assert len(similar.structured_content["results"]) == 2
    assert 0 <= score.structured_content["score"] < 100 and score.structured_content["engine"] == "rules"
    assert "acceptance_criteria" in score.structured_content["missing"]
    assert "update_issue" in proposal.content[0].text
    assert fake_github.issue("acme", "api", typo.number)["body"] == proposal.structured_content["description"]
    assert [row.tool_name for row in ToolCall.objects.order_by("created_at")] == [
        "search", "search", "estimate_compliance", "improve_compliance", "update_issue"
    ]  # fmt: skip


def test_compliance_over_rest_counts_the_open_duplicates(alice, embedded_corpus):
    login = embedded_corpus["Login fails with 500 error on Safari"]
    body = client_for(alice).post("/api/v1/mcp/estimate_compliance", {"issue": str(login.id)}, format="json").json()
    [finding] = [item for item in body["structured"]["findings"] if item["id"] == "no_unresolved_duplicate"]
    assert finding["status"] == "missing"


def test_search_tool_errors_are_actionable(alice, embedded_corpus):
    client = client_for(alice)
    nothing = client.post("/api/v1/mcp/search", {}, format="json")
    assert nothing.status_code == 400 and "Give `query`" in nothing.json()["errors"]["tool"][0]
    bad_date = client.post("/api/v1/mcp/search", {"query": "x", "updated_since": "yesterday"}, format="json")
    assert bad_date.status_code == 400 and "updated_since" in bad_date.json()["detail"]
    other = client.post("/api/v1/mcp/search", {"similar_to": "other/repo#1"}, format="json")
    assert other.status_code == 400 and "Only issues of your own synced trackers" in other.json()["detail"]
    assert ToolCall.objects.filter(tool_name="search", outcome="tool_error").count() == 3


def test_another_users_issues_are_never_searched(alice, bob, embedded_corpus):
    tracker_for(bob, name="bob's")  # bob has a tracker (so he sees the tools) but none of alice's issues
    body = client_for(bob).post("/api/v1/mcp/search", {"query": "Safari login"}, format="json").json()
    assert body["structured"]["results"] == []
    similar = client_for(bob).post("/api/v1/mcp/search", {"similar_to": str(embedded_corpus["Export issues to CSV"].id)},
                                   format="json")  # fmt: skip
    assert similar.status_code == 400 and "CSV" not in similar.json()["detail"]
