"""Issue writes go through to the (loopback) tracker first and are stored from its answer."""

import pytest

from apps.issues.models import Comment, Issue, IssueEvent
from apps.trackers.sync import tracker_sync
from tests.conftest import client_for
from tests.trackers.factories import tracker_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def synced(alice, fake_github):
    fake_github.add_org("acme")
    fake_github.add_repo("acme", "api")
    fake_github.add_issue("acme", "api", "Existing")
    tracker = tracker_for(alice, url=fake_github.url, api_token=fake_github.token)
    tracker_sync(tracker=tracker)
    return tracker


def test_creating_writes_to_the_tracker_then_stores_it(alice, fake_github, synced):
    response = client_for(alice).post("/api/v1/issues", {
        "organization": "acme", "project": "api", "title": "Improve login error messages",
        "description": "Current error messages are not clear enough...", "labels": ["enhancement"], "priority": "High",
    }, format="json")  # fmt: skip
    assert response.status_code == 201, response.json()
    body = response.json()
    assert fake_github.issue("acme", "api", body["number"])["title"] == "Improve login error messages"
    assert sorted(body["labels"]) == ["enhancement", "priority: High"]
    assert IssueEvent.objects.get(issue_id=body["id"]).source == "preloop"


def test_updating_closes_in_the_tracker(alice, fake_github, synced):
    issue = Issue.objects.get(title="Existing")
    response = client_for(alice).put(f"/api/v1/issues/{issue.id}", {"status": "closed"}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "closed"
    assert fake_github.issue("acme", "api", issue.number)["state"] == "closed"


def test_commenting_writes_through(alice, fake_github, synced):
    issue = Issue.objects.get(title="Existing")
    response = client_for(alice).post(f"/api/v1/issues/{issue.id}/comments", {"body": "On it"}, format="json")
    assert response.status_code == 201 and response.json()["body"] == "On it"
    assert [c["body"] for c in fake_github.comments("acme", "api", issue.number)] == ["On it"]
    assert Comment.objects.get(issue=issue).body == "On it"


def test_a_tracker_refusal_is_a_clear_error_and_nothing_is_stored(alice, fake_github, synced):
    before = Issue.objects.count()
    response = client_for(alice).post("/api/v1/issues", {"organization": "acme", "project": "api", "title": "x",
                                                         "status": "someday"}, format="json")  # fmt: skip
    assert response.status_code == 400 and "open or closed" in response.json()["errors"]["tracker"][0]
    assert Issue.objects.count() == before


def test_a_revoked_tracker_token_is_a_502_naming_the_tracker(alice, fake_github, synced):
    synced.api_token = "ghp_revoked"
    synced.save()
    issue = Issue.objects.get(title="Existing")
    response = client_for(alice).put(f"/api/v1/issues/{issue.id}", {"title": "New"}, format="json")
    assert response.status_code == 502 and "GitHub rejected the token" in response.json()["detail"]
    assert Issue.objects.get(pk=issue.pk).title == "Existing"


def test_another_users_issue_cannot_be_changed(bob, fake_github, synced):
    issue = Issue.objects.get(title="Existing")
    assert client_for(bob).put(f"/api/v1/issues/{issue.id}", {"title": "Mine"}, format="json").status_code == 404
    assert client_for(bob).post(f"/api/v1/issues/{issue.id}/comments", {"body": "x"}, format="json").status_code == 404
    assert fake_github.issue("acme", "api", issue.number)["title"] == "Existing"


def test_creating_needs_a_project_the_user_owns(bob, synced):
    response = client_for(bob).post(
        "/api/v1/issues", {"organization": "acme", "project": "api", "title": "x"}, format="json"
    )
    assert response.status_code == 400 and "project_id" in response.json()["errors"]
    assert client_for(bob).post("/api/v1/issues", {"project": "api"}, format="json").json()["errors"].keys() >= {
        "title"
    }


def test_a_token_without_the_right_is_a_403_naming_what_it_lacks(alice, fake_gitlab):
    fake_gitlab.add_group("acme")
    fake_gitlab.add_project("acme", "api")
    fake_gitlab.add_issue("acme/api", "Existing")
    tracker_sync(tracker=tracker_for(alice, tracker_type="gitlab", url=fake_gitlab.url, api_token=fake_gitlab.token))
    fake_gitlab.scopes = ("read_api",)
    issue = Issue.objects.get(title="Existing")
    response = client_for(alice).put(f"/api/v1/issues/{issue.id}", {"title": "New"}, format="json")
    assert response.status_code == 403 and "`api` scope" in response.json()["errors"]["tracker"][0]
    assert Issue.objects.get(pk=issue.pk).title == "Existing"
