"""The approvals inbox in a real browser on daphne: a new request appears live, then is approved in place."""

from __future__ import annotations

import threading

import pytest
from django.db import connections
from playwright.sync_api import expect

from apps.approvals.models import ApprovalRequest, ApprovalStatus
from tests.approvals.conftest import policy_for, request_for, resolved
from tests.conftest import PASSWORD
from tests.mcp_proxy.servers import DaphneServer


def sign_in(page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/login")
    page.get_by_label("Email or username").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{base_url}/")


@pytest.fixture
def daphne(transactional_db):
    """The ASGI server (HTTP and the unified WebSocket), as `preloop web` runs it, on the test database."""
    server = DaphneServer().start()
    yield server
    server.stop()


@pytest.mark.browser
def test_bob_sees_a_request_arrive_and_approves_it(page, daphne, alice, bob):
    sign_in(page, daphne.url, email=bob.email)
    page.goto(f"{daphne.url}/approvals")
    expect(page.get_by_text("Nothing waits for you.")).to_be_visible()

    # Made in another thread, as a server process would: Playwright runs an event loop in this one, where the
    # events' sync publishing (async_to_sync) cannot run.
    made = []
    maker = threading.Thread(target=lambda: made.append(request_for(
        alice, policy=resolved(alice, policy_for(alice, approver_user_ids=[bob.pk])))[0]))  # fmt: skip
    maker.start()
    maker.join(10)
    connections.close_all()
    [request] = made
    card = page.locator(f"#approval-{request.id}")
    expect(card).to_be_visible(timeout=10_000)  # pushed over the WebSocket, no reload
    card.get_by_label("Comment (optional)").fill("go ahead")
    card.get_by_role("button", name="Approve").click()
    expect(page.locator(f"#approval-{request.id} .badge")).to_have_text("Approved")
    assert ApprovalRequest.objects.get(pk=request.pk).status == ApprovalStatus.APPROVED
