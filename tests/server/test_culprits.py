"""The culprits lab: each reason a stream "arrives all at once", reproduced beside the
healthy stream (`via`), and a dropped connection (`drop`), to see who recovers.

Every culprit keeps the body byte for byte and changes only when it arrives: gzip holds it
to the end, gzip with a flush per message stays progressive, a buffering proxy passes it
on in blocks — as real nginx with its defaults does, which a test checks.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from app.culprits import CULPRITS, DROP_RETRY_MS, PROXY_BLOCK_BYTES, VIA_TRANSPORTS
from app.endpoints import ENDPOINTS, Endpoint
from app.params import StreamParams
from app.server.keys import stream_stats_key
from app.server.transports.sizes import streaming_reservation
from app.wire.chunked import PartKind
from app.wire.http import body_reader, parse_head
from app.wire.sse import SSEParser
from tests.conftest import wait_for_no_active_streams
from tests.helpers import ids, paced
from tests.nginx import RunningNginx, require_nginx, run_nginx
from tests.processes import free_port
from tests.rawclients import get_request

RELAYED = [endpoint for endpoint in ENDPOINTS if endpoint.transport.value in VIA_TRANSPORTS]
COUNT = 5
INTERVAL = 0.2
SPAN = (COUNT - 1) * INTERVAL


async def body(session: aiohttp.ClientSession, url: str) -> bytes:
    async with session.get(url) as response:
        assert response.status == 200, await response.text()
        return await response.read()  # decoded: aiohttp undoes Content-Encoding


async def arrivals(session: aiohttp.ClientSession, url: str) -> list[tuple[float, int]]:
    """(seconds from the request, decoded bytes) of every piece of the body as it arrives."""
    started = time.monotonic()
    pieces = []
    async with session.get(url) as response:
        assert response.status == 200
        async for data in response.content.iter_any():
            if data:
                pieces.append((time.monotonic() - started, len(data)))
    return pieces


@pytest.mark.parametrize("culprit", CULPRITS, ids=lambda culprit: culprit.name)
@pytest.mark.parametrize("endpoint", RELAYED, ids=ids)
async def test_a_culprit_keeps_the_body_byte_for_byte(
    endpoint: Endpoint, culprit, server: TestServer, session: aiohttp.ClientSession
) -> None:
    healthy = await body(session, f"{server.make_url(endpoint.path)}?count=40&interval=0&size=300")
    assert await body(session, f"{server.make_url(endpoint.path)}?count=40&interval=0&size=300&via={culprit.name}") == (
        healthy
    )


@pytest.mark.slow  # each stream is paced over SPAN
@pytest.mark.parametrize("endpoint", RELAYED, ids=ids)
async def test_gzip_without_a_flush_holds_the_stream_to_the_end(
    endpoint: Endpoint, server: TestServer, session: aiohttp.ClientSession
) -> None:
    pieces = await arrivals(session, f"{server.make_url(endpoint.path)}?{paced(endpoint, SPAN)}&via=gzip")
    assert pieces[0][0] >= 0.9 * SPAN, pieces


@pytest.mark.slow
@pytest.mark.parametrize("endpoint", RELAYED, ids=ids)
async def test_gzip_flushed_per_message_stays_progressive(
    endpoint: Endpoint, server: TestServer, session: aiohttp.ClientSession
) -> None:
    url = f"{server.make_url(endpoint.path)}?{paced(endpoint, SPAN)}&via=gzip-flush"
    async with session.get(url) as response:
        assert response.headers["Content-Encoding"] == "gzip"
    pieces = await arrivals(session, url)
    assert pieces[0][0] < 0.25 * SPAN, pieces
    assert pieces[-1][0] >= 0.9 * SPAN
    assert len(pieces) >= 3


@pytest.mark.slow
async def test_a_buffering_proxy_holds_small_messages_to_the_end(server: TestServer, session) -> None:
    pieces = await arrivals(session, f"{server.make_url('/chunked')}?count={COUNT}&interval={INTERVAL}&via=proxy")
    assert pieces[0][0] >= 0.9 * SPAN, pieces


async def test_a_buffering_proxy_relays_large_messages_in_whole_blocks(server: TestServer, session) -> None:
    sizes = []
    async with session.get(f"{server.make_url('/chunked')}?count=12&interval=0.02&size=3000&via=proxy") as response:
        async for data, end_of_chunk in response.content.iter_chunks():
            if end_of_chunk and data:
                sizes.append(len(data))
    # Each write of the relay is one HTTP chunk: whole blocks, then what is left at the end.
    assert sizes[:-1] == [PROXY_BLOCK_BYTES] * (len(sizes) - 1)
    assert 0 < sizes[-1] <= PROXY_BLOCK_BYTES


@pytest.fixture
def buffering_nginx(server: TestServer, tmp_path: Path) -> Iterator[RunningNginx]:
    """nginx with its defaults (proxy_pass only), in front of an app that would not say
    X-Accel-Buffering: no (the header ignored stands for an app that does not send it)."""
    port = free_port()
    location = f"proxy_pass http://127.0.0.1:{server.port}; proxy_ignore_headers X-Accel-Buffering;"
    block = f"server {{ listen 127.0.0.1:{port}; location / {{ {location} }} }}"
    with run_nginx(require_nginx(), tmp_path / "nginx", block, port) as nginx:
        yield nginx


@pytest.mark.parametrize("query", ["count=12&interval=0.05&size=3000", "count=40&interval=0.02&size=1000"])
async def test_the_emulated_proxy_arrives_as_real_nginx_does(
    buffering_nginx: RunningNginx, server: TestServer, session: aiohttp.ClientSession, query: str
) -> None:
    """Tolerance: as many arrivals within two, and the first and last within two intervals
    (at least 0.15 s, for a loaded machine)."""
    interval = float(query.split("interval=")[1].split("&")[0])
    tolerance = max(2 * interval, 0.15)
    real = await arrivals(session, buffering_nginx.make_url(f"/chunked?{query}"))
    emulated = await arrivals(session, f"{server.make_url('/chunked')}?{query}&via=proxy")
    healthy = await arrivals(session, f"{server.make_url('/chunked')}?{query}")
    print(f"nginx {[(round(t, 3), n) for t, n in real]}\nvia=proxy {[(round(t, 3), n) for t, n in emulated]}")
    assert abs(len(real) - len(emulated)) <= 2
    assert abs(real[0][0] - emulated[0][0]) <= tolerance
    assert abs(real[-1][0] - emulated[-1][0]) <= tolerance
    assert sum(n for _, n in real) == sum(n for _, n in emulated) == sum(n for _, n in healthy)
    # And both differ from the healthy stream, which arrives message by message.
    assert len(healthy) > len(emulated) + 2


async def head_and_first_body(session: aiohttp.ClientSession, url: str) -> tuple[float, float]:
    """Seconds from the request to the response's head, and to its first body bytes."""
    started = time.monotonic()
    async with session.get(url) as response:
        head = time.monotonic() - started
        await response.content.readany()
        return head, time.monotonic() - started


