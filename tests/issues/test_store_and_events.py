from datetime import UTC, datetime, timedelta

import pytest

from apps.issues.events import issue_events_deliver_now, issue_events_undelivered
from apps.issues.models import Comment, Issue, IssueEvent, IssueEventDelivery
from apps.issues.services import comments_store, issues_mark_deleted, issues_store
from apps.trackers.clients.base import RemoteComment, RemoteIssue
from tests.trackers.factories import project_for

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def remote(number=1, **changes) -> RemoteIssue:
    fields = {
        "external_id": f"id-{number}",
        "key": f"#{number}",
        "number": number,
        "title": f"Issue {number}",
        "description": "Steps to reproduce",
        "labels": ["bug"],
        "updated_at": T0,
        "created_at": T0,
    }
    return RemoteIssue(**{**fields, **changes})


def events(kind=None):
    queryset = IssueEvent.objects.order_by("id")
    return list(queryset.filter(kind=kind) if kind else queryset)


def test_a_new_issue_is_stored_with_one_created_event(alice):
    project = project_for(alice)
    stored = issues_store(project=project, remote_issues=[remote()], source="sync")
    issue = Issue.objects.get()
    assert stored["id-1"].pk == issue.pk and issue.title == "Issue 1" and issue.labels == ["bug"]
    [event] = events()
    assert (event.kind, event.source, event.owner_id, event.issue_id) == ("created", "sync", alice.pk, issue.pk)


def test_seeing_the_same_state_again_makes_no_event(alice):
    project = project_for(alice)
    issues_store(project=project, remote_issues=[remote()], source="sync")
    issues_store(project=project, remote_issues=[remote()], source="webhook")
    assert len(events()) == 1


def test_a_newer_timestamp_alone_is_stored_without_an_event(alice):
    project = project_for(alice)
    issues_store(project=project, remote_issues=[remote()], source="sync")
    issues_store(project=project, remote_issues=[remote(updated_at=T0 + timedelta(hours=1))], source="sync")
    assert Issue.objects.get().updated_at_tracker == T0 + timedelta(hours=1)
    assert len(events()) == 1


@pytest.mark.parametrize(
    ("change", "kind"),
    [
        ({"state": "closed"}, "closed"),
        ({"labels": ["bug", "urgent"]}, "labelled"),
        ({"title": "Renamed", "labels": []}, "updated"),
        ({"moved_to": "https://github.com/acme/other/issues/3"}, "moved"),
    ],
)
def test_each_change_is_one_event_of_its_kind(alice, change, kind):
    project = project_for(alice)
    issues_store(project=project, remote_issues=[remote()], source="sync")
    issues_store(project=project, remote_issues=[remote(**change)], source="webhook")
    [event] = events(kind)
    assert event.source == "webhook"
    for field, value in change.items():
        assert event.changes[field][1] == value


def test_reopening_is_its_own_kind(alice):
    project = project_for(alice)
    issues_store(project=project, remote_issues=[remote(state="closed")], source="sync")
    issues_store(project=project, remote_issues=[remote(state="open")], source="sync")
    assert events("reopened")[0].changes["state"] == ["closed", "open"]


def test_comments_are_stored_once_and_edits_are_events(alice):
    project = project_for(alice)
    issue = issues_store(project=project, remote_issues=[remote()], source="sync")["id-1"]
    comment = RemoteComment(external_id="c1", body="First!", author="bob", created_at=T0)
    assert comments_store(owner_id=alice.pk, comments=[(issue, comment)], source="sync") == 1
    assert comments_store(owner_id=alice.pk, comments=[(issue, comment)], source="sync") == 0
    edited = RemoteComment(external_id="c1", body="First, edited", author="bob", created_at=T0)
    assert comments_store(owner_id=alice.pk, comments=[(issue, edited)], source="webhook") == 1
    assert Comment.objects.get().body == "First, edited"
    assert [e.changes["edited"] for e in events("commented")] == [False, True]


def test_deleted_issues_are_kept_marked_and_come_back_if_seen_again(alice):
    project = project_for(alice)
    issues_store(project=project, remote_issues=[remote()], source="sync")
    issues_mark_deleted(owner_id=alice.pk, issues=list(Issue.objects.all()), source="sync")
    assert Issue.objects.get().deleted_at is not None
    issues_store(project=project, remote_issues=[remote()], source="sync")
    assert Issue.objects.get().deleted_at is None
    assert [e.kind for e in events()] == ["created", "deleted", "updated"]


def test_delivery_is_recorded_per_consumer_and_not_repeated(alice):
    project = project_for(alice)
    issues_store(project=project, remote_issues=[remote(1), remote(2)], source="sync")
    ids = [event.id for event in events()]
    issue_events_deliver_now(ids)
    issue_events_deliver_now(ids)
    assert IssueEventDelivery.objects.filter(consumer="activity").count() == 2


def test_the_sweep_finds_events_left_undelivered(alice):
    project = project_for(alice)
    issues_store(project=project, remote_issues=[remote(1), remote(2)], source="sync")
    first, second = events()
    IssueEvent.objects.update(created_at=T0)
    issue_events_deliver_now([first.id])
    assert issue_events_undelivered() == [second.id]
