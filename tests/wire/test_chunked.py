"""Chunked coding: the strict decoder's parts and the counting decoder's counts at every split,
the two held to each other, and the encoder and its arithmetic."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.wire.chunked import (
    LAST_CHUNK,
    LAST_CHUNK_BYTES,
    MAX_SIZE_LINE,
    ChunkCounter,
    ChunkDecoder,
    Part,
    PartKind,
    chunk_framing_bytes,
    encode_chunk,
    encode_chunked,
)
from app.wire.errors import WireError
from tests.wire.splits import cut_at, examples, fed, splits

CHUNKED = b"8\r\nChunk 0\n\r\n8\r\nChunk 1\n\r\n0\r\n\r\n"


def joined(parts: list[Part]) -> list[tuple[PartKind, bytes]]:
    """Adjacent data parts merged, so results compare whatever the split."""
    out: list[tuple[PartKind, bytes]] = []
    for part in parts:
        if out and part.kind is PartKind.DATA and out[-1][0] is PartKind.DATA:
            out[-1] = (PartKind.DATA, out[-1][1] + part.raw)
        else:
            out.append((part.kind, part.raw))
    return out


#: The last chunk and the end of its (empty) trailer, as every body ends.
LAST = [(PartKind.LAST, b"0\r\n"), (PartKind.TRAILER, b"\r\n")]
CHUNK_CASES = [
    (
        CHUNKED,
        [
            *[(PartKind.SIZE, b"8\r\n"), (PartKind.DATA, b"Chunk 0\n"), (PartKind.END, b"\r\n")],
            *[(PartKind.SIZE, b"8\r\n"), (PartKind.DATA, b"Chunk 1\n"), (PartKind.END, b"\r\n")],
            *LAST,
        ],
    ),
    (
        b"1A;ext=1\r\n" + b"x" * 26 + b"\r\n0\r\n\r\n",
        [(PartKind.SIZE, b"1A;ext=1\r\n"), (PartKind.DATA, b"x" * 26), (PartKind.END, b"\r\n"), *LAST],
    ),
    (
        b"3\r\n\r\n\n\r\n0\r\nExpires: never\r\n\r\n",
        [
            *[(PartKind.SIZE, b"3\r\n"), (PartKind.DATA, b"\r\n\n"), (PartKind.END, b"\r\n")],
            (PartKind.LAST, b"0\r\n"),
            (PartKind.TRAILER, b"Expires: never\r\n"),
            (PartKind.TRAILER, b"\r\n"),
        ],
    ),
]


@pytest.mark.parametrize(("data", "parts"), CHUNK_CASES)
def test_the_strict_decoder_shows_every_wire_element_across_every_split(data: bytes, parts: list) -> None:
    for reads in splits(data):
        decoder = ChunkDecoder()
        assert joined(fed(decoder.feed, reads)) == parts, reads
        assert decoder.done


@pytest.mark.parametrize(("data", "parts"), CHUNK_CASES)
def test_the_counting_decoder_counts_the_same_chunks_and_payload_across_every_split(data: bytes, parts: list) -> None:
    payload = b"".join(raw for kind, raw in parts if kind is PartKind.DATA)
    chunks = sum(1 for kind, _ in parts if kind is PartKind.SIZE)
    for reads in splits(data):
        handed: list[bytes] = []
        counter = ChunkCounter(handed.append)
        for read in reads:
            counter.feed(read)
        assert (counter.chunks, counter.payload_bytes, counter.done) == (chunks, len(payload), True), reads
        assert b"".join(handed) == payload, reads


def test_a_large_chunk_with_an_extension_is_counted_whole() -> None:
    payload = b"x" * 70_000 + b"\n"
    body = b"%x;name=value\r\n%s\r\n0\r\n\r\n" % (len(payload), payload)
    counter = ChunkCounter()
    for start in range(0, len(body), 4096):
        counter.feed(body[start : start + 4096])
    assert (counter.chunks, counter.payload_bytes, counter.done) == (1, len(payload), True)


def test_both_decoders_ignore_what_follows_the_body() -> None:
    decoder, counter = ChunkDecoder(), ChunkCounter()
    parts = decoder.feed(CHUNKED + b"HTTP/1.1 200 OK\r\n")
    counter.feed(CHUNKED + b"zz\r\n")
    assert [part.size for part in parts if part.kind is PartKind.SIZE] == [8, 8]
    assert decoder.done and counter.done and counter.payload_bytes == 16


BAD_FRAMING = [b"zz\r\n", b"\r\n", b"8\r\nChunk 0\nXX", b"-1\r\n", b"0x8\r\n", b"1_0\r\n", b"8" * (MAX_SIZE_LINE + 1)]


@pytest.mark.parametrize("data", BAD_FRAMING)
def test_both_decoders_refuse_the_same_malformed_framing(data: bytes) -> None:
    with pytest.raises(WireError):
        ChunkDecoder().feed(data)
    with pytest.raises(WireError):
        ChunkCounter().feed(data)


payloads = st.lists(st.binary(min_size=1, max_size=300), max_size=6)


@examples(60)
@given(payloads=payloads, cuts=st.lists(st.integers(min_value=1, max_value=2000), max_size=8))
def test_the_strict_and_counting_decoders_agree_however_the_reads_fall(payloads: list[bytes], cuts: list[int]) -> None:
    body = encode_chunked(payloads)
    decoder, handed = ChunkDecoder(), bytearray()
    counter = ChunkCounter(handed.extend)
    parts = []
    for read in cut_at(body, cuts):
        parts += decoder.feed(read)
        counter.feed(read)
    data = b"".join(part.raw for part in parts if part.kind is PartKind.DATA)
    sizes = sum(1 for part in parts if part.kind is PartKind.SIZE)
    assert (
        (counter.chunks, counter.payload_bytes, bytes(handed))
        == (sizes, len(data), data)
        == (
            len(payloads),
            sum(map(len, payloads)),
            b"".join(payloads),
        )
    )
    assert decoder.done and counter.done
    framing = sum(len(part.raw) for part in parts if part.kind is not PartKind.DATA)
    assert framing == sum(chunk_framing_bytes(len(p)) for p in payloads) + LAST_CHUNK_BYTES


@pytest.mark.parametrize(("size", "framing"), [(1, 5), (8, 5), (15, 5), (16, 6), (255, 6), (256, 7), (65536, 9)])
def test_chunk_framing_bytes_is_what_the_encoder_adds(size: int, framing: int) -> None:
    assert chunk_framing_bytes(size) == framing == len(encode_chunk(b"x" * size)) - size


def test_the_last_chunk_is_written_on_purpose_only() -> None:
    assert (LAST_CHUNK, LAST_CHUNK_BYTES) == (b"0\r\n\r\n", 5)
    with pytest.raises(ValueError, match="last chunk"):
        encode_chunk(b"")
