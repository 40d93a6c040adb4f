"""A call held for approval through real MCP (daphne, the SDK client): released, refused, timed out, cancelled."""

from __future__ import annotations

import asyncio
import time

import mcp_types
import pytest

from apps.approvals.models import ApprovalRequest
from apps.mcp_proxy import services
from apps.mcp_proxy.configurations.services import RuleInput, tool_configuration_create
from apps.mcp_proxy.models import ToolCall
from tests.conftest import client_for
from tests.mcp_proxy.client import mcp_session
from tests.mcp_proxy.conftest import key_for
from tests.mcp_proxy.factories import policy_with_timeout
from tests.mcp_proxy.upstreams import CANCELLED, WAITING

pytestmark = pytest.mark.django_db(transaction=True)


def guarded_weather(user, upstream, *, timeout_seconds=30, approvers=None, approvals_required=1):
    """The weather server's `echo` and `wait_forever` need approval under a policy of `user`."""
    server = services.mcp_server_create(owner=user, name="Weather", url=upstream.url)
    assert services.mcp_server_scan(server=server), server.last_error
    policy = policy_with_timeout(user, timeout_seconds, approver_user_ids=approvers,
                                 approvals_required=approvals_required)  # fmt: skip
    for tool in ("echo", "wait_forever"):
        tool_configuration_create(owner=user, tool_source=str(server.id), tool_name=tool,
                                  rules=[RuleInput("true", "require_approval", approval_policy_id=policy.id)])  # fmt: skip
    return server


def pending_request(timeout: float = 10.0) -> ApprovalRequest:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        request = ApprovalRequest.objects.filter(status="pending").first()
        if request is not None:
            return request
        time.sleep(0.05)
    raise AssertionError("no approval request was created")


def decide(user, request: ApprovalRequest, verb: str, comment: str = ""):
    response = client_for(user).post(f"/api/v1/approval-requests/{request.id}/{verb}", {"comment": comment},
                                     format="json")  # fmt: skip
    assert response.status_code == 200, response.json()
    return response.json()


def closing(function):
    """Run `function` (in a thread of its own) and close that thread's database connection afterwards."""

    def run():
        from django.db import connection

        try:
            return function()
        finally:
            connection.close()

    return run


def call_while(server_url, token, name, arguments, decision, progress=None):
    """Call `name` and, while it waits, run `decision()` in a thread; the call's result (or exception)."""

    async def flow():
        async with mcp_session(server_url, token) as session:
            call = asyncio.create_task(session.call_tool(name, arguments, progress_callback=progress))
            decided_at = await asyncio.to_thread(closing(decision))
            result = await call
            return result, time.monotonic() - decided_at

    return asyncio.run(flow())


def test_an_approved_call_runs_once_and_its_audit_names_the_request(server, alice, weather_upstream):
    guarded_weather(alice, weather_upstream)
    token = key_for(alice)

    def approve():
        decide(alice, pending_request(), "approve", "fine")
        return time.monotonic()

    result, latency = call_while(server.mcp_url, token, "weather__echo", {"text": "go"}, approve)
    assert not result.is_error and result.content[0].text == "go"
    assert latency < 2.0
    request = ApprovalRequest.objects.get()
    assert request.status == "approved" and request.used_at is not None
    audit = ToolCall.objects.get()
    assert (audit.outcome, audit.decision) == ("success", "require_approval")
    assert request.tool_call == audit


def test_a_declined_call_says_who_declined_and_why_and_never_runs(server, alice, bob, weather_upstream):
    guarded_weather(alice, weather_upstream, approvers=[bob.id])
    token = key_for(alice)

    def decline():
        decide(bob, pending_request(), "decline", "not on Fridays")
        return time.monotonic()

    result, _latency = call_while(server.mcp_url, token, "weather__echo", {"text": "no"}, decline)
    assert result.is_error
    assert "Declined by" in result.content[0].text and "bob@example.com" in result.content[0].text
    assert "not on Fridays" in result.content[0].text and "not run" in result.content[0].text
    assert ToolCall.objects.get().outcome == "denied"


def test_a_quorum_of_two_needs_both_approvers(server, alice, bob, weather_upstream):
    guarded_weather(alice, weather_upstream, approvers=[alice.id, bob.id], approvals_required=2)
    token = key_for(alice)

    def both():
        request = pending_request()
        decide(alice, request, "approve")
        time.sleep(0.5)
        request.refresh_from_db()
        assert request.status == "pending"  # one approval of two: the call still waits
        decide(bob, request, "approve")
        return time.monotonic()

    result, _latency = call_while(server.mcp_url, token, "weather__echo", {"text": "both"}, both)
    assert not result.is_error and result.content[0].text == "both"


def test_while_it_waits_the_client_gets_progress_and_the_timeout_refuses(server, alice, weather_upstream):
    guarded_weather(alice, weather_upstream, timeout_seconds=2)
    token = key_for(alice)
    progress = []

    async def on_progress(value, total, message):
        progress.append((value, total, message))

    def nothing():
        pending_request()
        return time.monotonic()

    result, _latency = call_while(server.mcp_url, token, "weather__echo", {"text": "late"}, nothing, on_progress)
    assert result.is_error and "Nobody decided before the timeout" in result.content[0].text
    assert ApprovalRequest.objects.get().status == "expired"
    assert progress == [] or all(message == "Waiting for approval" for _v, _t, message in progress)


