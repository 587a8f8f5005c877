"""HTTP/1.0 clients get every stream: there is no chunked framing in HTTP/1.0, so the body
ends when the server closes the connection, still one write per message, still as it is
made. HTTP/1.0 is what nginx speaks to its upstream unless told otherwise, what `curl -0`
sends, and what many scripts send.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from app.culprits import VIA_TRANSPORTS, Via
from app.wire.http import BodyFraming, body_framing, parse_head
from tests.helpers import HTTP_ENDPOINTS, STREAMING_ENDPOINTS, ids, paced
from tests.nginx import RunningNginx, require_nginx, run_nginx
from tests.processes import free_port, require_tool

COUNT = 5
INTERVAL = 0.2
#: When the last message of a paced stream is due.
SPAN = (COUNT - 1) * INTERVAL


async def direct_body(session: aiohttp.ClientSession, url: str) -> bytes:
    async with session.get(url) as response:
        assert response.status == 200
        return await response.read()


#: Every close-delimited HTTP/1.0 body: each streaming endpoint, alone and through each
#: culprit but the middleware, which sends the body whole with its length.
CLOSE_DELIMITED = [pytest.param(endpoint, None, id=endpoint.name) for endpoint in STREAMING_ENDPOINTS] + [
    pytest.param(endpoint, via.value, id=f"{endpoint.name}-via-{via.value}")
    for endpoint in STREAMING_ENDPOINTS
    if endpoint.transport in VIA_TRANSPORTS
    for via in Via
    if via is not Via.MIDDLEWARE
]


def http10_request(port: int, path: str, keep_alive: bool = False) -> bytes:
    connection = "Connection: keep-alive\r\n" if keep_alive else ""
    return f"GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n{connection}\r\n".encode()


async def http10_exchange(port: int, path: str) -> tuple[bytes, bytes, list[float]]:
    """An HTTP/1.0 request on a raw socket: the head, the body up to the server's close,
    and when each piece of the body arrived (seconds from the request)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    started = time.monotonic()
    writer.write(http10_request(port, path))
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    parts, arrivals = [], []
    while data := await asyncio.wait_for(reader.read(65536), 10):
        parts.append(data)
        arrivals.append(time.monotonic() - started)
    writer.close()
    return head, b"".join(parts), arrivals


@pytest.mark.parametrize("endpoint", HTTP_ENDPOINTS, ids=ids)
async def test_an_http10_client_gets_the_whole_body_without_chunked_framing(
    endpoint, server: TestServer, session: aiohttp.ClientSession
) -> None:
    path = f"{endpoint.path}?count={COUNT}&interval=0"
    head, body, _ = await http10_exchange(server.port, path)
    assert head.split(b" ", 2)[1] == b"200", head
    assert b"transfer-encoding" not in head.lower()
    assert body == await direct_body(session, f"http://127.0.0.1:{server.port}{path}")


@pytest.mark.slow  # each stream is paced over SPAN
@pytest.mark.parametrize("endpoint", STREAMING_ENDPOINTS, ids=ids)
async def test_an_http10_stream_is_still_progressive(endpoint, server: TestServer) -> None:
    head, _, arrivals = await http10_exchange(server.port, f"{endpoint.path}?{paced(endpoint, SPAN)}")
    assert head.split(b" ", 2)[1] == b"200", head
    span = arrivals[-1]
    assert span >= 0.9 * SPAN
    assert arrivals[0] < 0.25 * span, "the first message waited for the last"
    assert len(arrivals) >= 3


@pytest.mark.parametrize(("endpoint", "via"), CLOSE_DELIMITED)
async def test_a_body_that_ends_on_close_is_followed_by_the_close_even_with_keep_alive(
    endpoint, via: str | None, server: TestServer
) -> None:
    """An HTTP/1.0 client asks for keep-alive and sends its next request at once: the first
    body has no length and no end marker, so the connection must close right after it
    (`Connection: close`), with no second response behind it."""
    path = f"{endpoint.path}?{paced(endpoint, 0.1)}" + (f"&via={via}" if via else "")
    _, lone_body, _ = await http10_exchange(server.port, path)
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        writer.write(http10_request(server.port, path, keep_alive=True) * 2)
        # Without the close this waits for the server's keep-alive timeout, and fails.
        answer = await asyncio.wait_for(reader.read(-1), 10)
    finally:
        writer.close()
    parsed = parse_head(answer)
    assert parsed is not None
    head, body = parsed
    assert head.status == 200
    assert body_framing(head)[0] is BodyFraming.CLOSE
    assert head.headers.get("connection") == "close"
    assert body == lone_body


async def test_a_body_with_a_length_keeps_an_http10_connection_alive(server: TestServer) -> None:
    """/non-chunked has a Content-Length: its end is known, keep-alive may stay."""
    path = "/non-chunked?count=2&interval=0"
    _, lone_body, _ = await http10_exchange(server.port, path)
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        writer.write(http10_request(server.port, path, keep_alive=True) * 2)
        for _ in range(2):
            parsed = parse_head(await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10))
            assert parsed is not None
            head = parsed[0]
            assert (head.status, head.headers.get("connection")) == (200, "keep-alive")
            assert head.content_length is not None
            assert await asyncio.wait_for(reader.readexactly(head.content_length), 10) == lone_body
    finally:
        writer.close()


async def test_curl_http10_gets_the_tutorial_lines(server: TestServer) -> None:
    curl = require_tool("curl", "apt-get install curl")
    process = await asyncio.create_subprocess_exec(
        curl,
        "-0",
        "-sS",
        "-i",
        f"http://127.0.0.1:{server.port}/chunked?interval=0",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, err
    head, _, body = out.partition(b"\r\n\r\n")
    assert b"chunked" not in head.lower()
    assert body == b"".join(f"Chunk {i}\n".encode() for i in range(5))


@pytest.fixture
def defaults_proxy(server: TestServer, tmp_path: Path) -> Iterator[RunningNginx]:
    """nginx with nothing but proxy_pass: HTTP/1.0 to the app, proxy buffering on."""
    port = free_port()
    block = f"server {{ listen 127.0.0.1:{port}; location / {{ proxy_pass http://127.0.0.1:{server.port}; }} }}"
    with run_nginx(require_nginx(), tmp_path / "nginx", block, port) as nginx:
        yield nginx


@pytest.mark.parametrize("endpoint", STREAMING_ENDPOINTS, ids=ids)
async def test_streams_stay_progressive_through_nginx_defaults(
    endpoint, defaults_proxy: RunningNginx, session: aiohttp.ClientSession
) -> None:
    started = time.monotonic()
    arrivals = []
    async with session.get(defaults_proxy.make_url(f"{endpoint.path}?{paced(endpoint, SPAN)}")) as response:
        assert response.status == 200
        async for _ in response.content.iter_any():
            arrivals.append(time.monotonic() - started)
    # X-Accel-Buffering: no turns nginx's buffering off; buffered, all would come at the end.
    assert arrivals[-1] >= 0.9 * SPAN
    assert arrivals[0] < 0.25 * arrivals[-1]
