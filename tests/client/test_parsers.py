"""The client's wire parsers as pure functions: every input is also fed split at every byte."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from typing import TypeVar

import pytest

from app.client.parsers import LineSplitter, SSEEvent, SSEParser, split_stamp
from app.client.wire import (
    BodyDecoder,
    ChunkDecoder,
    PartKind,
    WireError,
    chunk_framing_bytes,
    escape_bytes,
    parse_head,
    ws_frame_header_bytes,
)

T = TypeVar("T")


def splits(data: bytes) -> Iterator[list[bytes]]:
    """The whole input, then every way of cutting it in two, then one byte at a time."""
    yield [data]
    for cut in range(1, len(data)):
        yield [data[:cut], data[cut:]]
    yield [data[i : i + 1] for i in range(len(data))]


def fed(feed: Callable[[bytes], list[T]], reads: list[bytes]) -> list[T]:
    return [item for read in reads for item in feed(read)]


# --- lines (text, NDJSON, ijson events) -------------------------------------------------------

LINE_CASES = [
    (b"Chunk 0\nChunk 1\n", ["Chunk 0", "Chunk 1"], []),
    (b"Chunk 0\r\nChunk 1\r\n", ["Chunk 0", "Chunk 1"], []),
    (b'{"id": 1}\n{"id": 2}', ['{"id": 1}'], ['{"id": 2}']),
    (b"\n\n", ["", ""], []),
    ("caf\u00e9 \u2603\n".encode(), ["caf\u00e9 \u2603"], []),
    (b"", [], []),
]


@pytest.mark.parametrize(("data", "lines", "tail"), LINE_CASES)
def test_line_splitter_keeps_partial_lines_across_every_split(data: bytes, lines: list[str], tail: list[str]) -> None:
    for reads in splits(data):
        splitter = LineSplitter()
        assert fed(splitter.feed, reads) == lines, reads
        assert splitter.close() == tail


def test_line_splitter_gives_a_line_as_soon_as_its_newline_arrives() -> None:
    splitter = LineSplitter()
    assert splitter.feed(b"Chunk 0\nChu") == ["Chunk 0"]
    assert splitter.feed(b"nk 1") == []
    assert splitter.feed(b"\n") == ["Chunk 1"]


# --- Server-Sent Events ----------------------------------------------------------------------

SSE_CASES = [
    (b"id: 0\ndata: SSE message 0\n\n", [SSEEvent("SSE message 0", last_event_id="0")]),
    (b"data: a\r\ndata: b\r\n\r\n", [SSEEvent("a\nb")]),
    (b"data: a\rdata: b\r\r", [SSEEvent("a\nb")]),
    (b": comment\ndata:no space\n\n", [SSEEvent("no space")]),
    (b"data:  two spaces\n\n", [SSEEvent(" two spaces")]),
    (b"event: tick\ndata: x\n\ndata: y\n\n", [SSEEvent("x", event="tick"), SSEEvent("y")]),
    (b"id: 7\n\ndata: later\n\n", [SSEEvent("later", last_event_id="7")]),
    (b"id: 1\ndata: x\n\nid\ndata: y\n\n", [SSEEvent("x", last_event_id="1"), SSEEvent("y")]),
    (b"retry: 2500\ndata: x\n\nretry: soon\ndata: y\n\n", [SSEEvent("x", retry=2500), SSEEvent("y", retry=2500)]),
    (b"data\n\n", [SSEEvent("")]),
    (b"data: no blank line yet\n", []),
    (b"\xef\xbb\xbfdata: bom\n\n", [SSEEvent("bom")]),
    (b"id: a\x00b\ndata: x\n\n", [SSEEvent("x")]),
    ("data: \u2603\n\n".encode(), [SSEEvent("\u2603")]),
    (b"unknown: field\ndata: x\n\n", [SSEEvent("x")]),
]


@pytest.mark.parametrize(("data", "events"), SSE_CASES)
def test_sse_parser_follows_eventsource_rules_across_every_split(data: bytes, events: list[SSEEvent]) -> None:
    for reads in splits(data):
        assert fed(SSEParser().feed, reads) == events, reads


def test_sse_cr_at_the_end_of_a_read_and_lf_at_the_start_of_the_next_are_one_line_end() -> None:
    parser = SSEParser()
    assert parser.feed(b"data: x\r") == []
    assert parser.feed(b"\n\r") == [SSEEvent("x")]
    assert parser.feed(b"\ndata: y\n\n") == [SSEEvent("y")]


def test_sse_last_event_id_moves_only_when_an_event_is_dispatched() -> None:
    # A connection cut inside event 2: a reconnect must resume after 1, not after 2.
    for reads in splits(b"id: 1\ndata: x\n\nid: 2\ndata: y\n"):
        parser = SSEParser()
        assert fed(parser.feed, reads) == [SSEEvent("x", last_event_id="1")], reads
        assert parser.last_event_id == "1"


def test_sse_an_id_without_data_still_sets_the_last_event_id() -> None:
    parser = SSEParser()
    assert parser.feed(b"id: 5\n\n") == []
    assert parser.last_event_id == "5"


def test_sse_parser_seeded_with_the_last_event_id_keeps_it_across_a_reconnection() -> None:
    parser = SSEParser(last_event_id="4")
    assert parser.last_event_id == "4"
    assert parser.feed(b"data: x\n\nid: 5\ndata: y\n\n") == [
        SSEEvent("x", last_event_id="4"),
        SSEEvent("y", last_event_id="5"),
    ]


def test_sse_retry_takes_effect_without_an_event() -> None:
    for reads in splits(b"retry: 500\n\n: keep-alive\n\n"):
        parser = SSEParser()
        assert fed(parser.feed, reads) == []
        assert parser.retry == 500


# --- stamps ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Chunk 0 @1764000000000.000", ("Chunk 0", 1764000000000.0)),
        ("SSE message 3 xxxx @1764000000001.250", ("SSE message 3 xxxx", 1764000000001.25)),
        ("Chunk 0", ("Chunk 0", None)),
        ("Chunk 0 @17640", ("Chunk 0 @17640", None)),
        ("mail me @1764000000000.000 now", ("mail me @1764000000000.000 now", None)),
    ],
)
def test_split_stamp(text: str, expected: tuple[str, float | None]) -> None:
    assert split_stamp(text) == expected


# --- chunked framing -------------------------------------------------------------------------

CHUNKED = b"8\r\nChunk 0\n\r\n8\r\nChunk 1\n\r\n0\r\n\r\n"


def joined(parts: list) -> list[tuple[PartKind, bytes]]:
    """Adjacent data parts merged, so results compare whatever the split."""
    out: list[tuple[PartKind, bytes]] = []
    for part in parts:
        if out and part.kind is PartKind.DATA and out[-1][0] is PartKind.DATA:
            out[-1] = (PartKind.DATA, out[-1][1] + part.raw)
        else:
            out.append((part.kind, part.raw))
    return out


CHUNK_CASES = [
    (
        CHUNKED,
        [
            (PartKind.SIZE, b"8\r\n"),
            (PartKind.DATA, b"Chunk 0\n"),
            (PartKind.END, b"\r\n"),
            (PartKind.SIZE, b"8\r\n"),
            (PartKind.DATA, b"Chunk 1\n"),
            (PartKind.END, b"\r\n"),
            (PartKind.LAST, b"0\r\n"),
            (PartKind.TRAILER, b"\r\n"),
        ],
    ),
    (
        b"1A;ext=1\r\n" + b"x" * 26 + b"\r\n0\r\n\r\n",
        [
            (PartKind.SIZE, b"1A;ext=1\r\n"),
            (PartKind.DATA, b"x" * 26),
            (PartKind.END, b"\r\n"),
            (PartKind.LAST, b"0\r\n"),
            (PartKind.TRAILER, b"\r\n"),
        ],
    ),
    (
        b"3\r\n\r\n\n\r\n0\r\n\r\n",
        [
            (PartKind.SIZE, b"3\r\n"),
            (PartKind.DATA, b"\r\n\n"),
            (PartKind.END, b"\r\n"),
            (PartKind.LAST, b"0\r\n"),
            (PartKind.TRAILER, b"\r\n"),
        ],
    ),
]


@pytest.mark.parametrize(("data", "parts"), CHUNK_CASES)
def test_chunk_decoder_shows_every_wire_element_across_every_split(data: bytes, parts: list) -> None:
    for reads in splits(data):
        decoder = ChunkDecoder()
        assert joined(fed(decoder.feed, reads)) == parts, reads
        assert decoder.done


def test_chunk_decoder_reports_sizes_and_ignores_bytes_after_the_end() -> None:
    decoder = ChunkDecoder()
    parts = decoder.feed(CHUNKED + b"HTTP/1.1 200 OK\r\n")
    assert [part.size for part in parts if part.kind is PartKind.SIZE] == [8, 8]
    assert decoder.done


@pytest.mark.parametrize("data", [b"zz\r\n", b"\r\n", b"8\r\nChunk 0\nXX", b"-1\r\n", b"8" * 2000])
def test_chunk_decoder_refuses_malformed_framing(data: bytes) -> None:
    with pytest.raises(WireError):
        ChunkDecoder().feed(data)


@pytest.mark.parametrize(("size", "framing"), [(0, 5), (8, 5), (15, 5), (16, 6), (65536, 9)])
def test_chunk_framing_bytes(size: int, framing: int) -> None:
    assert chunk_framing_bytes(size) == framing


@pytest.mark.parametrize(
    ("payload", "masked", "header"),
    [(0, False, 2), (125, False, 2), (126, False, 4), (65535, False, 4), (65536, False, 10), (20, True, 6)],
)
def test_ws_frame_header_bytes(payload: int, masked: bool, header: int) -> None:
    assert ws_frame_header_bytes(payload, masked) == header


def test_parse_head_waits_for_the_blank_line_then_returns_the_rest() -> None:
    head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n"
    for cut in range(len(head)):
        assert parse_head(head[:cut]) is None
    parsed = parse_head(head + b"8\r\n")
    assert parsed is not None
    result, rest = parsed
    assert (result.status, result.reason, result.chunked, rest) == (200, "OK", True, b"8\r\n")
    assert result.headers["content-type"] == "text/plain"


def test_parse_head_reads_content_length_and_refuses_non_http() -> None:
    parsed = parse_head(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 12\r\n\r\n")
    assert parsed is not None and parsed[0].content_length == 12 and not parsed[0].chunked
    with pytest.raises(WireError):
        parse_head(b"SSH-2.0-OpenSSH\r\n\r\n")


@pytest.mark.parametrize(
    ("data", "limit", "shown"),
    [
        (b"8\r\nChunk 0\n\r\n", 0, "8\\r\\nChunk 0\\n\\r\\n"),
        (b"\x00\xff\t", 0, "\\x00\\xff\\t"),
        (b"x" * 10, 4, "xxxx... (+6 bytes)"),
    ],
)
def test_escape_bytes_makes_framing_visible(data: bytes, limit: int, shown: str) -> None:
    assert escape_bytes(data, limit) == shown


# --- content encoding ------------------------------------------------------------------------

MESSAGES = [f"Chunk {i} @1764000000000.000\n".encode() for i in range(4)]


def gzip_stream(flush: bool) -> list[bytes]:
    """What the server sends through gzip: one write per message, sync-flushed or not."""
    compressor = zlib.compressobj(wbits=zlib.MAX_WBITS | 16)
    writes = [compressor.compress(m) + (compressor.flush(zlib.Z_SYNC_FLUSH) if flush else b"") for m in MESSAGES]
    return [*writes, compressor.flush()]


@pytest.mark.parametrize("flush", [True, False])
def test_body_decoder_gives_back_the_healthy_body_across_every_split(flush: bool) -> None:
    for reads in splits(b"".join(gzip_stream(flush))):
        decoder = BodyDecoder("gzip")
        assert b"".join(decoder.feed(read) for read in reads) + decoder.flush() == b"".join(MESSAGES), reads


def test_body_decoder_gives_each_sync_flushed_message_as_soon_as_it_arrives() -> None:
    decoder = BodyDecoder("gzip")
    assert [decoder.feed(write) for write in gzip_stream(flush=True)] == [*MESSAGES, b""]


def test_body_decoder_gets_nothing_from_unflushed_gzip_until_the_end() -> None:
    decoder = BodyDecoder("gzip")
    *held, last = gzip_stream(flush=False)
    assert b"".join(decoder.feed(write) for write in held) == b""
    assert decoder.feed(last) + decoder.flush() == b"".join(MESSAGES)


def test_body_decoder_passes_an_unencoded_body_through_and_refuses_what_it_cannot_decode() -> None:
    decoder = BodyDecoder("")
    assert (decoder.encoding, decoder.feed(b"Chunk 0\n"), decoder.flush()) == ("", b"Chunk 0\n", b"")
    with pytest.raises(WireError, match="'br'"):
        BodyDecoder("br")
    with pytest.raises(WireError, match="bad gzip body"):
        BodyDecoder("gzip").feed(b"not gzip at all")


def test_a_field_sent_twice_is_one_list_and_a_repeated_length_is_one_length() -> None:
    fields = b"Via: 1.1 cdn\r\nContent-Length: 7\r\nVIA: 1.1 nginx\r\ncontent-length: 7\r\n"
    parsed = parse_head(b"HTTP/1.0 200 OK\r\n" + fields + b"\r\n")
    assert parsed is not None
    head, _ = parsed
    assert head.headers["via"] == "1.1 cdn, 1.1 nginx"
    assert (head.version, head.content_length) == ("HTTP/1.0", 7)
    conflicting = parse_head(b"HTTP/1.1 200 OK\r\nContent-Length: 7\r\nContent-Length: 9\r\n\r\n")
    assert conflicting is not None and conflicting[0].content_length is None