def test_a_client_that_cancels_while_waiting_cancels_the_request_and_nothing_runs(server, alice, weather_upstream):
    guarded_weather(alice, weather_upstream)
    token = key_for(alice)
    CANCELLED.clear()

    async def flow():
        async with mcp_session(server.mcp_url, token) as session:
            call = asyncio.create_task(session.call_tool("weather__wait_forever", {}))
            await asyncio.to_thread(closing(pending_request))
            call.cancel()
            await asyncio.sleep(0.2)

    asyncio.run(flow())
    deadline = time.monotonic() + 10
    while ApprovalRequest.objects.get().status == "pending" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert ApprovalRequest.objects.get().status == "cancelled"
    assert not WAITING.is_set()  # the upstream tool never started
    request = ApprovalRequest.objects.get()
    with pytest.raises(AssertionError):  # approving afterwards is refused (409): nothing can run it later
        decide(alice, request, "approve")
    assert not WAITING.is_set()


def test_an_approval_is_bound_to_its_arguments(server, alice, weather_upstream):
    """Approving one call lets exactly that call run; the same tool with other arguments asks again."""
    guarded_weather(alice, weather_upstream, timeout_seconds=2)
    token = key_for(alice)

    def approve():
        decide(alice, pending_request(), "approve")
        return time.monotonic()

    first, _ = call_while(server.mcp_url, token, "weather__echo", {"text": "approved text"}, approve)
    assert not first.is_error

    async def other():
        async with mcp_session(server.mcp_url, token) as session:
            return await session.call_tool("weather__echo", {"text": "something else"})

    second = asyncio.run(other())
    assert second.is_error and "Nobody decided" in second.content[0].text
    assert ApprovalRequest.objects.filter(status="approved").count() == 1


def test_progress_notification_types_are_mcp_progress(server, alice, weather_upstream):
    """Clients that reset their timeout on progress keep waiting: notifications/progress while held."""
    guarded_weather(alice, weather_upstream, timeout_seconds=30)
    token = key_for(alice)
    seen: list[mcp_types.ProgressNotificationParams] = []

    async def on_progress(value, total, message):
        seen.append((value, total, message))

    def approve_late():
        request = pending_request()
        time.sleep(6)  # past the first progress tick (every 5 s)
        decide(alice, request, "approve")
        return time.monotonic()

    result, _ = call_while(server.mcp_url, token, "weather__echo", {"text": "patient"}, approve_late, on_progress)
    assert not result.is_error
    assert seen and seen[0][1] == 30.0 and seen[0][2] == "Waiting for approval"


def test_a_decision_taken_on_another_server_process_releases_the_call(daphne_pair, alice, weather_upstream):
    """The call waits on process A; the approver decides through process B's REST API."""
    import httpx2

    from apps.accounts.models import Scope

    guarded_weather(alice, weather_upstream)
    mcp_token, api_key = key_for(alice), key_for(alice, scopes=(Scope.API,))
    holder, decider = daphne_pair

    def approve_on_the_other_process():
        request = pending_request()
        response = httpx2.post(f"{decider.url}/api/v1/approval-requests/{request.id}/approve",
                               json={"comment": "from B"}, headers={"Authorization": f"Bearer {api_key}"})  # fmt: skip
        assert response.status_code == 200, response.text
        return time.monotonic()

    result, latency = call_while(holder.mcp_url, mcp_token, "weather__echo", {"text": "across"},
                                 approve_on_the_other_process)  # fmt: skip
    assert not result.is_error and result.content[0].text == "across"
    assert latency < 2.0


def test_a_call_whose_server_process_died_while_waiting_never_runs(alice, weather_upstream):
    """The process holding the call is killed; the sweep expires the request; nothing ever runs it."""
    from apps.approvals.services import approval_requests_expire
    from tests.mcp_proxy.servers import DaphneServer

    guarded_weather(alice, weather_upstream, timeout_seconds=2)
    token = key_for(alice)
    holder = DaphneServer().start()
    calls_before = weather_upstream.sessions()

    async def flow():
        try:
            async with mcp_session(holder.mcp_url, token) as session:
                call = asyncio.create_task(session.call_tool("weather__echo", {"text": "orphan"}))
                await asyncio.to_thread(closing(pending_request))
                holder.process.kill()
                holder.process.wait()
                await asyncio.wait_for(call, timeout=15)
        except Exception as error:  # the client's connection dropped with the process
            return error
        return None

    try:
        assert asyncio.run(flow()) is not None  # the call never got a result
    finally:
        holder.stop()
    time.sleep(2.5)
    assert approval_requests_expire() == 1
    request = ApprovalRequest.objects.get()
    assert request.status == "expired" and request.used_at is None
    assert not ToolCall.objects.filter(outcome="success").exists()
    assert weather_upstream.sessions() == calls_before  # no upstream session was ever opened for it
