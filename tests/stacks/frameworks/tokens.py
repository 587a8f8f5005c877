"""What every framework subject sends, and when: numbered tokens on an absolute schedule, so
each app is only its framework's way of writing them.

Pure producers (no framework imported here): each subject frames a token in its own format.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator, Mapping

#: A stream lasts about a second unless asked otherwise: long enough to tell held from sent.
COUNT = 5
INTERVAL = 0.2
MAX_COUNT = 1000
MAX_INTERVAL = 5.0


def pacing(query: Mapping[str, str]) -> tuple[int, float]:
    """`?count=N&interval=SECONDS`, bounded, with the defaults above."""
    count = min(max(int(query.get("count", COUNT)), 1), MAX_COUNT)
    interval = min(max(float(query.get("interval", INTERVAL)), 0.0), MAX_INTERVAL)
    return count, interval


def line(number: int) -> str:
    """One NDJSON line: a token as a chat API streams it."""
    return json.dumps({"index": number, "token": f"tok{number}"}) + "\n"


def chat_chunk(number: int) -> str:
    """One OpenAI-style `chat.completion.chunk` as an SSE event."""
    chunk = {
        "id": "chatcmpl-lab",
        "object": "chat.completion.chunk",
        "model": "lab",
        "choices": [{"index": 0, "delta": {"content": f" tok{number}"}, "finish_reason": None}],
    }
    return f"data: {json.dumps(chunk)}\n\n"


def ticks(count: int, interval: float) -> Iterator[int]:
    """0..count-1, each yielded at its own moment start + n * interval (blocking sleeps, for WSGI)."""
    start = time.monotonic()
    for number in range(count):
        time.sleep(max(0.0, start + number * interval - time.monotonic()))
        yield number


async def aticks(count: int, interval: float, start: float | None = None) -> AsyncIterator[int]:
    """The same schedule for asyncio apps, from `start` (the loop's time; now by default)."""
    loop = asyncio.get_running_loop()
    start = loop.time() if start is None else start
    for number in range(count):
        await asyncio.sleep(max(0.0, start + number * interval - loop.time()))
        yield number
