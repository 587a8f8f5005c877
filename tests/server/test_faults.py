"""The field's culprits and faults on the wire, as a real client reads them: an idle timeout
that counts bytes on the wire (not messages), heartbeats in each transport's own form,
the proxies and the middleware each holding what the real ones hold.

Times are asserted against the stream's own parameters (a cut comes after `idle`, before
the next message is due), never against fixed milliseconds alone.
"""

from __future__ import annotations

import asyncio
import time

import aiohttp
from aiohttp.test_utils import TestServer

from app.culprits import PROXY_BLOCK_BYTES
from app.server.keys import stream_stats_key
from app.server.transports.sizes import MAX_BUFFERED_BYTES
from app.wire.sse import SSEParser
from tests.conftest import wait_for_no_active_streams

INTERVAL = 0.6
IDLE = 0.3


async def read_until_cut(session: aiohttp.ClientSession, url: str) -> tuple[bytes, float, bool]:
    """The body as read (decoded), seconds from the request to its end, and whether it was cut."""
    started, received = time.monotonic(), b""
    try:
        async with session.get(url) as response:
            assert response.status == 200, await response.text()
            async for data in response.content.iter_any():
                received += data
    except aiohttp.ClientPayloadError:
        return received, time.monotonic() - started, True
    return received, time.monotonic() - started, False


async def test_an_idle_timeout_cuts_a_stream_that_sent_nothing_for_its_seconds(
    server: TestServer, session: aiohttp.ClientSession
) -> None:
    url = f"{server.make_url('/chunked')}?count=3&interval={INTERVAL}&idle={IDLE}"
    received, took, was_cut = await read_until_cut(session, url)
    assert was_cut
    assert received == b"Chunk 0\n"  # cut in the first silence, before the next message was due
    assert IDLE * 0.9 <= took < INTERVAL
    assert await wait_for_no_active_streams(server.app) == 0
    assert server.app[stream_stats_key].outcomes["idle"] == 1


async def test_the_idle_timeout_counts_bytes_on_the_wire_not_messages_written(
    server: TestServer, session: aiohttp.ClientSession
) -> None:
    """Behind a compressor that holds every message, the wire is silent though the app writes
    one every 0.1 s: the timeout cuts it all the same, as a proxy's would."""
    url = f"{server.make_url('/chunked')}?count=20&interval=0.1&via=gzip&idle={IDLE}"
    received, took, was_cut = await read_until_cut(session, url)
    assert was_cut and received == b""
    assert took < 20 * 0.1 / 2  # long before the stream's end


async def test_a_heartbeat_keeps_a_quiet_sse_stream_through_the_idle_timeout(server: TestServer) -> None:
    async with aiohttp.ClientSession() as session:
        url = f"{server.make_url('/sse')}?count=3&interval={INTERVAL}&idle={IDLE}&heartbeat=0.1"
        async with session.get(url) as response:
            body = await response.read()
    parser = SSEParser()
    assert [event.data for event in parser.feed(body)] == [f"SSE message {i}" for i in range(3)]
    # A comment every 0.1 s of each 0.6 s pause, give or take one at its ends.
    assert 3 * 4 <= body.count(b": keep-alive\n") <= 3 * 6


async def test_a_heartbeat_on_a_websocket_is_a_ping_and_keeps_it_through_the_idle_timeout(
    server: TestServer, session: aiohttp.ClientSession
) -> None:
    texts, pings = [], 0
    url = server.make_url(f"/ws?count=3&interval={INTERVAL}&idle={IDLE}&heartbeat=0.1")
    async with session.ws_connect(url, autoping=False) as ws:
        async for message in ws:
            if message.type is aiohttp.WSMsgType.PING:
                pings += 1
                await ws.pong(message.data)
            elif message.type is aiohttp.WSMsgType.TEXT:
                texts.append(message.data)
    assert texts == [f"WebSocket message {i}" for i in range(3)]
    assert ws.close_code == 1000
    assert 3 * 4 <= pings <= 3 * 6


async def test_a_buffered_body_that_takes_longer_than_the_idle_timeout_is_answered_504(
    server: TestServer, session: aiohttp.ClientSession
) -> None:
    started = time.monotonic()
    async with session.get(f"{server.make_url('/non-chunked')}?count=3&interval={INTERVAL}&idle={IDLE}") as response:
        assert response.status == 504
        assert (await response.json())["param"] == "idle"
    assert time.monotonic() - started < INTERVAL * 3


async def test_the_middleware_sends_head_and_body_at_the_end_with_a_length(
    server: TestServer, session: aiohttp.ClientSession
) -> None:
    started = time.monotonic()
    async with session.get(f"{server.make_url('/chunked')}?count=3&interval=0.2&via=middleware") as response:
        head_at = time.monotonic() - started
        body = await response.read()
    assert head_at >= 0.2 * 3 * 0.9  # the head waited for the whole body
    assert response.headers["Content-Length"] == str(len(body)) and "Transfer-Encoding" not in response.headers
    assert body == b"Chunk 0\nChunk 1\nChunk 2\n"


async def test_the_size_proxy_passes_whole_blocks_and_ignores_x_accel_buffering(
    server: TestServer, session: aiohttp.ClientSession
) -> None:
    url = f"{server.make_url('/chunked')}?count=4&interval=0.2&size={PROXY_BLOCK_BYTES}&via=size-proxy"
    sizes = []
    async with session.get(url) as response:
        assert response.headers["X-Accel-Buffering"] == "no"  # passed on, unheeded
        assert "Via" not in response.headers
        async for data in response.content.iter_any():
            sizes.append(len(data))
    assert sum(sizes) > 4 * PROXY_BLOCK_BYTES
    # Blocks of the buffer's size (the network may join or split them), the rest at the end.
    assert len(sizes) >= 4


async def test_the_cdn_streams_sse_and_holds_every_other_type_whole(
    server: TestServer, session: aiohttp.ClientSession
) -> None:
    async def first_after(path: str) -> float:
        started = time.monotonic()
        async with session.get(f"{server.make_url(path)}?count=3&interval=0.3&via=cdn") as response:
            assert response.headers["Via"].endswith("(emulated CDN)")
            await response.content.readany()
            return time.monotonic() - started

    streamed, held = await asyncio.gather(first_after("/sse"), first_after("/ndjson"))
    assert streamed < 0.3 <= held


async def test_a_body_held_whole_is_bounded_like_a_buffered_one(
    server: TestServer, session: aiohttp.ClientSession
) -> None:
    count, size = MAX_BUFFERED_BYTES // 2**20 + 1, 2**20
    async with session.get(f"{server.make_url('/chunked')}?count={count}&interval=0&size={size}&via=cdn") as response:
        assert response.status == 400
        error = await response.json()
        assert (error["param"], "held whole by via=cdn" in error["error"]) == ("size", True)
    async with session.get(f"{server.make_url('/sse')}?count={count}&interval=0&size={size}&via=cdn") as response:
        assert response.status == 200  # streamed: nothing is held whole
        await response.read()
