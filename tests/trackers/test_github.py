"""The GitHub client and sync against a loopback GitHub that speaks REST v3."""

import time

import pytest

from apps.issues.models import Comment, Issue, IssueEvent
from apps.trackers.clients.base import IssueDraft, TrackerAuthError, TrackerNotFound, TrackerRateLimited
from apps.trackers.clients.github import GitHubClient
from apps.trackers.models import Organization, Project, Tracker
from apps.trackers.sync import tracker_sync
from tests.trackers.factories import tracker_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def github(fake_github):
    fake_github.add_org("acme")
    fake_github.add_repo("acme", "api")
    return fake_github


def client(fake, **options) -> GitHubClient:
    return GitHubClient(base_url=fake.url, token=options.pop("token", fake.token), **options)


def gh_tracker(user, fake) -> Tracker:
    return tracker_for(user, url=fake.url, api_token=fake.token)


class TestClient:
    def test_it_reports_the_account_and_its_scopes(self, github):
        report = client(github).test_connection(organization="acme", project="api")
        assert report.ok and report.account == "octocat" and report.scopes == ("repo", "read:org")
        assert report.project_name == "acme/api"

    def test_a_wrong_token_is_an_auth_error_with_a_useful_message(self, github):
        with pytest.raises(TrackerAuthError, match="rejected the token"):
            client(github, token="ghp_wrong").test_connection()

    def test_a_private_repo_without_the_repo_scope_is_explained(self, fake_github):
        fake_github.scopes = ("read:org",)
        fake_github.add_repo("acme", "secret", private=True)
        with pytest.raises(TrackerNotFound, match="lacks the `repo` scope"):
            client(fake_github).test_connection(organization="acme", project="secret")

    def test_it_pages_through_issues_and_leaves_out_pull_requests(self, github):
        for index in range(130):
            github.add_issue("acme", "api", f"Issue {index}", pull_request=index % 10 == 0)
        issues = list(client(github).iter_issues("acme", "api"))
        assert len(issues) == 117
        assert all(issue.key.startswith("#") for issue in issues)
        pages = [r for r in github.requests if r.path.endswith("/issues")]
        assert len(pages) == 2 and all(page.arg("per_page") == "100" for page in pages)

    def test_since_lists_only_what_changed(self, github):
        first = github.add_issue("acme", "api", "Old")
        github.add_issue("acme", "api", "New")
        newest = list(client(github).iter_issues("acme", "api"))[-1].updated_at
        github.update_issue("acme", "api", first["number"], title="Old, edited")
        changed = list(client(github).iter_issues("acme", "api", since=newest))
        assert changed[-1].title == "Old, edited"
        assert all(issue.updated_at >= newest for issue in changed) and len(changed) <= 2

    def test_an_unchanged_listing_costs_a_304(self, github):
        github.add_issue("acme", "api", "Only")
        list(client(github).iter_issues("acme", "api"))
        list(client(github).iter_issues("acme", "api"))
        listing = [r for r in github.requests if r.path == "/repos/acme/api/issues"]
        assert "if-none-match" not in listing[0].headers and "if-none-match" in listing[1].headers

    def test_it_waits_out_a_secondary_rate_limit(self, github):
        github.add_issue("acme", "api", "One")
        github.secondary_rate_limit_next(retry_after=1)
        waits = []

        def sleep(seconds):
            waits.append(seconds)
            time.sleep(seconds)

        assert [issue.title for issue in client(github, sleep=sleep).iter_issues("acme", "api")] == ["One"]
        assert waits == [1.0]  # GitHub's Retry-After, not a guess

    def test_an_exhausted_rate_limit_beyond_the_wait_budget_is_reported(self, github):
        github.exhaust_rate_limit(reset_in_seconds=3600)
        with pytest.raises(TrackerRateLimited, match="rate limit"):
            client(github, max_wait_seconds=1).test_connection()

    def test_it_gets_an_issue_with_its_comments(self, github):
        issue = github.add_issue("acme", "api", "With comments", body="Body", labels=["bug"])
        github.add_comment("acme", "api", issue["number"], "First")
        github.add_comment("acme", "api", issue["number"], "Second")
        remote = client(github).get_issue("acme", "api", f"#{issue['number']}")
        assert (remote.title, remote.description, remote.labels) == ("With comments", "Body", ["bug"])
        assert [comment.body for comment in remote.comments] == ["First", "Second"]

    def test_creates_updates_and_comments(self, github):
        gh = client(github)
        created = gh.create_issue(
            "acme", "api", IssueDraft(title="Login fails", description="Steps", labels=["bug"], priority="High")
        )
        assert github.issue("acme", "api", created.number)["title"] == "Login fails"
        assert sorted(created.labels) == ["bug", "priority: High"]
        updated = gh.update_issue("acme", "api", created.key, IssueDraft(status="closed", title="Login fails on SSO"))
        assert updated.state == "closed" and updated.title == "Login fails on SSO"
        comment = gh.add_comment("acme", "api", created.key, "Fixed in #2")
        assert comment.body == "Fixed in #2"
        assert [c["body"] for c in github.comments("acme", "api", created.number)] == ["Fixed in #2"]

    def test_a_validation_error_names_the_problem(self, github):
        from apps.trackers.clients.base import TrackerValidationError

        with pytest.raises(TrackerValidationError, match="GitHub rejected"):
            client(github).create_issue("acme", "api", IssueDraft(title=""))


