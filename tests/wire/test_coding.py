"""Content codings: what the relays' encoder writes, the decoder gives back at every split,
each message as soon as a sync flush put it on the wire."""

from __future__ import annotations

import gzip
import zlib

import brotli
import pytest

try:
    from compression import zstd  # type: ignore[import-not-found]
except ImportError:
    from backports import zstd  # type: ignore[no-redef]

from app.wire.coding import ENCODINGS, INFLATE_STEP, ContentDecoder, ContentEncoder
from app.wire.errors import Limit, TooLarge, WireError
from tests.wire.splits import splits

MESSAGES = [f"Chunk {i} @1764000000000.000\n".encode() for i in range(4)]


def encoded(flush: bool, encoding: str = "gzip") -> list[bytes]:
    """What the server sends through a compressor: one write per message, sync-flushed or not."""
    encoder = ContentEncoder(encoding)
    return [*(encoder.feed(message, flush) for message in MESSAGES), encoder.end()]


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("flush", [True, False])
def test_the_decoder_gives_back_the_body_across_every_split(flush: bool, encoding: str) -> None:
    for reads in splits(b"".join(encoded(flush, encoding))):
        decoder = ContentDecoder(encoding)
        assert b"".join(decoder.feed(read) for read in reads) + decoder.flush() == b"".join(MESSAGES), reads


def test_a_body_of_several_gzip_members_is_decoded_whole_across_every_split() -> None:
    # A server that compresses each write on its own (Django's gzip on an async view) sends
    # one gzip member per message: RFC 1952 makes the body their concatenation.
    body = b"".join(gzip.compress(message, mtime=0) for message in MESSAGES)
    for reads in splits(body):
        decoder = ContentDecoder("gzip")
        assert b"".join(decoder.feed(read) for read in reads) + decoder.flush() == b"".join(MESSAGES), reads
        assert decoder.decoded == len(b"".join(MESSAGES))


def test_bytes_after_a_gzip_member_that_are_not_one_are_refused() -> None:
    decoder = ContentDecoder("gzip")
    with pytest.raises(WireError, match="bad gzip body"):
        decoder.feed(gzip.compress(MESSAGES[0]) + b"not gzip at all")


def test_what_the_encoder_writes_is_gzip_any_reader_takes() -> None:
    assert gzip.decompress(b"".join(encoded(flush=True))) == b"".join(MESSAGES)
    assert zlib.decompress(b"".join(encoded(flush=False, encoding="deflate"))) == b"".join(MESSAGES)


def test_what_the_encoder_writes_as_br_and_zstd_their_own_libraries_take() -> None:
    assert brotli.decompress(b"".join(encoded(flush=False, encoding="br"))) == b"".join(MESSAGES)
    assert zstd.decompress(b"".join(encoded(flush=True, encoding="zstd"))) == b"".join(MESSAGES)


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_each_flushed_message_is_decoded_as_soon_as_it_arrives(encoding: str) -> None:
    decoder = ContentDecoder(encoding)
    assert [decoder.feed(write) for write in encoded(flush=True, encoding=encoding)] == [*MESSAGES, b""]


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_unflushed_compression_gives_nothing_until_the_end(encoding: str) -> None:
    decoder = ContentDecoder(encoding)
    *held, last = encoded(flush=False, encoding=encoding)
    assert b"".join(decoder.feed(write) for write in held) == b""
    assert decoder.feed(last) + decoder.flush() == b"".join(MESSAGES)


def test_a_body_of_several_zstd_frames_is_decoded_whole() -> None:
    body = b"".join(zstd.compress(message) for message in MESSAGES)
    for reads in splits(body):
        decoder = ContentDecoder("zstd")
        assert b"".join(decoder.feed(read) for read in reads) == b"".join(MESSAGES), reads


@pytest.mark.parametrize("encoding", ["br", "zstd"])
def test_bytes_that_are_not_the_encoding_are_refused(encoding: str) -> None:
    with pytest.raises(WireError, match=f"bad {encoding} body"):
        ContentDecoder(encoding).feed(b"not compressed at all, not a bit")


def test_an_unencoded_body_passes_through_and_what_cannot_be_decoded_is_refused() -> None:
    decoder = ContentDecoder("")
    assert (decoder.encoding, decoder.feed(b"Chunk 0\n"), decoder.flush()) == ("", b"Chunk 0\n", b"")
    with pytest.raises(WireError, match="'compress'"):
        ContentDecoder("compress")
    with pytest.raises(WireError, match="bad gzip body"):
        ContentDecoder("gzip").feed(b"not gzip at all")
    with pytest.raises(ValueError, match="'compress'"):
        ContentEncoder("compress")


def bomb(decoded: int) -> bytes:
    """`decoded` zero bytes, gzipped: about a thousand to one."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    return compressor.compress(bytes(decoded)) + compressor.flush()


def test_a_body_that_inflates_past_the_bound_is_refused_before_more_than_a_step_past_it() -> None:
    decoder = ContentDecoder("gzip", max_decoded=4 * INFLATE_STEP)
    with pytest.raises(TooLarge, match="decoded body over 4 MiB") as raised:
        decoder.feed(bomb(64 * INFLATE_STEP))  # one read: 64 KiB that would inflate to 64 MiB
    assert raised.value.limit is Limit.DECODED
    assert raised.value.size == 4 * INFLATE_STEP
    assert decoder.decoded <= 5 * INFLATE_STEP


def test_a_read_is_inflated_whole_in_steps_and_the_bound_counts_the_whole_body() -> None:
    body = bomb(3 * INFLATE_STEP + 5)
    decoder = ContentDecoder("gzip", max_decoded=3 * INFLATE_STEP + 5)
    assert decoder.feed(body) + decoder.flush() == bytes(3 * INFLATE_STEP + 5)
    with pytest.raises(TooLarge):
        ContentDecoder("gzip", max_decoded=3 * INFLATE_STEP + 4).feed(body)


def test_an_unencoded_body_is_not_held_to_the_decoded_bound() -> None:
    decoder = ContentDecoder("", max_decoded=4)
    assert decoder.feed(b"more than four") == b"more than four"


@pytest.mark.parametrize("encoding", ["br", "zstd"])
def test_a_br_or_zstd_bomb_is_refused_a_step_or_two_past_the_bound(encoding: str) -> None:
    encoder = ContentEncoder(encoding)
    body = encoder.feed(bytes(64 * INFLATE_STEP)) + encoder.end()
    assert len(body) < 64 * 1024  # 64 MiB of zeros in a few KiB
    decoder = ContentDecoder(encoding, max_decoded=4 * INFLATE_STEP)
    with pytest.raises(TooLarge, match="decoded body over 4 MiB"):
        decoder.feed(body)
    assert decoder.decoded <= 6 * INFLATE_STEP  # Brotli's step may pass its limit by up to a step


def test_a_read_is_inflated_a_step_at_a_time_as_its_steps_are_taken() -> None:
    decoder = ContentDecoder("gzip", max_decoded=None)
    steps = decoder.steps(bomb(64 * INFLATE_STEP))
    assert len(next(steps)) == INFLATE_STEP
    assert decoder.decoded == INFLATE_STEP  # the rest of the read is still compressed
    assert [len(step) for step in steps] == [INFLATE_STEP] * 63
