"""The WebSocket's inbound side: echoes, clear close codes for what it will not take, and
a client read no faster than it is answered, within the memory budget."""

from __future__ import annotations

import asyncio
import json
import logging

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from app.server.keys import stream_stats_key
from app.server.transports.inbound import RECEIVE_BUFFER_BYTES
from app.server.transports.ws import MAX_INBOUND_BYTES
from app.wire.http import encode_request, parse_head
from app.wire.websocket import Frame, FrameDecoder, Opcode, close_code, close_payload, encode_frame, handshake_headers
from tests.conftest import wait_for_no_active_streams
from tests.rawclients import ONE_MIB, WS_KEY, get_request, stall_on

#: A stream slow enough that its socket is quiet while a test speaks to it.
QUIET = "/ws?count=10&interval=30"


async def raw_websocket(port: int, early: bytes = b"") -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A handshake on a raw socket, `early` bytes sent right behind it, the 101 read."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(get_request(QUIET) + early)
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    assert head.startswith(b"HTTP/1.1 101"), head
    return reader, writer


async def frames_until_close(reader: asyncio.StreamReader) -> list[Frame]:
    """The server's frames up to its close frame (or the end of the connection)."""
    decoder, frames = FrameDecoder(max_payload=ONE_MIB), list[Frame]()
    while not frames or frames[-1].opcode is not Opcode.CLOSE:
        data = await asyncio.wait_for(reader.read(65536), 5)
        if not data:
            break
        frames += decoder.feed(data)
    return frames


async def answer_to(port: int, frame: bytes, early: bool = False) -> tuple[int | None, list[str]]:
    """Send `frame` (with the handshake when `early`): the server's close code and texts."""
    reader, writer = await raw_websocket(port, frame if early else b"")
    try:
        if not early:
            writer.write(frame)
        frames = await frames_until_close(reader)
    finally:
        writer.transport.abort()
    closing = frames[-1] if frames and frames[-1].opcode is Opcode.CLOSE else None
    texts = [f.payload.decode() for f in frames if f.opcode is Opcode.TEXT]
    return (None if closing is None else close_code(closing.payload)), texts


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


