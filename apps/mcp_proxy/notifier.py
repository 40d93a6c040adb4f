"""Telling MCP clients that what they see changed: `notifications/{tools,prompts,resources}/list_changed`.

Each process keeps the client sessions it owns by user, and joins the user's group on the channel layer.
A change (a scan found something new, a server was edited, a tool configuration changed) is announced to
that group from wherever it happened (a web process, a worker), and every process notifies its own
sessions of that user. An upstream that says its lists changed is re-scanned, a little later and once
for a burst of such notices.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from typing import Any

import mcp_types
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

log = logging.getLogger(__name__)
KINDS = {"tools": mcp_types.ToolListChangedNotification, "prompts": mcp_types.PromptListChangedNotification,
         "resources": mcp_types.ResourceListChangedNotification}  # fmt: skip
RESCAN_DELAY_SECONDS = 0.5
MESSAGE_TYPE = "mcp.list_changed"

_channels: dict[Any, weakref.WeakSet] = {}
_joined: set[Any] = set()
_rescans: dict[Any, asyncio.Task] = {}
process_channel_name: str | None = None  # the cluster's own channel, set when it starts listening


def user_group(user_id) -> str:
    return f"mcp_user_{user_id}".replace("-", "")


def channel_register(channel) -> None:
    """Remember a new client session of this process, and listen for its user's changes."""
    user_id = str(channel.user_id)
    _channels.setdefault(user_id, weakref.WeakSet()).add(channel)
    if user_id not in _joined and process_channel_name is not None:
        _joined.add(user_id)
        task = asyncio.get_running_loop().create_task(
            get_channel_layer().group_add(user_group(channel.user_id), process_channel_name)
        )
        task.add_done_callback(lambda done: done.cancelled() or done.exception())


async def list_changed_deliver(*, user_id, kinds: list[str]) -> None:
    """Notify this process's sessions of the user (the cluster calls this for each group message)."""
    for channel in list(_channels.get(str(user_id), ())):
        for kind in kinds:
            if kind in KINDS:
                await channel.notify(KINDS[kind]())


def catalog_changed_announce(*, user_id, kinds: list[str]) -> None:
    """Sync: after the surrounding transaction commits, tell every process that the user's lists changed."""
    if not kinds:
        return

    def send() -> None:
        try:
            message = {"type": MESSAGE_TYPE, "user_id": str(user_id), "kinds": list(kinds)}
            async_to_sync(get_channel_layer().group_send)(user_group(user_id), message)
        except Exception:  # a notice; losing it must not fail the change it reports
            log.exception("could not announce the changed MCP lists of user %s", user_id)

    transaction.on_commit(send)


def server_rescan_soon(*, server_id) -> None:
    """Re-scan a server that said its lists changed; a burst of notices makes one scan."""
    if server_id in _rescans and not _rescans[server_id].done():
        return
    _rescans[server_id] = asyncio.get_running_loop().create_task(_rescan(server_id))


async def _rescan(server_id) -> None:
    from apps.mcp_proxy.services import mcp_server_rescan
    from apps.mcp_proxy.threads import in_worker_thread

    await asyncio.sleep(RESCAN_DELAY_SECONDS)
    try:
        await in_worker_thread(mcp_server_rescan, server_id=server_id)
    except Exception:
        log.exception("re-scanning MCP server %s after its list_changed failed", server_id)
