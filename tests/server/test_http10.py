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


async def http10_exchange(port: int, path: str) -> tuple[bytes, bytes, list[float]]:
    """An HTTP/1.0 request on a raw socket: the head, the body up to the server's close,
    and when each piece of the body arrived (seconds from the request)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    started = time.monotonic()
    writer.write(f"GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
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
