"""Holding a call until a human decides (ARCHITECTURE, "The call pipeline"; decision 3).

The waiting call subscribes first, on a private channel of its own, to the group its request's decision
is announced to, then reads the request's status from the database, then waits. A decision made on any
server process wakes it within one Redis round trip; the database stays the source of truth, so the
message only says "look again", and a lost or forged message can neither approve nor refuse anything.
No thread, database connection, transaction or lock is held while waiting; progress notifications keep
clients that reset their timeout on progress waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from channels.layers import get_channel_layer

log = logging.getLogger(__name__)
PENDING = "pending"
TIMED_OUT = "timeout"
PROGRESS_EVERY_SECONDS = 5.0


async def outcome_wait(*, group: str, status_read: Callable[[], Awaitable[str]], timeout_seconds: float,
                       progress: Callable[[float, float | None, str | None], Awaitable[None]] | None = None,
                       progress_every: float = PROGRESS_EVERY_SECONDS) -> str:  # fmt: skip
    """Wait until `status_read()` is no longer pending, or `timeout_seconds` pass (then `TIMED_OUT`).

    `group` is the channel-layer group the decision is announced to; any message there only triggers a
    new read. Cancelling the caller (the client left) ends the wait at once.
    """
    layer = get_channel_layer()
    channel = await layer.new_channel()
    started = time.monotonic()
    await layer.group_add(group, channel)
    try:
        status = await status_read()  # after subscribing: a decision made meanwhile is seen either way
        while status == PENDING:
            elapsed = time.monotonic() - started
            remaining = timeout_seconds - elapsed
            if remaining <= 0:
                return TIMED_OUT
            try:
                await asyncio.wait_for(layer.receive(channel), timeout=min(progress_every, remaining))
            except TimeoutError:
                if progress is not None:
                    await _progress(progress, elapsed + min(progress_every, remaining), timeout_seconds)
            status = await status_read()
        return status
    finally:
        with contextlib.suppress(Exception):
            await asyncio.shield(layer.group_discard(group, channel))


async def _progress(progress, elapsed: float, total: float) -> None:
    try:
        await progress(round(elapsed, 1), float(total), "Waiting for approval")
    except Exception as error:  # the client's stream is gone: its disconnect will cancel the wait
        log.debug("could not send a progress notification while waiting for approval: %s", error)
