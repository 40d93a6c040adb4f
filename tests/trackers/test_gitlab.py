"""The GitLab client and sync against a loopback GitLab that speaks REST v4."""

import pytest

from apps.issues.models import Comment, Issue
from apps.trackers.clients.base import IssueDraft, TrackerAuthError, TrackerNotFound, TrackerPermissionError
from apps.trackers.clients.gitlab import GitLabClient
from apps.trackers.models import Project
from apps.trackers.sync import tracker_sync
from tests.trackers.factories import tracker_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def gitlab(fake_gitlab):
    fake_gitlab.add_group("acme/platform")
    fake_gitlab.add_project("acme/platform", "api")
    return fake_gitlab


def client(fake, **options) -> GitLabClient:
    return GitLabClient(base_url=fake.url, token=options.pop("token", fake.token), **options)


def test_it_reports_the_account_scopes_and_a_nested_project(gitlab):
    report = client(gitlab).test_connection(organization="acme", project="platform/api")
    assert report.ok and report.account == "root" and report.scopes == ("api",)
    assert "api" in report.project_name


def test_a_wrong_token_is_an_auth_error(gitlab):
    with pytest.raises(TrackerAuthError):
        client(gitlab, token="glpat-wrong").test_connection()


def test_an_unknown_project_is_not_found(gitlab):
    with pytest.raises(TrackerNotFound, match="acme/nothing"):
        client(gitlab).test_connection(organization="acme", project="nothing")


def test_a_read_only_token_cannot_write_and_says_which_scope(fake_gitlab):
    fake_gitlab.scopes = ("read_api",)
    fake_gitlab.add_group("acme")
    fake_gitlab.add_project("acme", "api")
    with pytest.raises(TrackerPermissionError, match="`api` scope"):
        client(fake_gitlab).create_issue("acme", "api", IssueDraft(title="x"))


def test_it_discovers_groups_and_projects_with_their_paths(gitlab):
    gl = client(gitlab)
    assert "acme" in [org.identifier for org in gl.list_organizations()]
    assert [project.identifier for project in gl.list_projects("acme")] == ["platform/api"]


def test_it_pages_issues_and_reads_notes_without_system_notes(gitlab):
    for index in range(120):
        gitlab.add_issue("acme/platform/api", f"Issue {index}", labels=["bug", "priority::high"])
    gitlab.add_note("acme/platform/api", 1, "A real comment")
    gitlab.add_note("acme/platform/api", 1, "added ~bug label", system=True)
    gl = client(gitlab)
    issues = list(gl.iter_issues("acme", "platform/api"))
    assert len(issues) == 120 and issues[0].priority == "high"
    remote = gl.get_issue("acme", "platform/api", "#1")
    assert [comment.body for comment in remote.comments] == ["A real comment"]


def test_creates_updates_closes_and_comments(gitlab):
    gitlab.add_user("dana")
    gl = client(gitlab)
    created = gl.create_issue(
        "acme", "platform/api", IssueDraft(title="Slow search", labels=["perf"], assignee="dana", priority="medium")
    )
    assert created.assignee == "dana" and set(created.labels) == {"perf", "priority::medium"}
    closed = gl.update_issue("acme", "platform/api", created.key, IssueDraft(status="closed"))
    assert closed.state == "closed"
    gl.add_comment("acme", "platform/api", created.key, "Done")
    assert [note["body"] for note in gitlab.notes("acme/platform/api", created.number)] == ["Done"]


def test_sync_stores_issues_comments_and_moves(alice, gitlab):
    gitlab.add_project("acme/platform", "web")
    issue = gitlab.add_issue("acme/platform/api", "Broken link", description="See /docs")
    gitlab.add_note("acme/platform/api", issue["iid"], "Confirmed")
    tracker = tracker_for(alice, tracker_type="gitlab", url=gitlab.url, api_token=gitlab.token)
    summary = tracker_sync(tracker=tracker)
    assert summary.ok, summary.errors
    project = Project.objects.get(identifier="platform/api")
    stored = Issue.objects.get(project=project)
    assert stored.description == "See /docs" and Comment.objects.get(issue=stored).body == "Confirmed"
    gitlab.move_issue("acme/platform/api", issue["iid"], "acme/platform/web")
    assert tracker_sync(tracker=tracker).ok
    stored.refresh_from_db()
    assert stored.state == "closed" and stored.moved_to
