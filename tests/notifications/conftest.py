"""Loopback fakes of the services notifications reach, a sample notice, and waiting for the worker."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from apps.notifications.channels import ApprovalNotice
from apps.notifications.models import DeliveryStatus, NotificationDelivery
from tests.fakes.chat import FakeMattermost, FakeSlack
from tests.fakes.push_proxy import FakePushProxy
from tests.fakes.webhook_receiver import FakeWebhookReceiver


def _running(fake):
    fake.start()
    return fake


@pytest.fixture
def fake_slack():
    fake = _running(FakeSlack())
    yield fake
    fake.stop()


@pytest.fixture
def fake_mattermost():
    fake = _running(FakeMattermost())
    yield fake
    fake.stop()


@pytest.fixture
def fake_push_proxy(settings):
    fake = _running(FakePushProxy())
    settings.PUSH_PROXY_URL = fake.proxy_url
    settings.PUSH_PROXY_API_KEY = fake.api_key
    yield fake
    fake.stop()


@pytest.fixture
def webhook_receiver():
    fake = _running(FakeWebhookReceiver())
    yield fake
    fake.stop()


@pytest.fixture(autouse=True)
def _quick_retries(settings):
    """Backoff as in production, only shorter, so retry tests take milliseconds."""
    settings.NOTIFICATION_HTTP_BACKOFF_SECONDS = 0.01
    settings.NOTIFICATION_HTTP_TIMEOUT_SECONDS = 2.0


def make_notice(**changes) -> ApprovalNotice:
    values = {
        "request_id": "3f1c9a52-8f0e-4a8e-9a57-0d3f6a1b2c4d",
        "requester_name": "Ana Agent",
        "requester_email": "ana@example.com",
        "tool_name": "delete_branch",
        "source_label": "GitHub MCP",
        "arguments": {"repo": "acme/web", "branch": "release/2026-11", "force": True},
        "justification": "The release branch was merged and tagged; cleaning up.",
        "client_name": "Claude Code",
        "expires_at": datetime(2026, 11, 25, 9, 0, tzinfo=UTC),
        "approve_url": "https://preloop.example/approval/3f1c9a52/decide?token=approve-tok&approve=1",
        "decline_url": "https://preloop.example/approval/3f1c9a52/decide?token=decline-tok&approve=0",
        "detail_url": "https://preloop.example/approvals/3f1c9a52",
    }
    return ApprovalNotice(**{**values, **changes})


@pytest.fixture
def notice() -> ApprovalNotice:
    return make_notice()


def deliveries_settled(deliveries, timeout: float = 30.0) -> list[NotificationDelivery]:
    """Wait until the worker has finished every delivery given; returns them fresh from the database."""
    ids = [delivery.id for delivery in deliveries]
    deadline = time.monotonic() + timeout
    while True:
        rows = list(NotificationDelivery.objects.filter(id__in=ids))
        if len(rows) == len(ids) and all(row.status != DeliveryStatus.QUEUED for row in rows):
            order = {delivery_id: index for index, delivery_id in enumerate(ids)}
            return sorted(rows, key=lambda row: order[row.id])
        if time.monotonic() > deadline:
            raise AssertionError(f"deliveries still queued after {timeout}s: {[(r.channel, r.status) for r in rows]}")
        time.sleep(0.05)


def in_the_future(seconds: int = 600) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)