async def test_the_emulated_proxy_holds_the_head_with_the_body_as_real_nginx_does(
    buffering_nginx: RunningNginx, server: TestServer, session: aiohttp.ClientSession
) -> None:
    # nginx sends a head under 1460 bytes only with its first block: the head's timing is
    # what diagnose reads to tell a buffering hop from an app that holds its body.
    query = "count=5&interval=0.1"
    for url in (buffering_nginx.make_url(f"/chunked?{query}"), f"{server.make_url('/chunked')}?{query}&via=proxy"):
        head, first = await head_and_first_body(session, url)
        assert head >= 0.3 and first - head < 0.1, (url, head, first)
    head, first = await head_and_first_body(session, f"{server.make_url('/chunked')}?{query}")
    assert head < 0.25


@pytest.mark.parametrize(("path", "query", "param"), [
    ("/chunked", "via=zip", "via"),
    ("/non-chunked", "via=gzip", "via"),
    ("/chunked", "drop=0", "drop"),
    ("/chunked", "drop=1.5", "drop"),
    ("/non-chunked", "drop=2", "drop"),
    ("/ws", "via=proxy", "via"),
    ("/ws", "via=size-proxy", "via"),
    ("/non-chunked", "via=middleware", "via"),
    ("/chunked", "heartbeat=1", "heartbeat"),
    ("/ndjson", "heartbeat=1", "heartbeat"),
    ("/non-chunked", "heartbeat=1", "heartbeat"),
    ("/sse", "heartbeat=0.01", "heartbeat"),
    ("/sse", "idle=0", "idle"),
    ("/ws", "idle=5000", "idle"),
])  # fmt: skip
async def test_a_culprit_or_fault_where_it_does_not_apply_is_refused_by_name(
    server: TestServer, session: aiohttp.ClientSession, path: str, query: str, param: str
) -> None:
    async with session.get(f"{server.make_url(path)}?{query}") as response:
        assert response.status == 400
        assert (await response.json())["param"] == param


