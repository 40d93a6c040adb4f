"""The Jira client and sync against loopback Jira Cloud (REST v3, ADF) and Data Center (REST v2, wiki)."""

from datetime import timedelta

import pytest

from apps.issues.models import Comment, Issue
from apps.trackers.clients.base import IssueDraft, TrackerAuthError, TrackerValidationError
from apps.trackers.clients.jira import JiraClient
from apps.trackers.models import Organization
from apps.trackers.sync import tracker_sync
from tests.trackers.factories import tracker_for
from tests.trackers.test_webhooks import deliver

pytestmark = pytest.mark.django_db


@pytest.fixture
def cloud(fake_jira_cloud):
    fake_jira_cloud.add_project("PROJ", "Project")
    return fake_jira_cloud


@pytest.fixture
def server(fake_jira_server):
    fake_jira_server.add_project("OPS", "Operations")
    return fake_jira_server


def cloud_client(fake, **options) -> JiraClient:
    return JiraClient(base_url=fake.url, username="ana@acme.com", token="jira-token", **options)


def server_client(fake, **options) -> JiraClient:
    return JiraClient(base_url=fake.url, token="jira-pat", **options)


class TestCloud:
    def test_it_knows_it_is_cloud_and_reports_the_project(self, cloud):
        cloud.add_issue("PROJ", "One")
        jira = cloud_client(cloud)
        report = jira.test_connection(project="PROJ")
        assert jira.cloud and report.ok and report.account == "ana@acme.com" and report.project_name == "Project"

    def test_a_wrong_token_is_an_auth_error(self, cloud):
        with pytest.raises(TrackerAuthError):
            JiraClient(base_url=cloud.url, username="ana@acme.com", token="wrong", cloud=True).test_connection()

    def test_it_pages_the_enhanced_search_and_converts_adf(self, cloud):
        adf = {
            "type": "doc",
            "version": 1,
            "content": [
                {"type": "paragraph", "content": [{"type": "text", "text": "Bold", "marks": [{"type": "strong"}]}]},
                {
                    "type": "bulletList",
                    "content": [
                        {
                            "type": "listItem",
                            "content": [{"type": "paragraph", "content": [{"type": "text", "text": "item"}]}],
                        }
                    ],
                },
            ],
        }
        cloud.add_issue("PROJ", "Rich", description=adf, labels=["ui"])
        for index in range(130):
            cloud.add_issue("PROJ", f"Issue {index}")
        issues = list(cloud_client(cloud).iter_issues(cloud.url, "PROJ"))
        assert len(issues) == 131
        rich = issues[0]
        assert "**Bold**" in rich.description and "item" in rich.description and rich.labels == ["ui"]
        searches = [r for r in cloud.requests if r.path.endswith("/rest/api/3/search/jql")]
        assert len(searches) == 2 and "nextPageToken" in searches[1].json()

    def test_since_becomes_a_jql_updated_clause(self, cloud):
        first = cloud.add_issue("PROJ", "Old")
        cloud.clock.advance(600)
        cloud.add_issue("PROJ", "New")
        jira = cloud_client(cloud)
        newest = list(jira.iter_issues(cloud.url, "PROJ"))[-1].updated_at
        changed = list(jira.iter_issues(cloud.url, "PROJ", since=newest - timedelta(seconds=1)))
        assert [issue.title for issue in changed] == ["New"]
        assert first["key"] not in [issue.key for issue in changed]

    def test_creating_converts_markdown_to_adf_and_transitions_status(self, cloud):
        jira = cloud_client(cloud)
        created = jira.create_issue(
            cloud.url, "PROJ", IssueDraft(title="Add SSO", description="Use **SAML**", labels=["auth"], priority="High")
        )
        stored = cloud.issue(created.key)["fields"]
        assert stored["description"]["type"] == "doc" and stored["priority"]["name"] == "High"
        done = jira.update_issue(cloud.url, "PROJ", created.key, IssueDraft(status="Done"))
        assert done.state == "closed" and done.status == "Done"
        comment = jira.add_comment(cloud.url, "PROJ", created.key, "Shipped in `v2`")
        assert "v2" in comment.body

    def test_an_impossible_status_names_the_possible_ones(self, cloud):
        key = cloud.add_issue("PROJ", "Stuck")["key"]
        with pytest.raises(TrackerValidationError, match="possible"):
            cloud_client(cloud).update_issue(cloud.url, "PROJ", key, IssueDraft(status="Teleported"))

    def test_sync_stores_issues_with_comments_and_detects_deletions(self, alice, cloud):
        key = cloud.add_issue("PROJ", "With a comment")["key"]
        cloud.add_comment(key, "Looks good")
        gone = cloud.add_issue("PROJ", "Soon deleted")["key"]
        tracker = tracker_for(
            alice, tracker_type="jira", url=cloud.url, username="ana@acme.com", api_token="jira-token"
        )
        summary = tracker_sync(tracker=tracker)
        assert summary.ok, summary.errors
        assert Organization.objects.get(tracker=tracker).identifier == cloud.url.split("//")[1]
        issue = Issue.objects.get(key=key)
        assert Comment.objects.get(issue=issue).body.strip() == "Looks good"
        cloud.delete_issue(gone)
        assert tracker_sync(tracker=tracker, full=True).ok
        assert Issue.objects.get(key=gone).deleted_at is not None


class TestServer:
    def test_it_knows_it_is_server_and_uses_v2_with_a_personal_access_token(self, server):
        server.add_issue("OPS", "Disk full", description="h2. Steps\n*bold* text")
        jira = server_client(server)
        [issue] = list(jira.iter_issues("", "OPS"))
        assert not jira.cloud
        assert "## Steps" in issue.description and "**bold**" in issue.description
        assert all("/rest/api/2/" in r.path for r in server.requests if "/rest/api/" in r.path)
        assert server.requests[-1].headers["authorization"] == "Bearer jira-pat"

    def test_creating_on_server_writes_wiki_markup(self, server):
        created = server_client(server).create_issue(
            "", "OPS", IssueDraft(title="Rotate logs", description="Use **logrotate**")
        )
        assert server.issue(created.key)["fields"]["description"] == "Use *logrotate*"


def test_jira_deliveries_are_verified_and_fetched(alice, fake_jira_cloud):
    fake_jira_cloud.add_project("PROJ")
    key = fake_jira_cloud.add_issue("PROJ", "Original")["key"]
    tracker = tracker_for(
        alice, tracker_type="jira", url=fake_jira_cloud.url, username="ana@acme.com", api_token="jira-token"
    )
    tracker_sync(tracker=tracker)
    fake_jira_cloud.update_issue(key, summary="Renamed in Jira")
    payload = fake_jira_cloud.issue_event_payload(key, "jira:issue_updated")
    assert deliver(tracker, *fake_jira_cloud.webhook(payload, tracker.webhook_secret)).status_code == 200
    assert Issue.objects.get(key=key).title == "Renamed in Jira"
    assert deliver(tracker, *fake_jira_cloud.webhook(payload, "wrong")).status_code == 403
    deleted = fake_jira_cloud.issue_event_payload(key, "jira:issue_deleted")
    fake_jira_cloud.delete_issue(key)
    assert deliver(tracker, *fake_jira_cloud.webhook(deleted, tracker.webhook_secret)).status_code == 200
    assert Issue.objects.get(key=key).deleted_at is not None
