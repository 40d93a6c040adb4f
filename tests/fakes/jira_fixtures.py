"""pytest fixtures: a fresh fake Jira per test (Cloud or Server/Data Center), stopped afterwards."""

from __future__ import annotations

import pytest

from .jira import FakeJira


@pytest.fixture
def fake_jira_cloud():
    """Jira Cloud at `fake.url`: Basic ana@acme.com:jira-token, REST v3 (and v2), enhanced search."""
    fake = FakeJira("cloud").start()
    yield fake
    fake.stop()


@pytest.fixture
def fake_jira_server():
    """Jira Data Center at `fake.url` (context path /jira): Basic ana:jira-token or Bearer jira-pat, REST v2."""
    fake = FakeJira("server", pat="jira-pat", context_path="/jira").start()
    yield fake
    fake.stop()