class TestSync:
    def test_a_first_sync_discovers_projects_and_stores_issues_and_comments(self, alice, github):
        issue = github.add_issue("acme", "api", "Crash on start", labels=["bug"])
        github.add_comment("acme", "api", issue["number"], "Same here")
        github.add_issue("acme", "api", "A pull request", pull_request=True)
        summary = tracker_sync(tracker=gh_tracker(alice, github))
        assert summary.ok, summary.errors
        assert set(Organization.objects.values_list("identifier", flat=True)) == {"octocat", "acme"}
        project = Project.objects.get(identifier="api")
        stored = Issue.objects.get(project=project)
        assert (stored.key, stored.title, stored.labels, stored.state) == (
            f"#{issue['number']}",
            "Crash on start",
            ["bug"],
            "open",
        )
        assert Comment.objects.get(issue=stored).body == "Same here"
        assert project.issues_synced_until is not None
        tracker = Tracker.objects.get()
        assert tracker.last_sync_status == "ok" and tracker.last_synced_at and tracker.last_error == ""

    def test_a_second_sync_is_incremental_and_records_changes_once(self, alice, github):
        first = github.add_issue("acme", "api", "First")
        github.add_issue("acme", "api", "Second")
        tracker = gh_tracker(alice, github)
        tracker_sync(tracker=tracker)
        github.update_issue("acme", "api", first["number"], state="closed")
        github.requests.clear()
        tracker_sync(tracker=tracker)
        listing = [r for r in github.requests if r.path.endswith("/issues")]
        assert listing and all(r.arg("since") for r in listing)
        assert Issue.objects.get(number=first["number"]).state == "closed"
        assert list(IssueEvent.objects.values_list("kind", flat=True).order_by("id")) == [
            "created",
            "created",
            "closed",
        ]
        tracker_sync(tracker=tracker)
        assert IssueEvent.objects.count() == 3

    def test_a_failed_page_keeps_what_was_stored_and_the_next_run_continues(self, alice, github):
        for index in range(250):
            github.add_issue("acme", "api", f"Issue {index}")
        tracker = gh_tracker(alice, github)
        # GitHub links later pages as /repositories/{id}/issues: the second page fails on every retry
        github.fail_next(502, times=4, path_contains="/repositories/")
        summary = tracker_sync(tracker=tracker, client=client(github, sleep=lambda seconds: None), batch=100)
        assert not summary.ok and "502" in summary.errors[0]
        assert Issue.objects.count() == 100  # the first batch was committed with its cursor
        project = Project.objects.get(identifier="api")
        assert "502" in project.last_error and Tracker.objects.get().last_sync_status == "error"
        github.requests.clear()
        assert tracker_sync(tracker=tracker).ok
        assert Issue.objects.count() == 250
        resumed = next(r for r in github.requests if r.path.endswith("/issues"))
        assert resumed.arg("since") == project.issues_synced_until.strftime("%Y-%m-%dT%H:%M:%SZ")

    def test_a_full_sync_marks_deleted_and_transferred_issues(self, alice, github):
        github.add_repo("acme", "web")
        gone = github.add_issue("acme", "api", "Will be deleted")
        moving = github.add_issue("acme", "api", "Will move")
        github.add_issue("acme", "api", "Stays")
        tracker = gh_tracker(alice, github)
        tracker_sync(tracker=tracker)
        github.delete_issue("acme", "api", gone["number"])
        github.transfer_issue("acme", "api", moving["number"], "acme", "web")
        summary = tracker_sync(tracker=tracker, full=True)
        assert summary.ok, summary.errors
        api = Project.objects.get(identifier="api")
        deleted = Issue.objects.get(project=api, title="Will be deleted")
        moved = Issue.objects.get(project=api, title="Will move")
        assert deleted.deleted_at is not None and moved.deleted_at is not None
        assert moved.moved_to.endswith("/acme/web/issues/1")
        assert Issue.objects.get(project=api, title="Stays").deleted_at is None
        kinds = dict(
            IssueEvent.objects.filter(issue__project=api, kind__in=["deleted", "moved"]).values_list(
                "issue__title", "kind"
            )
        )
        assert kinds == {"Will be deleted": "deleted", "Will move": "moved"}

    def test_one_failing_tracker_does_not_stop_the_others(self, alice, bob, github, capsys):
        from django.core.management import call_command

        github.add_issue("acme", "api", "Bob sees this")
        tracker_for(alice, url="http://127.0.0.1:9/", api_token="nothing listens here")
        gh_tracker(bob, github)
        with pytest.raises(Exception, match="1 of 2 trackers had errors"):
            call_command("sync", "scan", "all")
        assert Issue.objects.filter(project__organization__tracker__owner=bob).count() == 1
        output = capsys.readouterr().out
        assert "errors" in output and "ok" in output
        assert Tracker.objects.get(owner=alice).last_sync_status == "error"


def test_a_second_sync_of_the_same_tracker_waits_its_turn(alice, github):
    from django.core.cache import cache

    github.add_issue("acme", "api", "One")
    tracker = gh_tracker(alice, github)
    cache.add(f"tracker-sync-lock:{tracker.pk}", "another process", timeout=60)
    summary = tracker_sync(tracker=tracker)
    assert summary.skipped and not Issue.objects.exists()
    cache.delete(f"tracker-sync-lock:{tracker.pk}")
    assert tracker_sync(tracker=tracker).ok and Issue.objects.count() == 1
    assert cache.get(f"tracker-sync-lock:{tracker.pk}") is None
