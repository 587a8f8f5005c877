"""A client that leaves mid-stream costs nothing afterwards: the handler stops at once
(while it waits 30 s for its next message, not at its next write),
the active count returns to zero, nothing is logged above DEBUG."""

from __future__ import annotations

import asyncio
import logging

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from websockets.asyncio.client import connect

from app.server.keys import stream_stats_key
from app.server.run import HANDLER_CANCELLATION
from tests.conftest import wait_for_no_active_streams
from tests.helpers import STREAMING_ENDPOINTS, ids

NOISY = logging.INFO


def _noise(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    # The access log's one line per request is not about the disconnect.
    return [r for r in caplog.records if r.levelno >= NOISY and r.name != "aiohttp.access"]


async def test_the_test_server_cancels_handlers_as_production_does(server: TestServer) -> None:
    # aiohttp's test server always cancels handlers and takes no option for it, so what these
    # tests see is production's behaviour only while production's setting agrees.
    assert server.runner is not None and server.runner.server is not None
    assert server.runner.server.handler_cancellation is HANDLER_CANCELLATION


@pytest.mark.parametrize("endpoint", STREAMING_ENDPOINTS, ids=ids)
async def test_http_client_leaving_mid_stream_stops_the_handler(
    endpoint, server, session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    stats = server.app[stream_stats_key]
    response = await session.get(server.make_url(f"{endpoint.path}?count=20&interval=30"))
    await response.content.readany()
    assert stats.active == 1
    response.close()
    assert await wait_for_no_active_streams(server.app, within=2) == 0
    assert stats.outcomes["client gone"] == 1
    assert _noise(caplog) == []


async def test_websocket_client_leaving_mid_stream_stops_the_handler(server, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with connect(f"ws://{server.host}:{server.port}/ws?count=100&interval=30") as websocket:
        await websocket.recv()
        assert server.app[stream_stats_key].active == 1
    assert await wait_for_no_active_streams(server.app, within=2) == 0
    assert _noise(caplog) == []
    assert not [task for task in asyncio.all_tasks() if "send_paced" in repr(task) or "_echo" in repr(task)]


async def test_websocket_dropped_without_a_close_frame_stops_the_handler(
    server, session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    ws = await session.ws_connect(server.make_url("/ws?count=100&interval=30"))
    await ws.receive()
    # Cut the TCP connection under the socket, as a crashed browser tab would.
    assert ws._response.connection is not None
    ws._response.connection.transport.abort()  # type: ignore[union-attr]
    assert await wait_for_no_active_streams(server.app, within=2) == 0
    assert _noise(caplog) == []
