"""Issue vectors: made by workers from issue events, skipped when unchanged, per model, re-embedded on demand."""

import io

import pytest
from django.core.management import call_command
from django.db import connection

from apps.issues.embeddings.consumer import issues_embed_and_pair
from apps.issues.embeddings.providers import embedding_provider
from apps.issues.embeddings.store import embedding_index_name, issues_embed
from apps.issues.events import issue_events_deliver_now
from apps.issues.models import DuplicatePair, Issue, IssueEmbedding, IssueEvent
from apps.trackers.sync import tracker_sync
from tests.conftest import client_for
from tests.issues.corpus import CORPUS, seed
from tests.trackers.factories import tracker_for

LOCAL_MODEL = "all-MiniLM-L6-v2-onnx-int8"


def synced(alice, fake_github):
    seed(fake_github)
    tracker_sync(tracker=tracker_for(alice, url=fake_github.url, api_token=fake_github.token))


def index_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = %s", [name])
        return cursor.fetchone() is not None


@pytest.mark.django_db
def test_issue_events_give_new_issues_vectors_and_duplicate_pairs(alice, fake_github):
    synced(alice, fake_github)
    assert not IssueEmbedding.objects.exists()
    issue_events_deliver_now(list(IssueEvent.objects.values_list("id", flat=True)))
    assert IssueEmbedding.objects.filter(model=LOCAL_MODEL).count() == len(CORPUS)
    assert DuplicatePair.objects.count() == 3  # the three Safari reports, pairwise
    assert index_exists(embedding_index_name(LOCAL_MODEL))


@pytest.mark.django_db
def test_an_unchanged_text_is_not_embedded_again_and_a_changed_one_is(alice, fake_github):
    synced(alice, fake_github)
    ids = list(Issue.objects.values_list("id", flat=True))
    assert len(issues_embed(issue_ids=ids)) == len(CORPUS)
    assert issues_embed(issue_ids=ids) == []
    issue = Issue.objects.get(title="Export issues to CSV")
    Issue.objects.filter(id=issue.id).update(description="Also Excel.")
    assert issues_embed(issue_ids=ids) == [issue.id]


@pytest.mark.django_db(transaction=True)
def test_a_dramatiq_worker_embeds_what_a_sync_stored(alice, fake_github, dramatiq_worker):
    synced(alice, fake_github)  # events are enqueued on commit, through Redis
    dramatiq_worker.join("default", timeout=60_000)
    assert IssueEmbedding.objects.count() == len(CORPUS)


@pytest.mark.django_db
def test_an_openai_compatible_api_can_be_the_provider(alice, fake_github, embeddings_api):
    synced(alice, fake_github)
    issues_embed_and_pair(list(Issue.objects.values_list("id", flat=True)))
    assert set(IssueEmbedding.objects.values_list("model", "dimensions")) == {("fake-embed@64", 64)}
    request = embeddings_api.requests[-1]
    assert request.json()["model"] == "fake-embed" and request.json()["dimensions"] == 64
    body = client_for(alice).get("/api/v1/issues/search", {"query": "dashboard dark", "mode": "semantic"}).json()
    assert body["embedding_model"] == "fake-embed@64"
    assert body["results"][0]["issue"]["title"] == "Add a dark mode to the dashboard"


@pytest.mark.django_db
def test_a_failing_embeddings_api_is_a_clear_error_and_hybrid_falls_back_to_keywords(alice, fake_github,
                                                                                    embeddings_api):  # fmt: skip
    synced(alice, fake_github)
    embeddings_api.fail_next(401, times=10, body={"error": {"message": "Incorrect API key provided."}})
    response = client_for(alice).get("/api/v1/issues/search", {"query": "CSV", "mode": "semantic"})
    assert response.status_code == 400
    assert "answered 401" in response.json()["errors"]["mode"][0]
    body = client_for(alice).get("/api/v1/issues/search", {"query": "CSV"}).json()
    assert [hit["issue"]["title"] for hit in body["results"]] == ["Export issues to CSV"]
    assert "keyword matches only" in body["warnings"][0]


@pytest.mark.django_db
def test_reembed_gives_every_issue_a_vector_of_the_new_model_and_prune_drops_the_old(alice, fake_github, settings):
    synced(alice, fake_github)
    out = io.StringIO()
    call_command("issues", "reembed", stdout=out)
    assert f"{len(CORPUS)} issues to embed with {LOCAL_MODEL}" in out.getvalue()
    call_command("issues", "reembed", stdout=(again := io.StringIO()))
    assert "0 issues to embed" in again.getvalue()

    from tests.fakes.embeddings_api import API_KEY, FakeEmbeddingsApi

    fake = FakeEmbeddingsApi().start()
    try:
        settings.EMBEDDING_PROVIDER, settings.EMBEDDING_API_BASE_URL = "openai", fake.base_url
        settings.EMBEDDING_API_KEY, settings.EMBEDDING_MODEL, settings.EMBEDDING_DIMENSIONS = API_KEY, "fake-embed", 32
        embedding_provider.cache_clear()
        call_command("issues", "reembed", stdout=io.StringIO())
        assert IssueEmbedding.objects.filter(model="fake-embed@32").count() == len(CORPUS)
        assert IssueEmbedding.objects.filter(model=LOCAL_MODEL).count() == len(CORPUS)  # side by side
        call_command("issues", "reembed", "--prune", stdout=io.StringIO())
        assert set(IssueEmbedding.objects.values_list("model", flat=True)) == {"fake-embed@32"}
        assert not index_exists(embedding_index_name(LOCAL_MODEL))
        assert index_exists(embedding_index_name("fake-embed@32"))
    finally:
        fake.stop()
        embedding_provider.cache_clear()
