"""The terminal's bounds against hostile servers: a gzip bomb, a line or a chunk without end,
a server that is silent, drips, or never reads what it is sent. Each server is a raw socket
the test serves on loopback; each test asserts the figure its bound holds (the memory the
command allocated at its peak, the seconds it took, the bytes it read) and the line and
exit status that name the bound.

The commands run in a worker thread (each owns its event loop) while the test's loop
serves; tracemalloc counts what both allocate, the server's few buffers included.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path

import pytest

import app.client.compare.command as compare
from app.client import raw
from app.client.diagnose import command as diagnose
from app.client.options import DEFAULT_MAX_DECODED, DEFAULT_MAX_MESSAGE
from app.exits import EXIT_FAILED, EXIT_TIMEOUT, EXIT_TOO_LARGE

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
Main = Callable[[Sequence[str] | None], int]

MiB = 1024 * 1024
BLOCK = 64 * 1024
SSE_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n"


@contextlib.asynccontextmanager
async def hostile(handler: Handler) -> AsyncIterator[str]:
    """A server on a loopback port answering every connection with `handler`; its base URL.
    Its handlers are cancelled when the test is done with it, however they wait."""
    tasks: set[asyncio.Task[None]] = set()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        tasks.add(task)  # type: ignore[arg-type]
        try:
            await handler(reader, writer)
        except (ConnectionError, asyncio.CancelledError):
            pass  # the client went away, or the test is over
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        server.close()
        await server.wait_closed()


async def request_read(reader: asyncio.StreamReader) -> None:
    await reader.readuntil(b"\r\n\r\n")


def bomb_pieces() -> tuple[bytes, bytes]:
    """A gzip stream that never ends: its first piece, then a piece to repeat for ever. A full
    flush after each MiB of SSE comments resets the compressor, so every MiB after the first
    compresses to the same bytes (about 1 KiB: a thousand to one, as 1 GB of zeros to 1 MB)."""
    block = (b": " + b"x" * 1022 + b"\n\n") * (MiB // 1026)
    compressor = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    first = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    again = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    return first, again


async def gzip_bomb(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """SSE that decodes to 1 GiB of comments, and then some: it never ends."""
    await request_read(reader)
    first, again = bomb_pieces()
    writer.write(SSE_HEAD + b"Content-Encoding: gzip\r\n\r\n" + first)
    for _ in range(1024):
        writer.write(again)
        await writer.drain()


def endless(head: bytes, opening: bytes, piece: bytes = b"x" * BLOCK, total: int = 1024**3) -> Handler:
    """A body that opens with `opening` and goes on with `piece` until `total` bytes."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await request_read(reader)
        writer.write(head + opening)
        for _ in range(total // len(piece)):
            writer.write(piece)
            await writer.drain()

    return handler


ENDLESS_SSE_LINE = endless(SSE_HEAD + b"\r\n", b"data: ")
ONE_GIB_CHUNK = endless(
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n", b"40000000\r\n"
)
ENDLESS_HEAD = endless(b"HTTP/1.1 200 OK\r\n", b"", b"X-Again: and again\r\n" * 1000)


async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await request_read(reader)
    await asyncio.sleep(60)


async def dripping(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A chunked body of one byte every 50 ms: never silent long, never over."""
    await request_read(reader)
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n")
    while True:
        writer.write(b"1\r\nx\r\n")
        await writer.drain()
        await asyncio.sleep(0.05)


async def never_reads(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await asyncio.sleep(60)


async def run(main: Main, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str, float, int]:
    """(exit status, stdout, stderr, seconds, peak bytes allocated) of one command."""
    tracemalloc.start()
    started = time.monotonic()
    try:
        status = await asyncio.to_thread(main, list(argv))
        seconds = time.monotonic() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    captured = capsys.readouterr()
    return status, captured.out, captured.err, seconds, peak


async def test_a_gzip_bomb_stops_diagnose_at_the_decoded_bound(capsys: pytest.CaptureFixture[str]) -> None:
    async with hostile(gzip_bomb) as base:
        status, out, err, seconds, peak = await run(diagnose.main, capsys, f"{base}/", "--json")
    result = json.loads(out)
    assert status == EXIT_TOO_LARGE
    assert "stopped: decoded body over --max-decoded-bytes 64 MiB" in err
    assert result["ending"] == "max-decoded-bytes"
    # 590 KB of such a bomb once decoded to 607 MB: now to the bound, a step and one read's worth.
    assert result["decoded_bytes"] <= DEFAULT_MAX_DECODED
    assert result["wire_bytes"] < MiB
    # One read may inflate to the bound and a step, held as bytes and as the parser's text.
    assert peak < 2 * DEFAULT_MAX_DECODED + 32 * MiB, f"{peak / MiB:.0f} MiB"
    assert seconds < 10


async def test_a_gzip_bomb_stops_compare_at_the_decoded_bound(capsys: pytest.CaptureFixture[str]) -> None:
    async with hostile(gzip_bomb) as base:
        status, _, err, seconds, peak = await run(compare.main, capsys, "--url", base, "--endpoints", "sse")
    assert status == EXIT_TOO_LARGE
    assert "sse: stopped: decoded body over --max-decoded-bytes 64 MiB" in err
    assert "Traceback" not in err
    # Before, 2.2 GB and a MemoryError.
    assert peak < 2 * DEFAULT_MAX_DECODED + 32 * MiB, f"{peak / MiB:.0f} MiB"
    assert seconds < 10


@pytest.mark.parametrize("main", [compare.main, diagnose.main], ids=["compare", "diagnose"])
async def test_an_sse_line_without_end_stops_at_the_message_bound(
    capsys: pytest.CaptureFixture[str], main: Main
) -> None:
    async with hostile(ENDLESS_SSE_LINE) as base:
        argv = ["--url", base, "--endpoints", "sse"] if main is compare.main else [f"{base}/"]
        status, _, err, seconds, peak = await run(main, capsys, *argv)
    assert status == EXIT_TOO_LARGE
    assert "stopped: line over --max-message-bytes 4 MiB" in err
    assert peak < DEFAULT_MAX_MESSAGE * 6 + 16 * MiB, f"{peak / MiB:.0f} MiB"
    assert seconds < 10


@pytest.mark.parametrize(("endpoint", "what"), [("chunked", "line"), ("json-nested", "message")])
async def test_a_one_gib_chunk_stops_compare_at_the_message_bound(
    capsys: pytest.CaptureFixture[str], endpoint: str, what: str
) -> None:
    async with hostile(ONE_GIB_CHUNK) as base:
        status, _, err, seconds, peak = await run(compare.main, capsys, "--url", base, "--endpoints", endpoint)
    assert status == EXIT_TOO_LARGE
    # Read as lines (chunked) or as a message a chunk (json-nested): either way, a bound.
    assert f"{endpoint}: stopped: {what} over --max-message-bytes 4 MiB" in err
    # Before, 228 MB and rising.
    assert peak < DEFAULT_MAX_MESSAGE * 4 + 16 * MiB, f"{peak / MiB:.0f} MiB"
    assert seconds < 10


async def test_a_one_gib_chunk_stops_raw_at_max_bytes(capsys: pytest.CaptureFixture[str]) -> None:
    async with hostile(ONE_GIB_CHUNK) as base:
        status, out, err, seconds, peak = await run(
            raw.main, capsys, "--url", base, "chunked", "--max-bytes", "4194304"
        )
    assert status == EXIT_TOO_LARGE
    assert "stopped: body over --max-bytes 4 MiB" in err
    data = sum(int(line.split("data, ")[1].split()[0]) for line in out.splitlines() if "<- data, " in line)
    assert 4 * MiB - BLOCK < data <= 4 * MiB
    assert peak < 32 * MiB, f"{peak / MiB:.0f} MiB"
    assert seconds < 10


async def test_a_head_without_end_stops_raw_at_the_head_bound(capsys: pytest.CaptureFixture[str]) -> None:
    async with hostile(ENDLESS_HEAD) as base:
        status, _, err, seconds, _ = await run(raw.main, capsys, "--url", base, "chunked")
    assert status == EXIT_FAILED
    assert "no end to the response head in its first 65536 bytes" in err
    assert seconds < 5


@pytest.mark.parametrize("server", [silent, dripping], ids=["silent", "dripping"])
@pytest.mark.parametrize(
    ("main", "argv"), [(compare.main, ["--endpoints", "chunked"]), (raw.main, ["chunked"])], ids=["compare", "raw"]
)
async def test_a_server_that_never_ends_stops_at_the_timeout(
    capsys: pytest.CaptureFixture[str], server: Handler, main: Main, argv: list[str]
) -> None:
    async with hostile(server) as base:
        status, _, err, seconds, _ = await run(main, capsys, "--url", base, "--timeout", "1", *argv)
    assert status == EXIT_TIMEOUT
    assert "stopped: no end within --timeout 1 s" in err
    assert 1 <= seconds < 4


async def test_diagnose_timeout_covers_sending_a_body_the_server_never_reads(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    upload = tmp_path / "64MB.bin"
    upload.write_bytes(bytes(64 * MiB))
    async with hostile(never_reads) as base:
        argv = [f"{base}/", "-X", "POST", "-d", f"@{upload}", "--timeout", "1"]
        status, _, err, seconds, _ = await run(diagnose.main, capsys, *argv)
    assert status == EXIT_TIMEOUT
    assert "the request was not sent before --timeout" in err
    assert 1 <= seconds < 4


@pytest.mark.parametrize(
    ("argv", "seconds"),
    [
        (["--endpoints", "chunked", "--count", "10", "--interval", "0.5"], 5 + 30),
        (["--endpoints", "sse", "--count", "10", "--interval", "0", "--drop", "2"], 5 * 3 + 30),
        (["--endpoints", "chunked", "--timeout", "2"], 2),
        (["--endpoints", "chunked", "--count", "100", "--interval", "100"], 30),  # refused at once
    ],
)
def test_the_default_timeout_is_the_longest_stream_and_a_margin(argv: list[str], seconds: float) -> None:
    args = compare.build_parser().parse_args(argv)
    assert compare.timeout_of(args, compare.plan_results(args, "http://127.0.0.1:8080")) == seconds
