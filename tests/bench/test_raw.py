"""The load generator's raw readers count what aiohttp's client would, however the reads fall."""

from __future__ import annotations

import pytest

from app.bench.raw import ChunkedBody, Frames
from tests.client.test_parsers import splits


def chunked(*payloads: bytes) -> bytes:
    return b"".join(b"%x\r\n%s\r\n" % (len(payload), payload) for payload in payloads) + b"0\r\n\r\n"


def frame(opcode: int, payload: bytes) -> bytes:
    length = len(payload)
    if length < 126:
        return bytes([0x80 | opcode, length]) + payload
    if length < 65536:
        return bytes([0x80 | opcode, 126]) + length.to_bytes(2, "big") + payload
    return bytes([0x80 | opcode, 127]) + length.to_bytes(8, "big") + payload


@pytest.mark.parametrize(
    ("payloads", "delimiter", "messages"),
    [
        ((b"Chunk 0\n", b"Chunk 1\n", b"Chunk 2\n"), b"\n", 3),
        ((b"id: 0\ndata: a\n\n", b"id: 1\ndata: b\n\n"), b"\n\n", 2),
        ((b'[\n{"id": 1}\n,\n', b'{"id": 2}\n', b"]"), b"}\n", 2),
        # Nested JSON: no end marker, one message per chunk.
        ((b'{"users":[{"id":1', b',"name":"Tom"', b"}"), None, 3),
        # A message of more than one chunk still counts once by its marker.
        ((b"Chunk 0 xx", b"x\n"), b"\n", 1),
    ],
)
def test_a_chunked_body_is_counted_by_its_messages_across_every_split(
    payloads: tuple[bytes, ...], delimiter: bytes | None, messages: int
) -> None:
    body = chunked(*payloads)
    for reads in splits(body):
        counted = ChunkedBody(delimiter)
        for read in reads:
            counted.feed(read)
        assert counted.done, reads
        assert (counted.messages, counted.payload_bytes) == (messages, sum(map(len, payloads))), reads


def test_a_large_chunk_with_a_chunk_extension_is_read_whole() -> None:
    payload = b"x" * 70_000 + b"\n"
    body = b"%x;name=value\r\n%s\r\n0\r\n\r\n" % (len(payload), payload)
    counted = ChunkedBody(b"\n")
    for start in range(0, len(body), 4096):
        counted.feed(body[start : start + 4096])
    assert (counted.messages, counted.payload_bytes, counted.done) == (1, len(payload), True)


def test_frames_count_text_messages_of_every_length_form_until_the_close() -> None:
    texts = [b"WebSocket message 0", b"y" * 300, b"z" * 70_000]
    stream = b"".join(frame(0x1, text) for text in texts) + frame(0x9, b"ping") + frame(0x8, b"\x03\xe8")
    for size in (1, 2, 3, 7, 1000, len(stream)):
        frames = Frames()
        for start in range(0, len(stream), size):
            frames.feed(stream[start : start + size])
        assert (frames.messages, frames.payload_bytes, frames.closed) == (3, sum(map(len, texts)), True), size


def test_frames_split_inside_a_header_are_read_whole() -> None:
    stream = frame(0x1, b"a" * 200) + frame(0x1, b"b")
    for reads in splits(stream[:6]):
        frames = Frames()
        for read in [*reads, stream[6:]]:
            frames.feed(read)
        assert (frames.messages, frames.payload_bytes) == (2, 201), reads
