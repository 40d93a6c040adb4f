"""Which client speaks to which tracker type (imported on first use)."""

from __future__ import annotations

from django.utils.module_loading import import_string

from apps.trackers.clients.base import TrackerClient, TrackerUrlRefused
from preloop.http import OutboundUrlRefused, outbound_url_check

CLIENTS: dict[str, str] = {
    "github": "apps.trackers.clients.github.GitHubClient",
    "gitlab": "apps.trackers.clients.gitlab.GitLabClient",
    "jira": "apps.trackers.clients.jira.JiraClient",
}


def client_for(tracker, **options) -> TrackerClient:
    """A client for this tracker's API with its decrypted credentials."""
    try:  # checked again at use: a host name may resolve elsewhere by now
        outbound_url_check(tracker.url)
    except OutboundUrlRefused as refused:
        raise TrackerUrlRefused(str(refused)) from refused
    client_class = import_string(CLIENTS[tracker.tracker_type])
    return client_class(base_url=tracker.url, token=tracker.api_token, username=tracker.username, **options)
