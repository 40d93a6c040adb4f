"""Running sync ORM and tracker work from async code without blocking the event loop."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from asgiref.sync import sync_to_async
from django.db import close_old_connections, connection

T = TypeVar("T")


def _connections_tidied(function: Callable[..., T]) -> Callable[..., T]:
    """Drop obsolete connections before and after, as Django does around a request.

    Not inside an atomic block: there the connection belongs to whoever opened the block
    (a test's transaction), and closing it would roll their work back.
    """

    @functools.wraps(function)
    def run(*args: Any, **kwargs: Any) -> T:
        if not connection.in_atomic_block:
            close_old_connections()
        try:
            return function(*args, **kwargs)
        finally:
            if not connection.in_atomic_block:
                close_old_connections()

    return run


async def in_thread(function: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Run sync `function` in Django's thread for sync work and await its result."""
    return await sync_to_async(_connections_tidied(function), thread_sensitive=True)(*args, **kwargs)


async def in_worker_thread(function: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Run sync `function` in a thread of its own (a pool's): for slow work such as a tracker's HTTP calls,
    which would otherwise hold up every other call's sync steps queued behind it in Django's one thread.

    It has its own database connection, so it sees only committed data, and closes it when done.
    """
    return await sync_to_async(_connections_tidied(function), thread_sensitive=False)(*args, **kwargs)
