"""Per-message Python cost of the server's hot path, without sockets: `python -m bench.hot_path`.

The throughput benchmark says *whether* an endpoint keeps up with bare aiohttp; this says
*where* the difference goes: the message source (text, json.dumps, ijson), the framing
function (SSE), and the pacing loop, each against the bare loop of one f-string and one
write per message. Writes go to a no-op, so only Python time is measured (best of 7).

Nested JSON and ijson send several messages per user or item, and pad only one of them:
their rows are calibrated as the throughput benchmark calibrates them, so their messages
average the same bytes as the chunked rows', and are timed per message they really send.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import time
from collections.abc import Awaitable, Callable, Iterator

from ..endpoints import ENDPOINTS_BY_NAME
from ..params import StreamParams
from ..server.shutdown import Shutdown
from ..server.streams import StreamRecord
from ..server.transports.pacing import Pacer, send_paced
from ..server.transports.responses import Sender
from ..transport import Transport
from ..wire.sse import encode_event
from .plan import baseline_endpoint, calibrate

REPEATS = 7


async def _discard(data: bytes) -> None:
    return None


async def _no_drain() -> None:
    return None


class _KeepingUp:
    """A connection whose reader keeps up: the server's own sender never waits on it."""

    writing_paused = False
    transport = None


_KEEPING_UP = _KeepingUp()


def best_us(run: Callable[[], Awaitable[None]], messages: int) -> float:
    """Best-of-REPEATS time per message, in microseconds."""
    loop = asyncio.new_event_loop()
    try:
        times = []
        for _ in range(REPEATS):
            started = time.perf_counter()
            loop.run_until_complete(run())
            times.append(time.perf_counter() - started)
        return min(times) / messages * 1e6
    finally:
        loop.close()


def messages(name: str, count: int, size: int) -> Iterator[str]:
    return ENDPOINTS_BY_NAME[name].source(StreamParams(count, 0, size), None).messages


def costs(count: int, size: int) -> dict[str, float]:
    """µs per message of each piece, for `count` messages padded with `size` bytes."""

    async def bare_chunked() -> None:
        for index in range(count):
            await _discard(f"Chunk {index} {'x' * size}\n".encode())

    async def bare_sse() -> None:
        for index in range(count):
            await _discard(f"id: {index}\ndata: SSE message {index} {'x' * size}\n\n".encode())

    async def paced(transport: Transport, frame: Callable[[str], bytes]) -> None:
        name = baseline_endpoint(transport).name  # the endpoint the bare loops repeat
        record = StreamRecord(name)
        send = Sender(_KEEPING_UP, _discard, _no_drain, frame, record)
        await send_paced(send, messages(name, count, size), Pacer(0, Shutdown()), record)

    async def source_only(name: str, count: int = count, size: int = size) -> None:
        for message in messages(name, count, size):
            message.encode()

    ids = itertools.count()

    def sse_frame(message: str) -> bytes:
        return encode_event(next(ids), message).encode()

    figures = {
        "bare chunked: f-string + write": best_us(bare_chunked, count),
        "ours chunked: source + send_paced + send": best_us(lambda: paced(Transport.CHUNKED, str.encode), count),
        "bare sse: f-string + write": best_us(bare_sse, count),
        "ours sse: + encode_event()": best_us(lambda: paced(Transport.SSE, sse_frame), count),
    }
    for name in ("chunked", "json", "ndjson"):
        figures[f"source {name} alone"] = best_us(functools.partial(source_only, name), count)
    message_bytes = len(f"Chunk {count // 2} {'x' * size}\n")
    for name in ("json-nested", "ijson"):
        pad, units, sent = calibrate(ENDPOINTS_BY_NAME[name], message_bytes, count)
        figures[f"source {name} alone"] = best_us(functools.partial(source_only, name, units, pad), sent)
    return figures


def main() -> None:
    for label, count, size in (("64-byte messages", 100_000, 51), ("64 KiB messages", 2_000, 65_524)):
        print(f"{label} (µs per message, Python only, best of {REPEATS})")
        for name, value in costs(count, size).items():
            print(f"  {name:45} {value:8.2f}")


if __name__ == "__main__":
    main()
