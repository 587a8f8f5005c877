"""Independent clients against a real server: curl, the `websockets` library, and h11
checking the chunked framing byte by byte."""

from __future__ import annotations

import asyncio
import json
import shutil
import time

import h11
import pytest
import websockets
from websockets.asyncio.client import connect

from tests import tutorial
from tests.helpers import FAST, HTTP_ENDPOINTS, ids

CURL = shutil.which("curl")
needs_curl = pytest.mark.skipif(CURL is None, reason="curl is not installed")


async def _curl(url: str) -> bytes:
    process = await asyncio.create_subprocess_exec(
        CURL or "curl", "-N", "-sS", "--fail-with-body", url, stdout=asyncio.subprocess.PIPE
    )
    stdout, _ = await process.communicate()
    assert process.returncode == 0
    return stdout


@needs_curl
@pytest.mark.parametrize("endpoint", HTTP_ENDPOINTS, ids=ids)
async def test_curl_prints_the_tutorials_output(endpoint, base_url: str) -> None:
    assert await _curl(f"{base_url}{endpoint.path}?{FAST}") == tutorial.HTTP_BODIES[endpoint.name].encode()


@needs_curl
async def test_curl_sees_chunked_lines_as_they_are_sent(base_url: str) -> None:
    process = await asyncio.create_subprocess_exec(
        CURL or "curl", "-N", "-sS", f"{base_url}/chunked?interval=0.2", stdout=asyncio.subprocess.PIPE
    )
    assert process.stdout is not None
    started = time.monotonic()
    arrivals = []
    async for line in process.stdout:
        arrivals.append((time.monotonic() - started, line.decode()))
    await process.wait()
    assert [line for _, line in arrivals] == tutorial.CHUNKED.splitlines(keepends=True)
    assert arrivals[0][0] < 0.25 * arrivals[-1][0]


async def _h11_get(host: str, port: int, target: str) -> tuple[h11.Response, list[h11.Data]]:
    """A GET whose every byte is checked by h11's independent HTTP/1.1 parser."""
    reader, writer = await asyncio.open_connection(host, port)
    connection = h11.Connection(h11.CLIENT)
    request = h11.Request(method="GET", target=target, headers=[("Host", f"{host}:{port}"), ("Connection", "close")])
    writer.write(connection.send(request) + connection.send(h11.EndOfMessage()))
    response, data_events = None, []
    try:
        while True:
            event = connection.next_event()
            if event is h11.NEED_DATA:
                connection.receive_data(await reader.read(65536))
            elif isinstance(event, h11.Response):
                response = event
            elif isinstance(event, h11.Data):
                data_events.append(event)
            elif isinstance(event, h11.EndOfMessage):
                break
    finally:
        writer.close()
        await writer.wait_closed()
    assert response is not None
    return response, data_events


@pytest.mark.parametrize("endpoint", HTTP_ENDPOINTS, ids=ids)
async def test_h11_validates_the_framing_byte_by_byte(endpoint, server) -> None:
    response, data = await _h11_get(server.host, server.port, f"{endpoint.path}?{FAST}")
    headers = {name.decode().lower(): value.decode() for name, value in response.headers}
    assert response.status_code == 200
    assert b"".join(bytes(event.data) for event in data) == tutorial.HTTP_BODIES[endpoint.name].encode()
    if endpoint.name == "non-chunked":
        assert "transfer-encoding" not in headers
        assert headers["content-length"] == str(len(tutorial.CHUNKED))
    else:
        assert headers["transfer-encoding"] == "chunked"
        ends = sum(1 for event in data if event.chunk_end)
        body = endpoint.source(endpoint.defaults, None)
        assert ends == len(list(body.messages)) + (1 if body.tail else 0)


async def test_websockets_library_receives_the_tutorials_messages(server) -> None:
    async with connect(f"ws://{server.host}:{server.port}/ws?{FAST}") as websocket:
        received = [message async for message in websocket]
    assert received == tutorial.WEBSOCKET
    assert websocket.close_code == 1000
    # The library offers permessage-deflate; the server declines, so bytes counted are wire bytes.
    assert websocket.protocol.extensions == []


async def test_websocket_echoes_at_once_with_the_server_time(server) -> None:
    async with connect(f"ws://{server.host}:{server.port}/ws?count=1&interval=5") as websocket:
        assert await websocket.recv() == "WebSocket message 0"
        sent_at = time.time() * 1000
        await websocket.send("ping 1")
        echo = json.loads(await asyncio.wait_for(websocket.recv(), 2))
        assert echo["echo"] == "ping 1"
        assert sent_at - 1000 < echo["server_ms"] < time.time() * 1000 + 1


async def test_cross_site_websocket_handshake_is_refused(server) -> None:
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with connect(f"ws://{server.host}:{server.port}/ws", origin="http://evil.example"):
            pass
    assert refused.value.response.status_code == 403
    assert json.loads(refused.value.response.body)["param"] == "Origin"


async def test_same_origin_websocket_handshake_is_accepted(server) -> None:
    origin = f"http://{server.host}:{server.port}"
    async with connect(f"ws://{server.host}:{server.port}/ws?count=1&interval=0", origin=origin) as websocket:
        assert await websocket.recv() == "WebSocket message 0"
