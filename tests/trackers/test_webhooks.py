"""Webhook deliveries from loopback GitHub, GitLab and Jira, through the public endpoint."""

import pytest
from rest_framework.test import APIClient

from apps.issues.models import Comment, Issue, IssueEvent
from apps.trackers.models import Tracker
from apps.trackers.sync import tracker_sync
from tests.trackers.factories import tracker_for

pytestmark = pytest.mark.django_db


def deliver(tracker: Tracker, headers: dict, body: bytes):
    extra = {
        f"HTTP_{name.upper().replace('-', '_')}": value
        for name, value in headers.items()
        if name.lower() != "content-type"
    }
    return APIClient().post(
        f"/api/v1/webhooks/{tracker.tracker_type}/{tracker.id}", data=body, content_type="application/json", **extra
    )


@pytest.fixture
def synced_github(alice, fake_github):
    fake_github.add_org("acme")
    fake_github.add_repo("acme", "api")
    issue = fake_github.add_issue("acme", "api", "Original title")
    tracker = tracker_for(alice, url=fake_github.url, api_token=fake_github.token)
    tracker_sync(tracker=tracker)
    return tracker, issue["number"]


class TestGitHub:
    def test_a_signed_delivery_updates_the_issue_at_once(self, fake_github, synced_github):
        tracker, number = synced_github
        fake_github.update_issue("acme", "api", number, title="Edited in GitHub", labels=["bug"])
        payload = fake_github.issue_event_payload("acme", "api", number, "edited")
        response = deliver(tracker, *fake_github.webhook("issues", payload, tracker.webhook_secret))
        assert response.status_code == 200, response.json()
        issue = Issue.objects.get(number=number)
        assert (issue.title, issue.labels) == ("Edited in GitHub", ["bug"])
        assert IssueEvent.objects.filter(issue=issue, source="webhook", kind="updated").count() == 1
        tracker.refresh_from_db()
        assert tracker.last_webhook_update is not None

    def test_a_redelivery_changes_nothing(self, fake_github, synced_github):
        tracker, number = synced_github
        fake_github.update_issue("acme", "api", number, state="closed")
        headers, body = fake_github.webhook(
            "issues", fake_github.issue_event_payload("acme", "api", number, "closed"), tracker.webhook_secret
        )
        assert deliver(tracker, headers, body).status_code == 200
        assert deliver(tracker, headers, body).json()["detail"] == "Already processed this delivery."
        assert IssueEvent.objects.filter(kind="closed").count() == 1

    def test_the_same_change_seen_by_webhook_and_poll_is_one_event(self, fake_github, synced_github):
        tracker, number = synced_github
        fake_github.update_issue("acme", "api", number, state="closed")
        deliver(
            tracker,
            *fake_github.webhook(
                "issues", fake_github.issue_event_payload("acme", "api", number, "closed"), tracker.webhook_secret
            ),
        )
        tracker_sync(tracker=tracker)
        assert IssueEvent.objects.filter(kind="closed").count() == 1

    def test_comments_arrive_with_their_issue(self, fake_github, synced_github):
        tracker, number = synced_github
        comment = fake_github.add_comment("acme", "api", number, "Reproduced on 2.1")
        payload = fake_github.comment_event_payload("acme", "api", number, comment["id"])
        assert (
            deliver(tracker, *fake_github.webhook("issue_comment", payload, tracker.webhook_secret)).status_code == 200
        )
        assert Comment.objects.get(external_id=str(comment["id"])).body == "Reproduced on 2.1"

    def test_a_deleted_issue_is_marked(self, fake_github, synced_github):
        tracker, number = synced_github
        payload = fake_github.issue_event_payload("acme", "api", number, "deleted")
        assert deliver(tracker, *fake_github.webhook("issues", payload, tracker.webhook_secret)).status_code == 200
        assert Issue.objects.get(number=number).deleted_at is not None

    def test_a_missing_signature_is_401_and_a_wrong_one_403(self, fake_github, synced_github):
        tracker, number = synced_github
        payload = fake_github.issue_event_payload("acme", "api", number, "edited")
        headers, body = fake_github.webhook("issues", payload, None)
        assert deliver(tracker, headers, body).status_code == 401
        headers, body = fake_github.webhook("issues", payload, "not-the-secret")
        assert deliver(tracker, headers, body).status_code == 403
        assert not IssueEvent.objects.filter(source="webhook").exists()

    def test_a_rotated_secret_refuses_the_old_one(self, alice, fake_github, synced_github):
        tracker, number = synced_github
        old_secret = tracker.webhook_secret
        api = APIClient()
        api.force_authenticate(alice)
        rotated = api.post(f"/api/v1/trackers/{tracker.id}/webhook-secret").json()
        assert rotated["webhook_secret"] != old_secret and rotated["webhook_url"].endswith(str(tracker.id))
        payload = fake_github.issue_event_payload("acme", "api", number, "edited")
        assert deliver(tracker, *fake_github.webhook("issues", payload, old_secret)).status_code == 403
        assert deliver(tracker, *fake_github.webhook("issues", payload, rotated["webhook_secret"])).status_code == 200

    def test_events_preloop_does_not_use_are_accepted_and_ignored(self, fake_github, synced_github):
        tracker, _ = synced_github
        response = deliver(tracker, *fake_github.webhook("star", {"action": "created"}, tracker.webhook_secret))
        assert response.status_code == 202 and "Ignored" in response.json()["detail"]

    def test_a_malformed_body_is_400(self, fake_github, synced_github):
        tracker, _ = synced_github
        headers, _body = fake_github.webhook("issues", {}, tracker.webhook_secret)
        body = b"{not json"
        import hashlib
        import hmac

        headers["X-Hub-Signature-256"] = (
            "sha256=" + hmac.new(tracker.webhook_secret.encode(), body, hashlib.sha256).hexdigest()
        )
        assert deliver(tracker, headers, body).status_code == 400
        headers, body = fake_github.webhook("issues", {"action": "edited"}, tracker.webhook_secret)
        assert deliver(tracker, headers, body).status_code == 400

    def test_an_unknown_organization_is_404(self, fake_github, synced_github):
        tracker, _ = synced_github
        fake_github.add_org("other")
        fake_github.add_repo("other", "lib")
        fake_github.add_issue("other", "lib", "Elsewhere")
        payload = fake_github.issue_event_payload("other", "lib", 1, "opened")
        assert deliver(tracker, *fake_github.webhook("issues", payload, tracker.webhook_secret)).status_code == 404

    def test_an_unknown_tracker_is_404(self, fake_github, synced_github):
        tracker, number = synced_github
        payload = fake_github.issue_event_payload("acme", "api", number, "edited")
        tracker.id = "00000000-0000-0000-0000-000000000000"  # not saved: only the URL changes
        assert deliver(tracker, *fake_github.webhook("issues", payload, tracker.webhook_secret)).status_code == 404

    def test_a_webhook_for_one_users_tracker_never_touches_anothers(self, alice, bob, fake_github, synced_github):
        alice_tracker, number = synced_github
        bob_tracker = tracker_for(bob, url=fake_github.url, api_token=fake_github.token)
        tracker_sync(tracker=bob_tracker)
        fake_github.update_issue("acme", "api", number, title="Changed")
        payload = fake_github.issue_event_payload("acme", "api", number, "edited")
        deliver(alice_tracker, *fake_github.webhook("issues", payload, alice_tracker.webhook_secret))
        titles = dict(Issue.objects.values_list("project__organization__tracker__owner__email", "title"))
        assert titles == {"alice@example.com": "Changed", "bob@example.com": "Original title"}
        # alice's secret does not open bob's tracker
        assert (
            deliver(bob_tracker, *fake_github.webhook("issues", payload, alice_tracker.webhook_secret)).status_code
            == 403
        )


def test_gitlab_issue_hooks_fetch_the_issue_from_the_api(alice, fake_gitlab):
    fake_gitlab.add_group("acme")
    fake_gitlab.add_project("acme", "api")
    issue = fake_gitlab.add_issue("acme/api", "Timeout")
    tracker = tracker_for(alice, tracker_type="gitlab", url=fake_gitlab.url, api_token=fake_gitlab.token)
    tracker_sync(tracker=tracker)
    fake_gitlab.update_issue("acme/api", issue["iid"], state="closed")
    fake_gitlab.add_note("acme/api", issue["iid"], "Closing: fixed")
    payload = fake_gitlab.issue_event_payload("acme/api", issue["iid"], "close")
    assert deliver(tracker, *fake_gitlab.webhook(payload, tracker.webhook_secret)).status_code == 200
    stored = Issue.objects.get(number=issue["iid"])
    assert stored.state == "closed" and Comment.objects.get(issue=stored).body == "Closing: fixed"
    assert deliver(tracker, *fake_gitlab.webhook(payload, "wrong-token")).status_code == 403
    headers, body = fake_gitlab.webhook(payload, None)
    assert deliver(tracker, headers, body).status_code == 401
