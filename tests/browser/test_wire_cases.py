"""The page's framers and wire arithmetic, held to the cases the Python codecs are held to
(tests/wire_cases.json): the modules the real page loads, from the real server, fed every
text input whole, split in two at every position, and one character per push.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page

from tests.browser.dashboard import open_dashboard

pytestmark = pytest.mark.browser

CASES = json.loads((Path(__file__).parents[1] / "wire_cases.json").read_text(encoding="utf-8"))

#: Every case in one round trip. Pieces are cut between characters (code points), as a
#: TextDecoder hands them over; a push's time is its place in the feed.
FEED_IN_PAGE = """async ({ sse, lines, chunk_framing, ws_frame_header, sse_event_bytes }) => {
    const { eventFramer, lineFramer } = await import("/static/js/framing.js");
    const { chunkFraming, sseEventBytes, wsFrameHeader } = await import("/static/js/wire.js");
    const feeds = (input) => {
        const chars = [...input];
        const halves = [...Array(chars.length + 1).keys()].map((at) =>
            [`split at ${at}`, [chars.slice(0, at).join(""), chars.slice(at).join("")]]);
        return [["whole", [input]], ...halves, ["one character per push", chars]];
    };
    const events = (pieces) => {
        const out = [];
        const framer = eventFramer((text) => out.push(text));
        pieces.forEach((piece, t) => framer.push(piece, t));
        framer.end(pieces.length);
        return { events: out };
    };
    // Each line's raw extent and what end() returns are the body's bytes, no more, no less.
    const lineBytes = (pieces) => {
        const out = [];
        let bytes = 0;
        const framer = lineFramer((line) => [line, null], (text, stamp, t, raw) => {
            out.push(text);
            bytes += raw;
        });
        pieces.forEach((piece, t) => framer.push(piece, t));
        const rest = framer.end(pieces.length); // after the last line's emit has counted it
        bytes += rest;
        return { lines: out, bytes };
    };
    const fed = (cases, frame) => cases.map((c) => feeds(c.input).map(([how, pieces]) => [how, frame(pieces)]));
    return {
        sse: fed(sse, events),
        lines: fed(lines, lineBytes),
        chunk_framing: chunk_framing.map(([size]) => chunkFraming(size)),
        ws_frame_header: ws_frame_header.map(([payload]) => wsFrameHeader(payload)),
        sse_event_bytes: sse_event_bytes.map(({ id, data }) => sseEventBytes(id, data)),
    };
}"""


def framed(kind: str, case: dict[str, Any]) -> dict[str, Any]:
    """What a case's input must come out as, however it is cut."""
    if kind == "sse":
        return {"events": case["events"]}
    return {"lines": case["lines"], "bytes": len(case["input"].encode())}


def framing_mistakes(kind: str, results: list[list[Any]]) -> list[str]:
    """One line per case and feed whose output is not the case's."""
    return [
        f"{kind} {case['name']!r}, {how}: {got} (not {framed(kind, case)})"
        for case, fed in zip(CASES[kind], results, strict=True)
        for how, got in fed
        if got != framed(kind, case)
    ]


async def test_the_page_frames_and_counts_every_shared_wire_case(page: Page, base_url: str) -> None:
    await open_dashboard(page, base_url)
    got = await page.evaluate(FEED_IN_PAGE, CASES)
    mistakes = framing_mistakes("sse", got["sse"]) + framing_mistakes("lines", got["lines"])
    assert not mistakes, "\n".join(mistakes)
    assert got["chunk_framing"] == [size for _, size in CASES["chunk_framing"]]
    assert got["ws_frame_header"] == [size for _, size in CASES["ws_frame_header"]]
    assert got["sse_event_bytes"] == [case["bytes"] for case in CASES["sse_event_bytes"]]
