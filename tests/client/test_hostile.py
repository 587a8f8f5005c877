"""The terminal's bounds against hostile servers: a gzip bomb, a line or a chunk without end,
a server that is silent, drips, or never reads what it is sent. Each test asserts the figure
its bound holds (the memory the command allocated at its peak, the seconds it took, the
bytes it read) and the line and exit status that name the bound.
"""

from __future__ import annotations

import asyncio
import json
import zlib
from pathlib import Path

import pytest

import app.client.compare.command as compare
from app.client import raw
from app.client.diagnose import command as diagnose
from app.client.options import DEFAULT_MAX_DECODED, DEFAULT_MAX_MESSAGE
from app.exits import EXIT_FAILED, EXIT_TIMEOUT, EXIT_TOO_LARGE
from app.wire.coding import INFLATE_STEP
from app.wire.errors import byte_size
from tests.hostile import BLOCK, SSE_HEAD, Handler, Main, MiB, endless, hostile, request_read, run


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


#: What a bomb costs at its peak, whatever the bound: the step inflated and the one taken
#: after it, the parser's lines of one, the server's 1 MiB block (3.5 to 4.6 MiB measured).
#: Before, a read was inflated whole (64 KiB of this bomb, 64 MiB) and held twice over in
#: part: 91 MiB (diagnose) and 95 MiB (compare) at the 64 MiB bound, 1.4x the bound.
BOMB_PEAK = 8 * INFLATE_STEP
BOMB_BOUNDS = pytest.mark.parametrize("bound", [DEFAULT_MAX_DECODED, 4 * DEFAULT_MAX_DECODED], ids=["64MiB", "256MiB"])


@BOMB_BOUNDS
async def test_a_gzip_bomb_stops_diagnose_at_the_decoded_bound(capsys: pytest.CaptureFixture[str], bound: int) -> None:
    async with hostile(gzip_bomb) as base:
        argv = [f"{base}/", "--json", "--max-decoded-bytes", str(bound)]
        status, out, err, seconds, peak = await run(diagnose.main, capsys, *argv)
    result = json.loads(out)
    assert status == EXIT_TOO_LARGE
    assert f"stopped: decoded body over --max-decoded-bytes {byte_size(bound)}" in err
    assert result["ending"] == "max-decoded-bytes"
    # 590 KB of such a bomb once decoded to 607 MB: now to the bound, and no further.
    assert result["decoded_bytes"] <= bound
    assert result["wire_bytes"] < bound // 100
    assert peak < BOMB_PEAK, f"{peak / MiB:.1f} MiB"
    assert seconds < 10


@BOMB_BOUNDS
async def test_a_gzip_bomb_stops_compare_at_the_decoded_bound(capsys: pytest.CaptureFixture[str], bound: int) -> None:
    async with hostile(gzip_bomb) as base:
        argv = ["--url", base, "--endpoints", "sse", "--max-decoded-bytes", str(bound)]
        status, _, err, seconds, peak = await run(compare.main, capsys, *argv)
    assert status == EXIT_TOO_LARGE
    assert f"sse: stopped: decoded body over --max-decoded-bytes {byte_size(bound)}" in err
    assert "Traceback" not in err
    # Before the bound, 2.2 GB and a MemoryError.
    assert peak < BOMB_PEAK, f"{peak / MiB:.1f} MiB"
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
