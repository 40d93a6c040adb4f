"""Which client speaks to which tracker type (imported on first use)."""

from __future__ import annotations

from django.utils.module_loading import import_string

from apps.trackers.clients.base import TrackerClient

CLIENTS: dict[str, str] = {
    "github": "apps.trackers.clients.github.GitHubClient",
    "gitlab": "apps.trackers.clients.gitlab.GitLabClient",
    "jira": "apps.trackers.clients.jira.JiraClient",
}


def client_for(tracker, **options) -> TrackerClient:
    """A client for this tracker's API with its decrypted credentials."""
    client_class = import_string(CLIENTS[tracker.tracker_type])
    return client_class(base_url=tracker.url, token=tracker.api_token, username=tracker.username, **options)
