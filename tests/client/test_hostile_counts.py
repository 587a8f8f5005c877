"""What grows with the number of things a hostile server sends, held to a bound: the messages
`compare --json` keeps for its document, the arrivals on `diagnose`'s timeline. Each test
asserts the figure its bound holds, against a server on loopback."""

from __future__ import annotations

import asyncio
import json

import pytest

import app.client.compare.command as compare
from app.client.compare.document import KEPT_MESSAGES
from app.client.diagnose import command as diagnose
from app.client.diagnose import exchange
from tests.hostile import TEXT_HEAD, MiB, hostile, request_read, run

#: 256 Ki lines, each its number: a message apiece, 1.6 MiB in all.
LINES = 256 * 1024


async def numbered_lines(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await request_read(reader)
    writer.write(TEXT_HEAD)
    for start in range(0, LINES, 4096):
        writer.write(b"".join(b"%d\n" % number for number in range(start, start + 4096)))
        await writer.drain()


async def test_the_json_document_lists_each_streams_first_messages_and_counts_the_rest(
    capsys: pytest.CaptureFixture[str],
) -> None:
    async with hostile(numbered_lines) as base:
        status, out, err, _, peak = await run(compare.main, capsys, "--url", base, "--endpoints", "chunked", "--json")
    document = json.loads(out)
    (stream,) = document["streams"]
    assert status == 0, err
    # The figures count every message; the document lists the stream's first ones, no holes.
    assert stream["messages"] == LINES
    assert [message["text"] for message in document["messages"]] == [str(n) for n in range(KEPT_MESSAGES)]
    assert stream["messages_not_kept"] == LINES - KEPT_MESSAGES
    # Before, every message was kept and the document built whole: 2 MiB of empty lines
    # held 3.4 GB; these 256 Ki lines, 390 MiB.
    assert peak < 24 * MiB, f"{peak / MiB:.1f} MiB"


async def trickle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A line of two bytes at a time, as fast as they are taken: thousands of reads a second."""
    await request_read(reader)
    writer.write(TEXT_HEAD)
    while True:
        writer.write(b"x\n")
        await writer.drain()
        await asyncio.sleep(0)


async def test_a_trickle_holds_one_arrival_per_millisecond(capsys: pytest.CaptureFixture[str]) -> None:
    async with hostile(trickle) as base:
        status, out, err, _, _ = await run(diagnose.main, capsys, f"{base}/", "--timeout", "2", "--json")
    result = json.loads(out)
    milliseconds = [int(arrival["t_ms"]) for arrival in result["timeline"]]
    assert status == 0, err
    assert result["ending"] == "timeout"
    # Before, an arrival per read: the reads that shared a millisecond are one arrival now.
    assert result["reads"] > len(result["timeline"])
    assert milliseconds == sorted(set(milliseconds))
    assert sum(arrival["messages"] for arrival in result["timeline"]) == result["messages"]
    assert result["verdict"] == "progressive"


async def test_a_trickle_past_the_cap_is_held_in_coarser_windows(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exchange, "MAX_ARRIVALS", 256)  # the real cap takes an hour of trickle
    async with hostile(trickle) as base:
        status, out, err, _, _ = await run(diagnose.main, capsys, f"{base}/", "--timeout", "2", "--json")
    result = json.loads(out)
    assert status == 0, err
    # Before, one arrival per read, thousands of them.
    assert len(result["timeline"]) <= 256 < result["reads"]
    assert result["resolution_ms"] > 1
    assert sum(arrival["wire_bytes"] for arrival in result["timeline"]) == result["wire_bytes"]
    # Coarser windows seem to pause between arrivals, for two windows at most: far short of a
    # silence the verdict weighs (a fifth of the life).
    assert result["largest_gap_ms"] < 0.2 * result["end_ms"]
    assert result["verdict"] == "progressive"
