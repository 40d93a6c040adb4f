import pytest

from apps.issues.models import Comment
from apps.issues.services import comments_store, issues_mark_deleted, issues_store
from apps.trackers.clients.base import RemoteComment, RemoteIssue
from tests.conftest import client_for
from tests.trackers.factories import project_for

pytestmark = pytest.mark.django_db


def seed(user, identifier="api"):
    project = project_for(user, identifier=identifier)
    stored = issues_store(project=project, source="sync", remote_issues=[
        RemoteIssue(external_id="1", key="#1", number=1, title="Crash on login", labels=["bug"]),
        RemoteIssue(external_id="2", key="#2", number=2, title="Dark mode", state="closed", labels=["feature"]),
    ])  # fmt: skip
    comments_store(owner_id=user.pk, source="sync",
                   comments=[(stored["1"], RemoteComment(external_id="c1", body="Same here", author="bob"))])  # fmt: skip
    return project, stored


def test_synced_issues_are_listed_for_their_owner_only(alice, bob):
    seed(alice)
    seed(bob, identifier="other")
    titles = [item["title"] for item in client_for(alice).get("/api/v1/issues").json()["results"]]
    assert sorted(titles) == ["Crash on login", "Dark mode"]


def test_the_list_filters_by_project_state_and_label(alice):
    project, _ = seed(alice)
    seed(alice, identifier="second")
    client = client_for(alice)
    assert client.get(f"/api/v1/issues?project={project.id}").json()["count"] == 2
    assert [i["title"] for i in client.get("/api/v1/issues?state=closed&label=feature").json()["results"]] == [
        "Dark mode",
        "Dark mode",
    ]
    assert client.get("/api/v1/issues?state=maybe").status_code == 400
    assert client.get("/api/v1/issues?project=not-a-uuid").json()["errors"] == {
        "query": ["project must be a UUID, not 'not-a-uuid'."]
    }


def test_an_issue_comes_with_its_comments(alice):
    _, stored = seed(alice)
    body = client_for(alice).get(f"/api/v1/issues/{stored['1'].id}").json()
    assert body["key"] == "#1" and body["tracker_type"] == "github"
    assert [comment["body"] for comment in body["comments"]] == ["Same here"]
    assert Comment.objects.count() == 1


def test_another_users_issue_is_404(alice, bob):
    _, stored = seed(alice)
    assert client_for(bob).get(f"/api/v1/issues/{stored['1'].id}").status_code == 404


def test_deleted_issues_are_hidden_unless_asked_for(alice):
    _, stored = seed(alice)
    issues_mark_deleted(owner_id=alice.pk, issues=[stored["2"]], source="sync")
    client = client_for(alice)
    assert client.get("/api/v1/issues").json()["count"] == 1
    assert client.get("/api/v1/issues?include_deleted=true").json()["count"] == 2
