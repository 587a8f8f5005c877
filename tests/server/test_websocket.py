"""The WebSocket's inbound side: echoes, and clear close codes for what it will not take."""

from __future__ import annotations

import asyncio
import json
import logging

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestClient

from app.server.transports.ws import MAX_INBOUND_BYTES


async def test_binary_message_closes_with_unsupported_data(server, session: aiohttp.ClientSession) -> None:
    async with session.ws_connect(server.make_url("/ws?count=10&interval=30")) as ws:
        await ws.receive()
        await ws.send_bytes(b"\x00\x01")
        closing = await ws.receive()
    assert closing.type is aiohttp.WSMsgType.CLOSE
    assert ws.close_code == 1003


async def test_message_over_the_inbound_cap_closes_with_1009(server, session: aiohttp.ClientSession) -> None:
    async with session.ws_connect(server.make_url("/ws?count=10&interval=30")) as ws:
        await ws.receive()
        await ws.send_str("x" * (MAX_INBOUND_BYTES + 1))
        closing = await ws.receive()
    assert closing.type is aiohttp.WSMsgType.CLOSE
    assert ws.close_code == 1009


async def test_every_text_is_echoed_in_order_while_the_stream_runs(server, session: aiohttp.ClientSession) -> None:
    async with session.ws_connect(server.make_url("/ws?count=3&interval=0.05")) as ws:
        for n in range(3):
            await ws.send_str(f"ping {n}")
        texts = [message.data async for message in ws if message.type is aiohttp.WSMsgType.TEXT]
    echoes = [text for text in texts if text.startswith("{")]
    assert [json.loads(echo)["echo"] for echo in echoes] == ["ping 0", "ping 1", "ping 2"]
    assert [text for text in texts if not text.startswith("{")] == [f"WebSocket message {i}" for i in range(3)]
    assert ws.close_code == 1000


async def test_plain_get_without_upgrade_is_a_json_400(client: TestClient[web.Request, None], caplog) -> None:
    async with client.get("/ws") as response:
        assert response.status == 400
        assert (await response.json())["param"] == "Upgrade"
    assert not [record for record in caplog.records if record.levelno >= logging.WARNING]


async def test_a_slow_reader_that_pings_gets_every_message_and_a_clean_close(
    server, session: aiohttp.ClientSession
) -> None:
    """The whole burst is in the server's buffers long before this reader gets to it; closing
    must wait for the reader's close frame, not cut the connection under it."""
    count, texts, echoes = 5000, 0, 0
    async with session.ws_connect(server.make_url(f"/ws?count={count}&interval=0")) as ws:
        for n in range(5):
            await ws.send_str(f"ping {n}")
        async for message in ws:
            if message.data.startswith("{"):
                echoes += 1
                continue
            texts += 1
            if texts % 500 == 0:
                await asyncio.sleep(0.05)  # a busy tab, reading late
    assert texts == count
    assert ws.close_code == 1000
