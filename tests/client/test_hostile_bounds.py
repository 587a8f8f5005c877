"""What each size bound counts, against hostile servers on loopback: --max-message-bytes counts
the bytes of a message, not its characters; a WebSocket message past it stops `compare` and
`diagnose` as the other streams stop (exit 7, the bound named); --max-bytes covers an SSE
stream across all its reconnections, not each connection afresh."""

from __future__ import annotations

import asyncio
import json

import pytest

import app.client.compare.command as compare
from app.client.diagnose import command as diagnose
from app.client.options import DEFAULT_MAX_MESSAGE
from app.exits import EXIT_FAILED, EXIT_TOO_LARGE
from app.wire.chunked import encode_chunk
from app.wire.sse import encode_event, encode_retry
from app.wire.websocket import Opcode
from tests.hostile import (
    BLOCK,
    SSE_HEAD,
    TEXT_HEAD,
    Handler,
    Main,
    MiB,
    endless,
    endless_fragments,
    hostile,
    one_gib_frame,
    request_read,
    run,
    websocket_accepted,
)

#: One character, four bytes of UTF-8.
WIDE = "\U0001f600".encode()


def one_message(head: bytes, opening: bytes, body: bytes, end: bytes) -> Handler:
    """A whole, well-formed answer of one message, then the close that ends it."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await request_read(reader)
        writer.write(head + opening + body + end)
        await writer.drain()

    return handler


#: Just under 1 Mi characters, 4 MiB of bytes: counted in characters, it passed a 1 MiB bound.
WIDE_LINE = WIDE * (MiB - 16)
#: Lines of 256 KiB, 4 MiB in all: each line within the bound, the event four times past it.
WIDE_EVENT = b"\n".join(b"data: " + WIDE * (MiB // 16 - 16) for _ in range(16))


@pytest.mark.parametrize(
    ("main", "argv", "server", "what"),
    [
        (compare.main, ["--endpoints", "sse"], one_message(SSE_HEAD + b"\r\n", b"data: ", WIDE_LINE, b"\n\n"), "line"),
        (compare.main, ["--endpoints", "sse"], one_message(SSE_HEAD + b"\r\n", b"", WIDE_EVENT, b"\n\n"), "event"),
        (compare.main, ["--endpoints", "chunked"], one_message(TEXT_HEAD, b"", WIDE_LINE, b"\n"), "line"),
        (compare.main, ["--endpoints", "ndjson"], one_message(TEXT_HEAD, b'"', WIDE_LINE, b'"\n'), "line"),
        (diagnose.main, [], one_message(SSE_HEAD + b"\r\n", b"data: ", WIDE_LINE, b"\n\n"), "line"),
    ],
    ids=["compare-sse-line", "compare-sse-event", "compare-lines", "compare-ndjson", "diagnose-sse-line"],
)
async def test_the_message_bound_counts_bytes_not_characters(
    capsys: pytest.CaptureFixture[str], main: Main, argv: list[str], server: Handler, what: str
) -> None:
    async with hostile(server) as base:
        where = [f"{base}/"] if main is diagnose.main else ["--url", base]
        status, _, err, seconds, _ = await run(main, capsys, *where, *argv, "--max-message-bytes", str(MiB))
    # Before, a message of 4 MiB of UTF-8 passed a 1 MiB bound: it was under 1 Mi characters.
    assert status == EXIT_TOO_LARGE, err
    assert f"stopped: {what} over --max-message-bytes 1 MiB" in err
    assert seconds < 10


@pytest.mark.parametrize("server", [one_gib_frame, endless_fragments], ids=["one-frame", "fragments"])
async def test_a_websocket_message_past_the_bound_stops_compare_as_other_streams_stop(
    capsys: pytest.CaptureFixture[str], server: Handler
) -> None:
    async with hostile(server) as base:
        status, _, err, seconds, peak = await run(compare.main, capsys, "--url", base, "--endpoints", "ws")
    # Before, exit 1 and `closed with code 1009`, as if the server had failed.
    assert status == EXIT_TOO_LARGE, err
    assert "ws: stopped: message over --max-message-bytes 4 MiB" in err
    # aiohttp refuses a frame by its header, and fragments at the bound: nothing past it is held.
    assert peak < DEFAULT_MAX_MESSAGE + 4 * MiB, f"{peak / MiB:.1f} MiB"
    assert seconds < 10


async def a_frame_of_12_mib(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A whole text message of 12 MiB in one frame: within --max-bytes, past the message bound."""
    writer.write(websocket_accepted(await request_read(reader)))
    writer.write(bytes([0x80 | Opcode.TEXT, 127]) + (12 * MiB).to_bytes(8, "big"))
    for _ in range(12 * MiB // BLOCK):
        writer.write(b"x" * BLOCK)
        await writer.drain()
    await asyncio.sleep(10)


@pytest.mark.parametrize(
    "server", [one_gib_frame, endless_fragments, a_frame_of_12_mib], ids=["one-gib-frame", "fragments", "12-mib"]
)
async def test_a_websocket_message_past_the_bound_stops_diagnose_as_compare(
    capsys: pytest.CaptureFixture[str], server: Handler
) -> None:
    async with hostile(server) as base:
        ws = "ws" + base.removeprefix("http")
        status, out, err, seconds, peak = await run(diagnose.main, capsys, f"{ws}/", "--json")
    result = json.loads(out)
    # Before, frames were held to --max-bytes (16 MiB), whole: the 1 GiB frame ended `cut`
    # with exit 0, the fragments read on to 16 MiB, and the 12 MiB frame was held (RSS
    # 39 -> 83 MB) and counted as a message, exit 0 each time.
    assert status == EXIT_TOO_LARGE, err
    assert "stopped: message over --max-message-bytes 4 MiB" in err
    assert result["ending"] == "max-message-bytes"
    assert result["wire_bytes"] <= DEFAULT_MAX_MESSAGE + 2 * BLOCK
    # The bound is read from each frame's header: no frame past it is buffered.
    assert peak < 2 * MiB, f"{peak / MiB:.1f} MiB"
    assert seconds < 10


async def cut_after_a_mib(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """An event stream cut after 1 MiB of events, before its last chunk: EventSource
    reconnects at once (`retry: 0`), and is cut again, for ever."""
    await request_read(reader)
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
    writer.write(encode_chunk(encode_retry(0)))
    event = encode_chunk(encode_event(1, "x" * (BLOCK - 32)).encode())
    for _ in range(MiB // BLOCK):
        writer.write(event)
        await writer.drain()


async def test_max_bytes_covers_an_sse_stream_across_its_reconnections(capsys: pytest.CaptureFixture[str]) -> None:
    async with hostile(cut_after_a_mib) as base:
        argv = ["--url", base, "--endpoints", "sse", "--max-bytes", str(4 * MiB), "--timeout", "3", "--json"]
        status, out, err, _, _ = await run(compare.main, capsys, *argv)
    stream = json.loads(out)["streams"][0]
    # Before, each connection had 4 MiB of its own: it read on until --timeout (exit 5),
    # 336 MiB over 337 connections in 3 s.
    assert status == EXIT_TOO_LARGE, err
    assert "sse: stopped: body over --max-bytes 4 MiB" in err
    assert stream["body_bytes"] <= 4 * MiB
    assert 4 <= stream["connections"] <= 5


ENDLESS_REFUSAL = endless(b"HTTP/1.1 500 Oops\r\nConnection: close\r\n\r\n", b'{"error": "', total=64 * MiB)


@pytest.mark.parametrize("endpoint", ["chunked", "sse"])
async def test_a_refusal_whose_body_never_ends_is_read_only_for_its_message(
    capsys: pytest.CaptureFixture[str], endpoint: str
) -> None:
    async with hostile(ENDLESS_REFUSAL) as base:
        status, _, err, seconds, peak = await run(compare.main, capsys, "--url", base, "--endpoints", endpoint)
    assert status == EXIT_FAILED
    assert f'{endpoint}: refused with HTTP 500: {{"error": "xxx' in err
    # Before, the whole body was read for its message, and held twice: 128 MiB of this one.
    assert peak < 4 * MiB, f"{peak / MiB:.1f} MiB"
    assert seconds < 10


JSON_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"


async def test_a_json_item_without_end_stops_at_the_message_bound(capsys: pytest.CaptureFixture[str]) -> None:
    async with hostile(endless(JSON_HEAD, b'["', total=15 * MiB)) as base:
        argv = ["--url", base, "--endpoints", "json", "--max-message-bytes", str(MiB), "--json"]
        status, out, err, seconds, _ = await run(compare.main, capsys, *argv)
    stream = json.loads(out)["streams"][0]
    # Before, ijson held the item to the body's end (--max-bytes, 16 MiB; with gzip, 64 MiB).
    assert status == EXIT_TOO_LARGE, err
    assert "json: stopped: message over --max-message-bytes 1 MiB" in err
    assert stream["body_bytes"] <= 2 * MiB
    assert seconds < 10


#: 256 KiB of empty lines: 262 144 messages, each a line of the live view.
EMPTY_LINES = endless(TEXT_HEAD, b"", b"\n" * BLOCK, total=256 * 1024)


async def test_the_live_view_keeps_no_message_it_has_shown(capsys: pytest.CaptureFixture[str]) -> None:
    async with hostile(EMPTY_LINES) as base:
        status, out, _, _, peak = await run(compare.main, capsys, "--url", base, "--endpoints", "chunked")
    assert status == 0
    assert len(out.splitlines()) > 256 * 1024
    # Before, every message was kept for a --json document not asked for: 2 MiB of empty
    # lines held 406 MiB (with --json, 3.4 GB: what a document of every message costs).
    assert peak < 24 * MiB, f"{peak / MiB:.1f} MiB"
