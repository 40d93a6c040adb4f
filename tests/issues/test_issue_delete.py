"""DELETE /api/v1/issues/{id}: deleted in the (loopback) tracker first, then marked deleted here with an event."""

import pytest

from apps.issues.models import Issue, IssueEvent
from apps.trackers.clients.base import TrackerGone, TrackerNotFound
from apps.trackers.clients.registry import client_for as client_for_tracker
from apps.trackers.sync import tracker_sync
from tests.conftest import client_for
from tests.fakes.gitlab import MAINTAINER
from tests.trackers.factories import tracker_for

pytestmark = pytest.mark.django_db


def synced_github(user, fake):
    fake.add_org("acme")
    fake.add_repo("acme", "api")
    fake.add_issue("acme", "api", "Spam")
    tracker_sync(tracker=tracker_for(user, url=fake.url, api_token=fake.token))


def in_tracker(issue: Issue) -> bool:
    """Whether the tracker still has the issue, asked through its client."""
    project = Issue.objects.select_related("project__organization__tracker").get(pk=issue.pk).project
    client = client_for_tracker(project.organization.tracker)
    try:
        client.get_issue(project.organization.identifier, project.identifier, issue.key)
    except (TrackerGone, TrackerNotFound):
        return False
    finally:
        client.close()
    return True


@pytest.fixture(params=["github", "gitlab", "jira-cloud", "jira-server"])
def synced_issue(request, alice) -> Issue:
    """A synced issue "Spam" on each kind of tracker."""
    kind = request.param
    if kind == "github":
        fake = request.getfixturevalue("fake_github")
        fake.add_org("acme")
        fake.add_repo("acme", "api")
        fake.add_issue("acme", "api", "Spam")
        tracker = tracker_for(alice, url=fake.url, api_token=fake.token)
    elif kind == "gitlab":
        fake = request.getfixturevalue("fake_gitlab")
        fake.add_group("acme")
        fake.add_project("acme", "api")
        fake.add_issue("acme/api", "Spam")
        tracker = tracker_for(alice, tracker_type="gitlab", url=fake.url, api_token=fake.token)
    else:
        cloud = kind == "jira-cloud"
        fake = request.getfixturevalue("fake_jira_cloud" if cloud else "fake_jira_server")
        fake.add_project("PROJ")
        fake.add_issue("PROJ", "Spam")
        credentials = {"username": "ana@acme.com", "api_token": "jira-token"} if cloud else {"api_token": "jira-pat"}
        tracker = tracker_for(alice, tracker_type="jira", url=fake.url, **credentials)
    assert tracker_sync(tracker=tracker).ok
    return Issue.objects.get(title="Spam")


def test_deleting_deletes_in_the_tracker_then_marks_it_deleted_here(alice, synced_issue):
    issue = synced_issue
    assert in_tracker(issue)
    client = client_for(alice)

    response = client.delete(f"/api/v1/issues/{issue.id}")

    assert response.status_code == 204, response.content
    assert not in_tracker(issue)
    assert Issue.objects.get(pk=issue.pk).deleted_at is not None
    assert client.get("/api/v1/issues").json()["count"] == 0
    event = IssueEvent.objects.get(issue=issue, kind="deleted")
    assert (event.source, event.owner_id) == ("preloop", alice.pk)


def test_deleting_twice_is_410_and_asks_the_tracker_nothing(alice, fake_github):
    synced_github(alice, fake_github)
    issue = Issue.objects.get(title="Spam")
    client = client_for(alice)
    assert client.delete(f"/api/v1/issues/{issue.id}").status_code == 204
    asked = len(fake_github.requests)

    again = client.delete(f"/api/v1/issues/{issue.id}")

    assert again.status_code == 410 and "already gone from the tracker" in again.json()["detail"]
    assert len(fake_github.requests) == asked
    assert IssueEvent.objects.filter(issue=issue, kind="deleted").count() == 1


def test_a_github_user_who_is_not_admin_gets_a_clear_403_and_nothing_changes(alice, fake_github):
    synced_github(alice, fake_github)
    fake_github.set_permission("acme", "api", "write")
    issue = Issue.objects.get(title="Spam")

    response = client_for(alice).delete(f"/api/v1/issues/{issue.id}")

    assert response.status_code == 403
    assert "must be an admin of the repository to delete issues" in response.json()["errors"]["tracker"][0]
    assert Issue.objects.get(pk=issue.pk).deleted_at is None
    assert not IssueEvent.objects.filter(issue=issue, kind="deleted").exists()
    assert fake_github.issue("acme", "api", 1)["state"] == "open"


def test_a_gitlab_maintainer_is_told_only_owners_can_delete(alice, fake_gitlab):
    fake_gitlab.add_group("acme")
    fake_gitlab.add_project("acme", "api")
    fake_gitlab.add_issue("acme/api", "Spam")
    tracker_sync(tracker=tracker_for(alice, tracker_type="gitlab", url=fake_gitlab.url, api_token=fake_gitlab.token))
    fake_gitlab.set_access_level("acme/api", MAINTAINER)
    issue = Issue.objects.get(title="Spam")

    response = client_for(alice).delete(f"/api/v1/issues/{issue.id}")

    assert response.status_code == 403 and "only project owners" in response.json()["detail"]
    assert Issue.objects.get(pk=issue.pk).deleted_at is None


def test_a_jira_issue_with_subtasks_is_refused_with_a_400(alice, fake_jira_cloud):
    fake_jira_cloud.add_project("PROJ")
    parent = fake_jira_cloud.add_issue("PROJ", "Parent")["key"]
    tracker = tracker_for(alice, tracker_type="jira", url=fake_jira_cloud.url, username="ana@acme.com",
                          api_token="jira-token")  # fmt: skip
    tracker_sync(tracker=tracker)
    fake_jira_cloud.add_subtask(parent, "Child")
    issue = Issue.objects.get(key=parent)

    response = client_for(alice).delete(f"/api/v1/issues/{issue.id}")

    assert response.status_code == 400 and "has subtasks; delete them first" in response.json()["detail"]
    assert Issue.objects.get(pk=issue.pk).deleted_at is None
    assert fake_jira_cloud.issue(parent)["key"] == parent


def test_an_issue_the_tracker_no_longer_has_is_404_and_left_to_sync(alice, fake_gitlab):
    fake_gitlab.add_group("acme")
    fake_gitlab.add_project("acme", "api")
    fake_gitlab.add_issue("acme/api", "Spam")
    tracker_sync(tracker=tracker_for(alice, tracker_type="gitlab", url=fake_gitlab.url, api_token=fake_gitlab.token))
    fake_gitlab.delete_issue("acme/api", 1)
    issue = Issue.objects.get(title="Spam")

    response = client_for(alice).delete(f"/api/v1/issues/{issue.id}")

    assert response.status_code == 404 and response.json()["errors"]["tracker"]
    assert Issue.objects.get(pk=issue.pk).deleted_at is None


def test_another_users_issue_cannot_be_deleted(alice, bob, fake_github):
    synced_github(alice, fake_github)
    issue = Issue.objects.get(title="Spam")

    assert client_for(bob).delete(f"/api/v1/issues/{issue.id}").status_code == 404

    assert not any(request.method == "POST" for request in fake_github.requests)
    assert fake_github.issue("acme", "api", 1)["state"] == "open"
    assert Issue.objects.get(pk=issue.pk).deleted_at is None
