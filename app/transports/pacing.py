"""Pacing shared by every transport: send a message, then let `interval` pass."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable

from app.params import StreamParams
from app.sources import Clock, epoch_ms
from app.streams import StreamRecord

STREAM_HEADERS = {
    # Caches and proxies must pass each chunk on as it comes, and browsers must not
    # hold the first KiB back to sniff the type.
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",
    "X-Content-Type-Options": "nosniff",
}


def stream_headers(content_type: str) -> dict[str, str]:
    """Headers of every streamed response."""
    return {"Content-Type": content_type, **STREAM_HEADERS}


def clock_for(params: StreamParams) -> Clock | None:
    """The clock that stamps messages, or None when they are not stamped."""
    return epoch_ms if params.stamp else None


async def send_paced(
    send: Callable[[str], Awaitable[int]],
    messages: Iterable[str],
    interval: float,
    record: StreamRecord,
) -> None:
    """Send each message, then wait until its slot on the schedule has passed.

    The schedule is absolute (message i+1 is due at start + (i+1) x interval), so time
    spent sending does not add up into drift over a long stream.
    """
    loop = asyncio.get_running_loop()
    start = loop.time()
    for index, message in enumerate(messages, start=1):
        record.bytes_sent += await send(message)
        record.messages += 1
        if interval:
            delay = start + index * interval - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
