"""The stall watch: a stream whose reader stopped reading is ended once a write has
waited past the send timeout, and on shutdown at once, so it gives back its slot and
its share of the memory budget instead of holding them for as long as the client likes.

A sweep over the live streams once a second costs nothing per message: a stream is
blocked when its connection's writing is paused, and stalled when it stays blocked
without sending a byte for the whole timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from aiohttp import web

from .keys import settings_key, stream_stats_key
from .streams import Outcome, StreamRecord, StreamStats

SWEEP_SECONDS = 1.0


def cut(record: StreamRecord, outcome: Outcome) -> None:
    """End a stream now: its pending write fails, its handler ends, its socket closes."""
    record.outcome = outcome
    transport = record.connection.transport if record.connection is not None else None
    if transport is not None:
        transport.abort()


def is_blocked(record: StreamRecord) -> bool:
    return record.connection is not None and record.connection.writing_paused


def sweep(stats: StreamStats, now: float, send_timeout: float) -> list[StreamRecord]:
    """Cut every stream blocked for `send_timeout` seconds without progress; return them."""
    stalled = []
    for record in list(stats.live):
        if not is_blocked(record):
            record.blocked = None
        elif record.blocked is None or record.blocked[0] != record.bytes_sent:
            record.blocked = (record.bytes_sent, now)
        elif now - record.blocked[1] >= send_timeout:
            cut(record, Outcome.STALLED)
            stalled.append(record)
    return stalled


def cut_blocked(stats: StreamStats) -> None:
    """On shutdown: a stream waiting on its reader cannot end cleanly in time, so it ends now."""
    for record in list(stats.live):
        if is_blocked(record):
            cut(record, Outcome.SHUTDOWN)


async def _watch(stats: StreamStats, send_timeout: float) -> None:
    loop = asyncio.get_running_loop()
    while True:
        await asyncio.sleep(SWEEP_SECONDS)
        sweep(stats, loop.time(), send_timeout)


async def stall_watch(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: the sweep runs for the application's whole life."""
    task = asyncio.create_task(_watch(app[stream_stats_key], app[settings_key].send_timeout))
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
