"""Events leave only after commit: the waiting call's group message and the approvals topic of everyone named."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from apps.approvals.services import approval_request_decide, approval_request_group, approval_requests_expire
from apps.notifications.topics import user_group
from tests.approvals.conftest import quorum_of_two, request_for

pytestmark = pytest.mark.django_db(transaction=True)


class Listener:
    """A channel on the real channel layer, joined to some groups, as a waiting call or a WebSocket would be."""

    def __init__(self, *groups: str):
        self.layer = get_channel_layer()
        self.channel = async_to_sync(self.layer.new_channel)()
        for group in groups:
            async_to_sync(self.layer.group_add)(group, self.channel)

    def receive(self, timeout: float = 3.0) -> dict:
        async def receive():
            return await asyncio.wait_for(self.layer.receive(self.channel), timeout)

        return async_to_sync(receive)()


def test_the_waiting_group_hears_the_end_only_after_commit(alice):
    request, _ = request_for(alice)
    listener = Listener(approval_request_group(request.id))
    with pytest.raises(RuntimeError), transaction.atomic():  # a decision rolled back tells nobody
        approval_request_decide(request=request, approver=alice, approve=False)
        raise RuntimeError("rolled back")
    approval_request_decide(request=request, approver=alice, approve=True)
    assert listener.receive() == {"type": "approval.finished", "request_id": str(request.id), "status": "approved"}


def test_an_expiry_reaches_the_waiting_group(alice):
    from django.utils import timezone

    request, _ = request_for(alice)
    listener = Listener(approval_request_group(request.id))
    approval_requests_expire(now=timezone.now() + timezone.timedelta(seconds=601))
    assert listener.receive()["status"] == "expired"


def test_the_requester_and_every_approver_get_the_events_on_their_approvals_topic(alice, bob, charlie):
    bobs, alices = Listener(user_group(bob.pk)), Listener(user_group(alice.pk))
    request, _ = quorum_of_two(alice, bob, charlie)
    for listener in (bobs, alices):
        message = listener.receive()
        assert message["type"] == "user.event"
        event = message["event"]
        assert (event["topic"], event["event"]) == ("approvals", "approval_request")
        assert (
            event["data"]["request_id"] == str(request.id) and event["data"]["arguments"]["api_token"] == "[REDACTED]"
        )
    approval_request_decide(request=request, approver=charlie, approve=False, comment="no")
    event = bobs.receive()["event"]
    assert (event["event"], event["data"]["status"], event["data"]["comment"]) == (
        "approval_decision",
        "declined",
        "no",
    )
