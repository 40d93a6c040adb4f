"""Issue search over the known corpus: keyword, semantic, hybrid; filters; isolation; bad input."""

import pytest
from django.db import transaction

from apps.issues.embeddings.consumer import issues_embed_and_pair
from apps.issues.models import ChangeSource, Issue, IssueEmbedding
from apps.issues.services import issues_store
from apps.trackers.clients.base import RemoteIssue
from tests.conftest import client_for
from tests.issues.corpus import SAFARI_TITLES
from tests.trackers.factories import project_for

pytestmark = pytest.mark.django_db


def search(user, **params):
    response = client_for(user).get("/api/v1/issues/search", params)
    assert response.status_code == 200, response.json()
    return response.json()


def titles(body):
    return [hit["issue"]["title"] for hit in body["results"]]


def test_keyword_search_finds_the_words_and_says_where(alice, corpus):
    body = search(alice, query="CSV export", mode="keyword")
    assert titles(body) == ["Export issues to CSV"]
    assert body["results"][0]["match"]["keyword_rank"] == 1
    assert "title has csv, export" in body["results"][0]["match"]["reason"]


def test_semantic_search_finds_meaning_without_shared_words(alice, corpus):
    assert titles(search(alice, query="night theme", mode="semantic", limit=1)) == ["Add a dark mode to the dashboard"]
    body = search(alice, query="checkout rejects my credit card", mode="semantic", limit=1)
    assert titles(body) == ["Card payments requiring 3D Secure are declined"]
    assert body["embedding_model"] == "all-MiniLM-L6-v2-onnx-int8"
    assert body["results"][0]["match"]["similarity"] > 0.5
    assert "similar in meaning #1" in body["results"][0]["match"]["reason"]


def test_keyword_search_alone_misses_what_hybrid_finds(alice, corpus):
    assert search(alice, query="open the tickets in Excel", mode="keyword")["results"] == []
    assert titles(search(alice, query="open the tickets in Excel"))[0] == "Export issues to CSV"


def test_hybrid_puts_issues_matching_both_ways_first(alice, corpus):
    body = search(alice, query="Safari login error", limit=3)
    assert body["mode"] == "hybrid"
    assert set(titles(body)) == SAFARI_TITLES
    top = body["results"][0]
    assert top["match"]["keyword_rank"] and top["match"]["semantic_rank"]
    assert 0 < top["score"] <= 1 and top["score"] >= body["results"][-1]["score"]


def test_an_issue_is_found_by_keyword_at_once_and_by_meaning_once_embedded(alice, corpus):
    project = Issue.objects.get(title="Export issues to CSV").project
    with transaction.atomic():
        issues_store(project=project, source=ChangeSource.SYNC, remote_issues=[
            RemoteIssue(external_id="9001", key="#9001", number=9001, title="Keyboard shortcuts for triage",
                        description="Power users want to label and close issues without the mouse."),
        ])  # fmt: skip
    assert titles(search(alice, query="keyboard shortcuts", mode="keyword")) == ["Keyboard shortcuts for triage"]
    assert "Keyboard shortcuts for triage" not in titles(search(alice, query="hotkeys", mode="semantic", limit=3))
    issues_embed_and_pair([Issue.objects.get(number=9001).id])
    assert titles(search(alice, query="hotkeys", mode="semantic", limit=1)) == ["Keyboard shortcuts for triage"]


def test_filters_narrow_the_results(alice, corpus):
    assert set(titles(search(alice, query="error", labels="browser"))) == {"Sign-in broken on Safari (HTTP 500)"}
    assert titles(search(alice, query="declined", mode="keyword", labels="bug,payments")) == [
        "Card payments requiring 3D Secure are declined"
    ]
    assert search(alice, query="declined", labels="bug,browser")["results"] == []  # every label must be present
    assert titles(search(alice, query="Safari", status="closed")) == []
    assert len(search(alice, query="Safari", mode="keyword", project="acme/api")["results"]) == 3
    assert search(alice, query="Safari", project="acme/other")["results"] == []


def test_an_issue_key_finds_that_issue(alice, corpus):
    issue = Issue.objects.get(title="Typo in the README installation section")
    assert titles(search(alice, query=issue.key, mode="keyword")) == [issue.title]


def test_only_your_own_issues_are_ever_searched(alice, bob, corpus):
    project = project_for(bob, identifier="web")
    with transaction.atomic():
        issues_store(project=project, source=ChangeSource.SYNC, remote_issues=[
            RemoteIssue(external_id="1", key="#1", number=1, title="Safari login broken for Bob"),
        ])  # fmt: skip
    issues_embed_and_pair(list(Issue.objects.filter(project=project).values_list("id", flat=True)))
    for mode in ("keyword", "semantic", "hybrid"):
        assert titles(search(bob, query="Safari login", mode=mode)) == ["Safari login broken for Bob"]
        assert "Safari login broken for Bob" not in titles(search(alice, query="Safari login", mode=mode))


def test_deleted_issues_are_not_found(alice, corpus):
    from django.utils import timezone

    Issue.objects.filter(title="Export issues to CSV").update(deleted_at=timezone.now())
    assert search(alice, query="CSV", mode="keyword")["results"] == []
    assert "Export issues to CSV" not in titles(search(alice, query="spreadsheet download", mode="semantic"))


@pytest.mark.parametrize(
    ("params", "field"),
    [({"query": ""}, "query"), ({"query": "x", "mode": "fuzzy"}, "mode"), ({"query": "x", "limit": 0}, "limit"),
     ({"query": "x", "limit": 101}, "limit"), ({"query": "x", "updated_since": "yesterday"}, "updated_since")],
)  # fmt: skip
def test_bad_parameters_are_named(alice, params, field):
    response = client_for(alice).get("/api/v1/issues/search", params)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_search_needs_authentication(anon_client):
    assert anon_client.get("/api/v1/issues/search", {"query": "x"}).status_code == 401


def test_vectors_record_their_model_and_dimension(alice, corpus):
    stored = IssueEmbedding.objects.filter(issue__in=corpus.values())
    assert stored.count() == len(corpus)
    assert set(stored.values_list("model", "dimensions")) == {("all-MiniLM-L6-v2-onnx-int8", 384)}


def test_unrelated_issues_are_not_matches_in_meaning(alice, corpus):
    body = search(alice, query="safari login", mode="semantic", limit=20)
    assert set(titles(body)) == SAFARI_TITLES
    assert all(hit["match"]["similarity"] >= 0.2 for hit in body["results"])