async def test_a_socket_that_stops_answering_pings_is_closed_and_not_logged_done(
    server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A client that neither reads nor answers pings: once the heartbeat gives up, the
    stream ends as its client's doing (not `done`), and its socket is closed."""
    monkeypatch.setattr("app.server.transports.ws.HEARTBEAT_SECONDS", 0.2)
    stats = server.app[stream_stats_key]
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(get_request("/ws?count=1000&interval=0.5"))
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    assert head.startswith(b"HTTP/1.1 101")
    try:
        # Reads nothing and answers no ping; the server's close shows as the end of the stream.
        await asyncio.wait_for(reader.read(), 10)
    finally:
        writer.transport.abort()
    assert await wait_for_no_active_streams(server.app) == 0
    assert stats.outcomes["done"] == 0
    assert stats.outcomes["client gone"] == 1


async def test_a_stalled_socket_that_stops_answering_pings_is_closed_at_once(
    server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same with the server's writes stuck behind a full socket: its unsent data will
    never be read, so the connection must not linger waiting to flush it."""
    monkeypatch.setattr("app.server.transports.ws.HEARTBEAT_SECONDS", 0.2)
    stats = server.app[stream_stats_key]
    _, writer = await stall_on(server.port, f"/ws?count=100&interval=0&size={ONE_MIB}")
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        # Polled as a monitor would: the server's open connections, seen from outside the handler.
        while (stats.active or server.runner.server.connections) and loop.time() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        assert (stats.active, len(server.runner.server.connections)) == (0, 0)
    finally:
        writer.transport.abort()
    assert stats.outcomes["done"] == 0


async def test_a_message_of_exactly_64_kib_is_taken(server, session: aiohttp.ClientSession) -> None:
    """ "Past 64 KiB" means what it says: 65,536 bytes are echoed, 65,537 close with 1009."""
    async with session.ws_connect(server.make_url("/ws?count=10&interval=30")) as ws:
        await ws.receive()
        await ws.send_str("x" * MAX_INBOUND_BYTES)
        echo = await ws.receive()
    assert echo.type is aiohttp.WSMsgType.TEXT
    assert json.loads(echo.data)["echo"] == "x" * 65536


@pytest.mark.parametrize("early", [False, True], ids=["after-101", "behind-handshake"])
async def test_an_unmasked_client_frame_fails_the_connection_with_1002(server, early: bool) -> None:
    code, texts = await answer_to(server.port, encode_frame(Opcode.TEXT, b"unmasked", mask=False), early)
    assert code == 1002
    assert not [text for text in texts if text.startswith("{")], "an unmasked frame was echoed"


@pytest.mark.parametrize("early", [False, True], ids=["after-101", "behind-handshake"])
async def test_a_masked_frame_is_echoed_wherever_it_comes(server, early: bool) -> None:
    reader, writer = await raw_websocket(server.port, encode_frame(Opcode.TEXT, b"hi", mask=True) if early else b"")
    try:
        if not early:
            writer.write(encode_frame(Opcode.TEXT, b"hi", mask=True))
        decoder, echoes = FrameDecoder(max_payload=ONE_MIB), list[bytes]()
        while not echoes:
            frames = decoder.feed(await asyncio.wait_for(reader.read(65536), 5))
            echoes += [f.payload for f in frames if f.opcode is Opcode.TEXT and f.payload.startswith(b"{")]
    finally:
        writer.transport.abort()
    assert json.loads(echoes[0])["echo"] == "hi"


@pytest.mark.parametrize("code", [5000, 1006])
async def test_a_close_code_no_endpoint_may_send_is_answered_with_1002(server, code: int) -> None:
    answer, _ = await answer_to(server.port, encode_frame(Opcode.CLOSE, close_payload(code), mask=True))
    assert answer == 1002


async def test_an_application_close_code_is_answered_with_a_normal_close(server) -> None:
    answer, _ = await answer_to(server.port, encode_frame(Opcode.CLOSE, close_payload(4000), mask=True))
    assert answer == 1000


@pytest.mark.parametrize("version", ["8", "7", "14", None])
async def test_a_handshake_in_another_version_gets_426_naming_13(server, version: str | None) -> None:
    fields = [(name, value) for name, value in handshake_headers(WS_KEY) if name != "Sec-WebSocket-Version"]
    if version is not None:
        fields.append(("Sec-WebSocket-Version", version))
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        writer.write(encode_request("GET", QUIET, "127.0.0.1", fields))
        parsed = parse_head(await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5))
    finally:
        writer.transport.abort()
    assert parsed is not None
    head = parsed[0]
    assert head.status == 426
    assert head.headers["sec-websocket-version"] == "13"
    assert head.headers["upgrade"] == "websocket"


# The pace a client is read at: no faster than its answers are written, within the budget.


async def _flood_without_reading(writer: asyncio.StreamWriter, frames: int) -> None:
    frame = encode_frame(Opcode.TEXT, b"x" * MAX_INBOUND_BYTES, mask=True)
    for _ in range(frames):
        writer.write(frame)
        await writer.drain()


async def test_a_client_that_sends_without_reading_is_read_no_faster_than_it_is_answered(server) -> None:
    """40 texts of 64 KiB (2.6 MB, more than the sockets' buffers take) to a server that
    answers each, read by nobody: the server holds one answer and one read, charged to
    its memory budget."""
    stats = server.app[stream_stats_key]
    _, writer = await raw_websocket(server.port)
    flood = asyncio.ensure_future(_flood_without_reading(writer, 40))
    try:
        await asyncio.sleep(0.5)
        held = stats.inbound
    finally:
        flood.cancel()
        writer.transport.abort()
    assert MAX_INBOUND_BYTES < held <= MAX_INBOUND_BYTES + 4 * RECEIVE_BUFFER_BYTES, held
    assert await wait_for_no_active_streams(server.app) == 0
    assert (stats.inbound, stats.waiting) == (0, {})


async def test_a_message_the_budget_has_no_room_for_waits_and_is_answered_once_it_has(
    server, session: aiohttp.ClientSession
) -> None:
    stats = server.app[stream_stats_key]
    async with session.ws_connect(server.make_url(QUIET)) as ws:
        await ws.receive()
        budget, stats.memory_budget = stats.memory_budget, stats.reserved + 10
        try:
            await ws.send_str("hello")
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(ws.receive(), 0.3)
            assert len(stats.waiting) == 1
        finally:
            stats.memory_budget = budget
        stats.freed(0)  # what a stream ending or an answer written does
        echo = await asyncio.wait_for(ws.receive(), 5)
    assert json.loads(echo.data)["echo"] == "hello"
    assert await wait_for_no_active_streams(server.app) == 0
    assert (stats.inbound, stats.waiting) == (0, {})
