"""The load generator against a hostile server on loopback: whatever a body does, reading it
holds no more than a read or two, as its counters keep only what straddles two reads."""

from __future__ import annotations

import tracemalloc

import pytest

from app.bench.load import read_body
from tests.hostile import SSE_HEAD, MiB, endless, hostile

#: 64 MiB of body that never ends a line, or never ends an event, and then the close.
ENDLESS = 64 * MiB


@pytest.mark.parametrize(
    ("opening", "piece"),
    [(b"data: ", b"x" * 65536), (b"", b"data: " + b"x" * 65529 + b"\n")],
    ids=["line", "event"],
)
async def test_counting_an_sse_body_holds_nothing_of_a_line_or_event_without_end(opening: bytes, piece: bytes) -> None:
    async with hostile(endless(SSE_HEAD + b"\r\n", opening, piece, ENDLESS)) as base:
        tracemalloc.start()
        try:
            result = await read_body(f"{base}/sse", "sse")
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert result == {"messages": 0, "bytes": len(opening) + ENDLESS}
    # Before, the counter held the event whole: 64 MiB, and as much again to split it.
    assert peak < 4 * MiB, f"{peak / MiB:.1f} MiB"