async def test_a_dropped_chunked_stream_fails_its_reader_after_n_messages(
    server: TestServer, session: aiohttp.ClientSession
) -> None:
    received = b""
    with pytest.raises(aiohttp.ClientPayloadError):
        async with session.get(f"{server.make_url('/chunked')}?count=5&interval=0.02&drop=2") as response:
            async for data in response.content.iter_any():
                received += data
    assert received == b"Chunk 0\nChunk 1\n"
    assert await wait_for_no_active_streams(server.app) == 0
    assert server.app[stream_stats_key].outcomes["dropped"] == 1


async def test_a_dropped_websocket_ends_with_1006(server: TestServer, session: aiohttp.ClientSession) -> None:
    texts = []
    async with session.ws_connect(server.make_url("/ws?count=5&interval=0.02&drop=2")) as ws:
        async for message in ws:
            if message.type is aiohttp.WSMsgType.TEXT:
                texts.append(message.data)
    assert texts == ["WebSocket message 0", "WebSocket message 1"]
    assert ws.close_code == 1006


async def sse_connection(port: int, last_id: str | None) -> tuple[int, bytes, bool]:
    """One EventSource-like connection, read through the wire codecs: (status, body,
    whether its framing ended it, rather than a cut)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    resume = (("Last-Event-ID", last_id),) if last_id is not None else ()
    writer.write(get_request("/sse?count=5&interval=0.02&drop=2", fields=resume))
    data, parsed = b"", None
    while parsed is None and (read := await reader.read(65536)):
        data += read
        parsed = parse_head(data)
    assert parsed is not None, data
    head, data = parsed
    body, payload = body_reader(head), bytearray()
    while True:
        payload += b"".join(part.raw for part in body.feed(data) if part.kind is PartKind.DATA)
        if body.done or not (data := await reader.read(65536)):
            break
    writer.close()
    return head.status, bytes(payload), body.done


async def test_a_dropped_sse_stream_resumes_with_last_event_id_and_delivers_each_message_once(
    server: TestServer,
) -> None:
    """What EventSource does: reconnect after `retry`, resume after the last id, stop at 204."""
    delivered: list[str] = []
    last_id, statuses, ends = None, [], []
    for _ in range(6):
        status, data, clean = await sse_connection(server.port, last_id)
        statuses.append(status)
        if status == 204:
            break
        ends.append(clean)
        assert data.startswith(f"retry: {DROP_RETRY_MS}\n\n".encode())
        parser = SSEParser()
        delivered += [event.data for event in parser.feed(data)]
        last_id = parser.last_event_id or last_id
    assert delivered == [f"SSE message {i}" for i in range(5)]
    assert statuses == [200, 200, 200, 204]
    # Cut after 2 and after 2 more; the last connection has only 1 left and ends cleanly.
    assert ends == [False, False, True]


@pytest.mark.parametrize("culprit", CULPRITS, ids=lambda culprit: culprit.name)
def test_every_culprit_has_what_its_relay_holds_reserved(culprit) -> None:
    chunked = next(endpoint for endpoint in ENDPOINTS if endpoint.name == "chunked")
    params = StreamParams(count=1000, interval=0)
    healthy = streaming_reservation(chunked, params)
    relayed = streaming_reservation(chunked, StreamParams(count=1000, interval=0, via=culprit.name))
    assert relayed > healthy
