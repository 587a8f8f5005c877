"""HTTP/1.1: the response head at every split, the one request builder, the body reader the
head picks (chunked, a length, the close), and bytes made visible."""

from __future__ import annotations

import h11
import pytest

from app.wire.chunked import ChunkDecoder, PartKind, encode_chunked
from app.wire.errors import WireError
from app.wire.escape import escape_bytes
from app.wire.http import (
    MAX_HEAD_BYTES,
    CloseDelimitedReader,
    ContentLengthReader,
    Head,
    body_reader,
    encode_request,
    parse_head,
    request_target,
)
from app.wire.websocket import handshake_headers
from tests.wire.splits import splits


def head_of(*fields: str, status: str = "200 OK") -> Head:
    parsed = parse_head(("\r\n".join([f"HTTP/1.1 {status}", *fields]) + "\r\n\r\n").encode())
    assert parsed is not None
    return parsed[0]


def test_the_head_waits_for_its_blank_line_then_returns_the_rest() -> None:
    head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n"
    for cut in range(len(head)):
        assert parse_head(head[:cut]) is None
    parsed = parse_head(head + b"8\r\n")
    assert parsed is not None
    result, rest = parsed
    assert (result.status, result.reason, result.chunked, rest) == (200, "OK", True, b"8\r\n")
    assert result.headers["content-type"] == "text/plain"


def test_a_head_reads_its_length_and_what_is_not_http_is_refused() -> None:
    assert head_of("Content-Length: 12", status="400 Bad Request").content_length == 12
    with pytest.raises(WireError, match="status line"):
        parse_head(b"SSH-2.0-OpenSSH\r\n\r\n")
    with pytest.raises(WireError, match=f"first {MAX_HEAD_BYTES} bytes"):
        parse_head(b"HTTP/1.1 200 OK\r\nX: " + b"y" * MAX_HEAD_BYTES)


def test_a_field_sent_twice_is_one_list_and_a_repeated_length_is_one_length() -> None:
    fields = b"Via: 1.1 cdn\r\nContent-Length: 7\r\nVIA: 1.1 nginx\r\ncontent-length: 7\r\n"
    parsed = parse_head(b"HTTP/1.0 200 OK\r\n" + fields + b"\r\n")
    assert parsed is not None
    head, _ = parsed
    assert head.headers["via"] == "1.1 cdn, 1.1 nginx"
    assert (head.version, head.content_length) == ("HTTP/1.0", 7)
    assert head_of("Content-Length: 7", "Content-Length: 9").content_length is None


def test_the_request_builder_writes_what_h11_reads() -> None:
    host, target = request_target("http://user@example.com:8080/path?q=1")
    assert (host, target) == ("example.com:8080", "/path?q=1")
    assert request_target("http://example.com")[1] == "/"
    data = encode_request("POST", target, host, [("Accept", "*/*"), *handshake_headers("k")], b'{"a": 1}')
    server = h11.Connection(h11.SERVER)
    server.receive_data(data)
    request, body = server.next_event(), server.next_event()
    assert isinstance(request, h11.Request) and isinstance(body, h11.Data)
    assert (request.method, request.target, body.data) == (b"POST", b"/path?q=1", b'{"a": 1}')
    fields = dict(request.headers)
    assert (fields[b"host"], fields[b"content-length"], fields[b"upgrade"]) == (b"example.com:8080", b"8", b"websocket")


@pytest.mark.parametrize("bad", [("X", "a\r\nEvil: 1"), ("X\n", "a"), ("X", "a\0")])
def test_a_line_break_in_a_field_is_refused_not_sent(bad: tuple[str, str]) -> None:
    with pytest.raises(ValueError, match="line break"):
        encode_request("GET", "/", "example.com", [bad])


@pytest.mark.parametrize(
    ("fields", "method", "reader", "delimited_by_close", "done"),
    [
        (("Transfer-Encoding: chunked",), "GET", ChunkDecoder, False, False),
        (("Content-Length: 5",), "GET", ContentLengthReader, False, False),
        (("Content-Length: 0",), "GET", ContentLengthReader, False, True),
        (("Content-Length: 5",), "HEAD", ContentLengthReader, False, True),
        ((), "GET", CloseDelimitedReader, True, False),
    ],
)
def test_the_head_picks_the_body_reader(
    fields: tuple[str, ...], method: str, reader: type, delimited_by_close: bool, done: bool
) -> None:
    picked = body_reader(head_of(*fields), method)
    assert (type(picked), picked.delimited_by_close, picked.done) == (reader, delimited_by_close, done)


@pytest.mark.parametrize("status", ["204 No Content", "304 Not Modified"])
def test_a_204_or_304_has_no_body_whatever_its_fields_say(status: str) -> None:
    assert body_reader(head_of("Transfer-Encoding: chunked", status=status)).done


BODY = b"Chunk 0\nChunk 1\n"


@pytest.mark.parametrize(
    ("fields", "wire"),
    [
        (("Transfer-Encoding: chunked",), encode_chunked([b"Chunk 0\n", b"Chunk 1\n"])),
        ((f"Content-Length: {len(BODY)}",), BODY + b"HTTP/1.1 200 OK\r\n"),
        ((), BODY),
    ],
)
def test_every_reader_gives_the_body_across_every_split(fields: tuple[str, ...], wire: bytes) -> None:
    for reads in splits(wire):
        reader = body_reader(head_of(*fields))
        parts = [part for read in reads for part in reader.feed(read)]
        assert b"".join(part.raw for part in parts if part.kind is PartKind.DATA) == BODY, reads
        assert reader.done is not reader.delimited_by_close


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
