"""Connection tests, syncs on demand and webhook registration through the REST API."""

import pytest
from django.core.management import call_command

from apps.trackers.models import Tracker
from apps.trackers.sync import tracker_sync
from tests.conftest import client_for
from tests.trackers.factories import tracker_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def github(fake_github):
    fake_github.add_org("acme")
    fake_github.add_repo("acme", "api")
    fake_github.add_issue("acme", "api", "One")
    return fake_github


def test_connection_by_tracker_id_reports_success_and_what_was_found(alice, github):
    tracker = tracker_for(alice, url=github.url, api_token=github.token)
    response = client_for(alice).post(
        "/api/v1/projects/test-connection",
        {"tracker_id": str(tracker.id), "organization": "acme", "project": "api"},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True and body["project_name"] == "acme/api" and body["issue_count"] == 1
    assert body["scopes"] == ["repo", "read:org"] and body["problem"] == ""


def test_connection_with_unsaved_credentials_names_the_problem(alice, github):
    response = client_for(alice).post(
        "/api/v1/projects/test-connection",
        {
            "tracker_type": "github",
            "url": github.url,
            "api_token": "ghp_wrong",
            "organization": "acme",
            "project": "api",
        },
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["success"] is False and response.json()["problem"] == "authentication"
    assert not Tracker.objects.exists()


def test_connection_by_organization_identifier_as_in_the_seed(alice, github):
    tracker_sync(tracker=tracker_for(alice, url=github.url, api_token=github.token))
    response = client_for(alice).post(
        "/api/v1/projects/test-connection", {"organization": "acme", "project": "api"}, format="json"
    )
    assert response.json()["success"] is True


def test_connection_needs_a_tracker_somehow(alice):
    response = client_for(alice).post("/api/v1/projects/test-connection", {"project": "api"}, format="json")
    assert response.status_code == 400 and "tracker_id" in response.json()["errors"]


def test_connection_cannot_use_another_users_tracker(alice, bob, github):
    tracker = tracker_for(bob, url=github.url, api_token=github.token)
    response = client_for(alice).post(
        "/api/v1/projects/test-connection", {"tracker_id": str(tracker.id)}, format="json"
    )
    assert response.status_code == 400 and response.json()["errors"] == {"tracker_id": ["Not found."]}


def test_a_sync_can_be_queued_and_shows_its_status(alice, github, settings):
    tracker = tracker_for(alice, url=github.url, api_token=github.token)
    client = client_for(alice)
    assert client.post(f"/api/v1/trackers/{tracker.id}/sync", {"full": True}, format="json").status_code == 202
    assert client_for(alice).get(f"/api/v1/trackers/{tracker.id}").json()["last_sync_status"] == "never"
    tracker_sync(tracker=tracker)
    shown = client.get(f"/api/v1/trackers/{tracker.id}").json()
    assert shown["last_sync_status"] == "ok" and shown["last_synced_at"] and shown["last_error"] == ""


def test_bob_cannot_sync_or_rotate_alices_tracker(alice, bob, github):
    tracker = tracker_for(alice, url=github.url, api_token=github.token)
    assert client_for(bob).post(f"/api/v1/trackers/{tracker.id}/sync").status_code == 404
    assert client_for(bob).post(f"/api/v1/trackers/{tracker.id}/webhook-secret").status_code == 404


def test_registering_a_github_webhook_uses_the_trackers_url_and_secret(alice, github, settings):
    settings.PRELOOP_URL = "https://preloop.example.com"
    tracker = tracker_for(alice, url=github.url, api_token=github.token)
    tracker_sync(tracker=tracker)
    project = tracker.organizations.get(identifier="acme").projects.get(identifier="api")
    response = client_for(alice).post(f"/api/v1/projects/{project.id}/webhook")
    assert response.status_code == 201, response.json()
    [hook] = github.hooks("acme", "api")
    assert hook["config"]["url"] == f"https://preloop.example.com/api/v1/webhooks/github/{tracker.id}"
    assert hook["config"]["secret"] == tracker.webhook_secret


def test_registering_fails_clearly_without_permission(alice, github):
    github.scopes = ("read:org",)
    tracker = tracker_for(alice, url=github.url, api_token=github.token)
    github.add_repo("octocat", "mine")
    tracker_sync(tracker=tracker)
    project = tracker.organizations.get(identifier="octocat").projects.get(identifier="mine")
    response = client_for(alice).post(f"/api/v1/projects/{project.id}/webhook")
    assert (
        response.status_code == 400 and "Could not register the webhook" in response.json()["errors"]["project_id"][0]
    )


def test_the_sync_command_prints_plain_progress_and_a_summary_when_not_a_terminal(alice, github, capsys):
    tracker = tracker_for(alice, url=github.url, api_token=github.token)
    call_command("sync", "scan", "tracker", str(tracker.id), "--full")
    output = capsys.readouterr().out
    assert "syncing GitHub (GitHub, alice@example.com)" in output
    assert "acme/api: 1 issues" in output
    assert "ok — 1 projects, 1 issues" in output  # octocat has no repositories


def test_the_sync_command_names_an_unknown_tracker(db):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="No tracker with id 'nope'"):
        call_command("sync", "scan", "tracker", "nope")


def test_the_scheduler_syncs_every_tracker_and_sweeps_events():
    from apps.system.schedule import PERIODIC_JOBS

    jobs = {job.name: job for job in PERIODIC_JOBS}
    assert jobs["trackers_sync"].actor_path == "apps.trackers.tasks.trackers_sync_all"
    assert jobs["issue_events_sweep"].interval_seconds == 60
