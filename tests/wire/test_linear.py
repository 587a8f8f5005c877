"""Every strict decoder costs time in proportion to its input: a read of many tiny chunks or
frames, a line or an event fed in small reads (the issue's slow paths: 16 MiB of 1-byte
chunks took 60 s, a 16 MiB SSE line 20.7 s). Each case is timed at N and at 4N in the same
test (the best of a few runs, in process CPU time), so the ratio, not the machine, is judged:
linear gives about 4, the quadratic decoders these replace gave 10 to 15 at these sizes."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

import pytest

from app.wire.chunked import ChunkDecoder, encode_chunk
from app.wire.lines import LineSplitter
from app.wire.sse import EventCounter, SSEParser
from app.wire.websocket import FrameDecoder, Opcode, encode_frame

#: Small reads, so the work per read (what a quadratic path repeats) outweighs the noise.
READ = 512
#: Linear is 4; noise on a busy machine stays well under this, a quadratic path well over.
MAX_RATIO = 6.0


def reads(data: bytes, size: int = READ) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def cpu_seconds(run: Callable[[], object], repeats: int = 3) -> float:
    """The best of `repeats` runs; the cyclic collector paused, as its passes over the parts
    a run keeps grow with them (the collector's cost, not the decoder's)."""
    best = float("inf")
    gc.disable()
    try:
        for _ in range(repeats):
            start = time.process_time()
            run()
            best = min(best, time.process_time() - start)
    finally:
        gc.enable()
    return max(best, 1e-6)


def one_read_of_tiny_chunks(n: int) -> Callable[[], object]:
    data = encode_chunk(b"x") * n
    return lambda: ChunkDecoder().feed(data)


def one_read_of_tiny_frames(n: int) -> Callable[[], object]:
    data = encode_frame(Opcode.BINARY, b"x") * n
    return lambda: FrameDecoder(max_payload=1024).feed(data)


def fed(make: Callable[[], Callable[[bytes], object]], data: bytes, size: int = READ) -> Callable[[], object]:
    pieces = reads(data, size)

    def run() -> None:
        feed = make()
        for piece in pieces:
            feed(piece)

    return run


def one_long_line(n: int) -> Callable[[], object]:
    # Reads of 128 bytes: a line is split as bytes, so at 512 its reads cost little beside
    # the line's making at its end, whose fresh pages cost more at 4N than at N.
    return fed(lambda: LineSplitter(max_line=None).feed, b"x" * n + b"\n", 128)


def one_long_sse_line(n: int) -> Callable[[], object]:
    return fed(lambda: SSEParser(max_line=None, max_event=None).feed, b"data: " + b"x" * n + b"\n\n")


def one_long_sse_event(n: int) -> Callable[[], object]:
    return fed(
        lambda: SSEParser(max_line=None, max_event=None).feed, b"data: xxxxxxxxxxxxxxxxxxxxxxxx\n" * (n // 32) + b"\n"
    )


def one_long_counted_event(n: int) -> Callable[[], object]:
    return fed(lambda: EventCounter().feed, b"data: " + b"x" * n + b"\n\n")


CASES = {
    "chunked: one read of 1-byte chunks": (one_read_of_tiny_chunks, 16_384),
    "websocket: one read of 1-byte frames": (one_read_of_tiny_frames, 16_384),
    "lines: a 4 MiB line in 128-byte reads": (one_long_line, 1024 * 1024),
    "sse: a 4 MiB line in 512-byte reads": (one_long_sse_line, 1024 * 1024),
    "sse: a 4 MiB event of short lines": (one_long_sse_event, 1024 * 1024),
    "sse counter: a 4 MiB event": (one_long_counted_event, 1024 * 1024),
}


@pytest.mark.parametrize(("case", "n"), CASES.values(), ids=list(CASES))
def test_decoding_time_grows_linearly_with_the_input(case: Callable[[int], Callable[[], object]], n: int) -> None:
    small, large = cpu_seconds(case(n)), cpu_seconds(case(4 * n))
    assert large / small < MAX_RATIO, f"N: {small:.4f} s, 4N: {large:.4f} s"
