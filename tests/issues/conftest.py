"""Fixtures of the issue tests: the known corpus, synced from the fake GitHub and embedded."""

import pytest

from apps.issues.embeddings.consumer import issues_embed_and_pair
from apps.issues.models import Issue
from apps.trackers.sync import tracker_sync
from tests.issues.corpus import seed
from tests.trackers.factories import tracker_for


@pytest.fixture
def corpus(alice, fake_github):
    """Alice's synced and embedded corpus; returns {title: Issue}."""
    seed(fake_github)
    tracker_sync(tracker=tracker_for(alice, url=fake_github.url, api_token=fake_github.token))
    issues = {issue.title: issue for issue in Issue.objects.filter(project__organization__tracker__owner=alice)}
    issues_embed_and_pair(list(issue.id for issue in issues.values()))
    return issues


@pytest.fixture
def embeddings_api(settings):
    """A running fake OpenAI-compatible embeddings API, configured as this process's provider (64 dimensions)."""
    from apps.issues.embeddings.providers import embedding_provider
    from tests.fakes.embeddings_api import API_KEY, FakeEmbeddingsApi

    fake = FakeEmbeddingsApi().start()
    settings.EMBEDDING_PROVIDER = "openai"
    settings.EMBEDDING_API_BASE_URL = fake.base_url
    settings.EMBEDDING_API_KEY = API_KEY
    settings.EMBEDDING_MODEL = "fake-embed"
    settings.EMBEDDING_DIMENSIONS = 64
    embedding_provider.cache_clear()
    yield fake
    fake.stop()
    embedding_provider.cache_clear()
