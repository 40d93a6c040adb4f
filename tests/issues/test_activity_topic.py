import pytest
from asgiref.sync import sync_to_async
from django.db import transaction

from apps.issues.events import issue_events_deliver_now
from apps.issues.models import IssueEvent
from apps.issues.services import issues_store
from apps.trackers.clients.base import RemoteIssue
from tests.notifications.test_unified_websocket import connected_as, subscribe
from tests.trackers.factories import project_for

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_stored_change_reaches_the_owners_activity_topic_and_nobody_elses():
    alice_id, alice = await connected_as("alice@example.com")
    _bob_id, bob = await connected_as("bob@example.com")
    await subscribe(alice, "activity")
    await subscribe(bob, "activity")

    @sync_to_async
    def store_and_deliver():
        from apps.accounts.models import User

        project = project_for(User.objects.get(pk=alice_id))
        with transaction.atomic():
            issues_store(
                project=project, remote_issues=[RemoteIssue(external_id="1", key="#1", title="Crash")], source="webhook"
            )
        issue_events_deliver_now(list(IssueEvent.objects.values_list("id", flat=True)))

    await store_and_deliver()
    event = await alice.receive_json_from()
    assert (event["topic"], event["event"]) == ("activity", "issue_created")
    assert event["data"]["key"] == "#1" and event["data"]["source"] == "webhook"
    assert await bob.receive_nothing(timeout=0.3)
    await alice.disconnect()
    await bob.disconnect()
