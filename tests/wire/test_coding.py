"""Content codings: what the relays' encoder writes, the decoder gives back at every split,
each message as soon as a sync flush put it on the wire."""

from __future__ import annotations

import gzip
import zlib

import pytest

from app.wire.coding import INFLATE_STEP, ContentDecoder, ContentEncoder
from app.wire.errors import Limit, TooLarge, WireError
from tests.wire.splits import splits

MESSAGES = [f"Chunk {i} @1764000000000.000\n".encode() for i in range(4)]


def encoded(flush: bool, encoding: str = "gzip") -> list[bytes]:
    """What the server sends through a compressor: one write per message, sync-flushed or not."""
    encoder = ContentEncoder(encoding)
    return [*(encoder.feed(message, flush) for message in MESSAGES), encoder.end()]


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
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


def test_each_sync_flushed_message_is_decoded_as_soon_as_it_arrives() -> None:
    decoder = ContentDecoder("gzip")
    assert [decoder.feed(write) for write in encoded(flush=True)] == [*MESSAGES, b""]


def test_unflushed_gzip_gives_nothing_until_the_end() -> None:
    decoder = ContentDecoder("gzip")
    *held, last = encoded(flush=False)
    assert b"".join(decoder.feed(write) for write in held) == b""
    assert decoder.feed(last) + decoder.flush() == b"".join(MESSAGES)


def test_an_unencoded_body_passes_through_and_what_cannot_be_decoded_is_refused() -> None:
    decoder = ContentDecoder("")
    assert (decoder.encoding, decoder.feed(b"Chunk 0\n"), decoder.flush()) == ("", b"Chunk 0\n", b"")
    with pytest.raises(WireError, match="'br'"):
        ContentDecoder("br")
    with pytest.raises(WireError, match="bad gzip body"):
        ContentDecoder("gzip").feed(b"not gzip at all")
    with pytest.raises(ValueError, match="'br'"):
        ContentEncoder("br")


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


def test_a_read_is_inflated_a_step_at_a_time_as_its_steps_are_taken() -> None:
    decoder = ContentDecoder("gzip", max_decoded=None)
    steps = decoder.steps(bomb(64 * INFLATE_STEP))
    assert len(next(steps)) == INFLATE_STEP
    assert decoder.decoded == INFLATE_STEP  # the rest of the read is still compressed
    assert [len(step) for step in steps] == [INFLATE_STEP] * 63
