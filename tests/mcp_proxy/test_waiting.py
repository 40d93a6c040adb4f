"""Holding a call for a decision: woken through the Redis channel layer, always re-reading the truth."""

from __future__ import annotations

import asyncio
import time

from channels.layers import get_channel_layer

from apps.mcp_proxy.waiting import TIMED_OUT, outcome_wait


def run(coroutine):
    return asyncio.run(coroutine)


class Truth:
    """What the database would say; the wait may only ever report this."""

    def __init__(self, status: str = "pending"):
        self.status, self.reads = status, 0

    async def read(self) -> str:
        self.reads += 1
        return self.status


def test_a_decision_announced_on_the_group_wakes_the_wait_at_once():
    truth = Truth()

    async def flow():
        waiting = asyncio.create_task(outcome_wait(group="approval_wakes", status_read=truth.read, timeout_seconds=30))
        await asyncio.sleep(0.3)
        truth.status = "approved"
        announced = time.monotonic()
        await get_channel_layer().group_send("approval_wakes", {"type": "approval.finished", "status": "approved"})
        return await waiting, time.monotonic() - announced

    status, latency = run(flow())
    assert status == "approved" and latency < 1.0


def test_a_message_alone_decides_nothing_the_database_does():
    truth = Truth()

    async def flow():
        waiting = asyncio.create_task(
            outcome_wait(group="approval_forged", status_read=truth.read, timeout_seconds=1.5)
        )
        await asyncio.sleep(0.2)
        await get_channel_layer().group_send("approval_forged", {"type": "approval.finished", "status": "approved"})
        return await waiting

    assert run(flow()) == TIMED_OUT  # the forged "approved" only caused a re-read, which still said pending
    assert truth.reads >= 2


def test_a_decision_made_before_the_wait_subscribed_is_seen_by_the_first_read():
    truth = Truth("declined")
    assert run(outcome_wait(group="approval_early", status_read=truth.read, timeout_seconds=5)) == "declined"


def test_progress_is_sent_while_waiting_and_the_timeout_ends_the_wait():
    truth, sent = Truth(), []

    async def progress(value, total, message):
        sent.append((value, total, message))

    status = run(outcome_wait(group="approval_slow", status_read=truth.read, timeout_seconds=1.0, progress=progress,
                              progress_every=0.3))  # fmt: skip
    assert status == TIMED_OUT
    assert len(sent) >= 2 and all(total == 1.0 and message == "Waiting for approval" for _v, total, message in sent)
    assert [value for value, _t, _m in sent] == sorted(value for value, _t, _m in sent)


def test_cancelling_the_waiting_call_ends_it_and_leaves_the_group():
    truth = Truth()

    async def flow():
        waiting = asyncio.create_task(outcome_wait(group="approval_left", status_read=truth.read, timeout_seconds=30))
        await asyncio.sleep(0.3)
        waiting.cancel()
        try:
            await waiting
        except asyncio.CancelledError:
            return True
        return False

    assert run(flow())
