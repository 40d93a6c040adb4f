"""Issue references as people write them, and what the audit keeps of arguments."""

import pytest

from apps.issues.models import Issue
from apps.issues.references import IssueReferenceInvalid, issue_reference_resolve
from apps.mcp_proxy.audit import arguments_digest, arguments_redact
from tests.trackers.factories import tracker_for

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("reference", ["acme/api#1", "ACME/API#1", "  acme/api#1 ", "#1", "1"])
def test_an_issue_is_found_by_project_and_number(alice, synced_github, reference):
    assert issue_reference_resolve(user=alice, reference=reference).title == "Login fails on Safari"


def test_an_issue_is_found_by_its_url_and_its_id(alice, synced_github):
    issue = Issue.objects.get()
    assert issue_reference_resolve(user=alice, reference=issue.url + "/").id == issue.id
    assert issue_reference_resolve(user=alice, reference=str(issue.id)).id == issue.id


def test_a_jira_key_is_found(alice, fake_jira_cloud):
    fake_jira_cloud.add_project("PROJ", "Project")
    fake_jira_cloud.add_issue("PROJ", "Checkout times out")
    from apps.trackers.sync import tracker_sync

    tracker = tracker_for(alice, name="Jira", tracker_type="jira", url=fake_jira_cloud.url,
                          username="ana@acme.com", api_token="jira-token")  # fmt: skip
    tracker_sync(tracker=tracker)
    assert issue_reference_resolve(user=alice, reference="proj-1").title == "Checkout times out"


def test_another_users_issue_is_not_found(bob, synced_github):
    issue = Issue.objects.get()
    for reference in ("acme/api#1", str(issue.id), issue.url):
        with pytest.raises(Issue.DoesNotExist):
            issue_reference_resolve(user=bob, reference=reference)


def test_an_unreadable_reference_says_how_to_write_one(alice, synced_github):
    with pytest.raises(IssueReferenceInvalid, match="acme/api#42"):
        issue_reference_resolve(user=alice, reference="the login bug")


def test_secrets_are_redacted_by_name_and_by_shape():
    arguments = {
        "issue": "acme/api#1",
        "password": "hunter2",
        "config": {"GitHub_Token": "abc", "nested": [{"api-key": "k"}]},
        "comment": "use ghp_" + "a" * 36 + " or Authorization: Bearer abcdefghijkl please",
        "count": 3,
    }
    redacted = arguments_redact(arguments)
    assert redacted["issue"] == "acme/api#1" and redacted["count"] == 3
    assert redacted["password"] == redacted["config"]["GitHub_Token"] == "[REDACTED]"
    assert redacted["config"]["nested"] == [{"api-key": "[REDACTED]"}]
    assert redacted["comment"] == "use [REDACTED] or Authorization: Bearer [REDACTED] please"


def test_the_digest_is_of_canonical_json_whatever_the_key_order():
    assert arguments_digest({"b": 1, "a": "é"}) == arguments_digest({"a": "é", "b": 1})
    assert arguments_digest({"a": 1}) != arguments_digest({"a": 2})
    assert len(arguments_digest({})) == 64
