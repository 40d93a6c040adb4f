"""Pytest fixtures for the GitHub and GitLab fakes: a fresh server per test, stopped after it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .github import FakeGitHub
from .gitlab import FakeGitLab


@pytest.fixture
def fake_github() -> Iterator[FakeGitHub]:
    """A running fake GitHub; token `ghp_testtoken` with scopes repo and read:org, user octocat."""
    fake = FakeGitHub()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def fake_gitlab() -> Iterator[FakeGitLab]:
    """A running fake GitLab; token `glpat-testtoken` with scope api, user root."""
    fake = FakeGitLab()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def fake_llm():
    """A running fake LLM API (OpenAI chat completions and Anthropic messages) with scripted answers."""
    from .llm import FakeLlm

    fake = FakeLlm()
    fake.start()
    yield fake
    fake.stop()
