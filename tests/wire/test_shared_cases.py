"""The cases the page's framers are held to (tests/wire_cases.json, read by
tests/browser/test_wire_cases.py too): the Python codecs give the same messages and sizes,
every input fed whole, split in two at every byte of its UTF-8 encoding, and byte by byte."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app.wire.chunked import chunk_framing_bytes
from app.wire.lines import LineCounter, LineSplitter
from app.wire.sse import EventCounter, SSEParser, encode_event, event_bytes
from app.wire.websocket import frame_header_bytes
from tests.wire.splits import fed, splits

CASES: dict[str, Any] = json.loads((Path(__file__).parents[1] / "wire_cases.json").read_text(encoding="utf-8"))


def named(kind: str) -> Any:
    return pytest.mark.parametrize("case", CASES[kind], ids=[case["name"] for case in CASES[kind]])


@named("sse")
def test_the_sse_parser_and_counter_give_each_cases_events(case: dict[str, Any]) -> None:
    for reads in splits(case["input"].encode()):
        counter = EventCounter()
        for read in reads:
            counter.feed(read)
        assert [event.data for event in fed(SSEParser().feed, reads)] == case["events"], reads
        assert counter.messages == len(case["events"]), reads


@named("lines")
def test_the_line_splitter_and_counter_give_each_cases_lines(case: dict[str, Any]) -> None:
    for reads in splits(case["input"].encode()):
        splitter, counter = LineSplitter(), LineCounter()
        assert fed(splitter.feed, reads) + splitter.close() == case["lines"], reads
        assert sum(counter.feed(read) for read in reads) + counter.close() == len(case["lines"]), reads


def test_the_arithmetic_gives_each_cases_sizes() -> None:
    assert [[size, chunk_framing_bytes(size)] for size, _ in CASES["chunk_framing"]] == CASES["chunk_framing"]
    assert [[size, frame_header_bytes(size)] for size, _ in CASES["ws_frame_header"]] == CASES["ws_frame_header"]
    for case in CASES["sse_event_bytes"]:
        assert event_bytes(case["id"], case["data"]) == len(encode_event(case["id"], case["data"]).encode())
        assert event_bytes(case["id"], case["data"]) == case["bytes"], case
