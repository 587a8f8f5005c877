"""CountingBody over a hand-fed aiohttp StreamReader: what the parsers get, decoded, and what
the wire carried, counted, whatever the compressor let out in each chunk."""

from __future__ import annotations

import asyncio
from unittest import mock

import aiohttp
import pytest

from app.client.compare.body import CountingBody
from app.client.compare.model import StreamResult
from app.wire.chunked import chunk_framing_bytes
from app.wire.coding import ContentDecoder, ContentEncoder

MESSAGES = [b"Chunk 0\n", b"Chunk 1\n"]


def chunked_reader(chunks: list[bytes], marked: bool = True) -> aiohttp.StreamReader:
    """A body as aiohttp's parser hands it over: each HTTP chunk marked (unless the body is
    not chunked: Content-Length, or delimited by the close), then the end."""
    protocol = mock.Mock(_reading_paused=False)
    reader = aiohttp.StreamReader(protocol, 2**16, loop=asyncio.get_running_loop())
    for chunk in chunks:
        if marked:
            reader.begin_http_chunk_receiving()
        reader.feed_data(chunk)
        if marked:
            reader.end_http_chunk_receiving()
    reader.feed_eof()
    return reader


def new_result() -> StreamResult:
    return StreamResult(endpoint="chunked", shape="lines", url="http://test/chunked")


async def read_all(body: CountingBody) -> list[bytes]:
    reads = []
    while data := await body.read():
        reads.append(data)
    return reads


async def test_an_unencoded_body_is_counted_chunk_by_chunk() -> None:
    result = new_result()
    body = CountingBody(chunked_reader(MESSAGES), result, ContentDecoder(""))
    assert await read_all(body) == MESSAGES
    assert (result.body_bytes, result.encoded_bytes, result.chunks) == (16, None, 2)
    assert result.transfer_bytes == 2 * chunk_framing_bytes(8)


@pytest.mark.parametrize("marked", [True, False])
async def test_bytes_that_decode_to_nothing_are_not_mistaken_for_the_end(marked: bool) -> None:
    # gzip's 10-byte header goes out in a chunk of its own, before any message
    encoder = ContentEncoder("gzip")
    flushed = encoder.feed(MESSAGES[0], flush=True)
    header, first = flushed[:10], flushed[10:]
    rest = encoder.feed(MESSAGES[1]) + encoder.end()
    result = new_result()
    body = CountingBody(chunked_reader([header, first, rest], marked), result, ContentDecoder("gzip"))
    assert b"".join(await read_all(body)) == b"".join(MESSAGES)
    assert result.body_bytes == 16
    assert result.encoded_bytes == len(header) + len(first) + len(rest)
    assert result.chunks == (3 if marked else 0)
    assert result.transfer_bytes == (sum(chunk_framing_bytes(len(c)) for c in (header, first, rest)) if marked else 0)


async def test_read_chunk_keeps_the_chunk_ends_of_a_sync_flushed_body() -> None:
    encoder = ContentEncoder("gzip")
    chunks = [encoder.feed(m, flush=True) for m in MESSAGES]
    body = CountingBody(chunked_reader([*chunks, encoder.end()]), new_result(), ContentDecoder("gzip"))
    assert [await body.read_chunk() for _ in range(3)] == [(MESSAGES[0], True), (MESSAGES[1], True), (b"", True)]
    assert await body.read_chunk() == (b"", False)
