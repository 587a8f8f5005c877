"""Clients that do not read cost the server bounded memory: a stalled reader of 1 MiB
messages, a WebSocket client flooding texts or pings without reading the answers.

The server is a separate process (`python -m app`), so its RSS is its own.
"""

from __future__ import annotations

import asyncio
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from app.wire.websocket import Opcode, encode_frame
from tests.helpers import STREAMING_ENDPOINTS, ids
from tests.processes import ServerProcess, app_server, rss_kib
from tests.rawclients import (
    CLIENT_RCVBUF,
    ONE_MIB,
    get_request,
    healthz,
    logged_errors,
    open_small_window,
    peak_rss_kib,
    stall_on,
    wait_for_idle,
)

#: How long each abusive client is held.
HOLD_SECONDS = 3.0
#: Growth of the server's RSS that counts as bounded (the abuse pushes far more than this).
RSS_BOUND_KIB = 48 * 1024


@pytest.fixture(scope="module")
def server_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("server")


@pytest.fixture(scope="module")
def shared_app_process(server_dir: Path) -> Iterator[ServerProcess]:
    """One server for the module: each test measures its own RSS growth from its own baseline."""
    with app_server(server_dir) as server:
        # Warm up: the first stream imports and allocates what every later one shares.
        with urllib.request.urlopen(server.make_url(f"/chunked?count=2&interval=0&size={ONE_MIB}")) as response:
            response.read()
        yield server


@pytest.fixture
async def app_process(shared_app_process: ServerProcess) -> ServerProcess:
    assert await wait_for_idle(shared_app_process) == 0, "a previous test left a stream open"
    return shared_app_process


@pytest.fixture
async def stalled_readers(app_process: ServerProcess) -> AsyncIterator[list[asyncio.StreamReader]]:
    """Four clients that ask for 1 MiB messages as fast as possible, then read nothing."""
    path = f"/chunked?count=1000&interval=0&size={ONE_MIB}"
    readers, writers = [], []
    for _ in range(4):
        reader, writer = await open_small_window(app_process.port)
        writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        await writer.drain()
        readers.append(reader)
        writers.append(writer)
    yield readers
    for writer in writers:
        writer.transport.abort()


async def test_stalled_readers_of_large_messages_cost_bounded_memory(
    app_process: ServerProcess, stalled_readers: list[asyncio.StreamReader]
) -> None:
    baseline = rss_kib(app_process.pid)
    peak = await peak_rss_kib(app_process, HOLD_SECONDS)
    # Still streaming, not dropped: each stalled reader can read on.
    for reader in stalled_readers:
        assert (await asyncio.wait_for(reader.read(CLIENT_RCVBUF), 5)).strip()
    assert healthz(app_process)["active_streams"] == len(stalled_readers)
    print(f"stalled readers: RSS baseline {baseline} KiB, peak {peak} KiB")
    assert peak - baseline < RSS_BOUND_KIB


async def test_stalled_readers_that_leave_are_not_errors(
    app_process: ServerProcess, stalled_readers: list[asyncio.StreamReader], server_dir: Path
) -> None:
    await asyncio.sleep(0.5)  # let the server block on every full socket
    for reader in stalled_readers:
        reader._transport.abort()  # type: ignore[attr-defined]
    assert await wait_for_idle(app_process) == 0
    assert logged_errors(server_dir) == []


STALLABLE = [*STREAMING_ENDPOINTS, "ws"]


@pytest.mark.parametrize("endpoint", STALLABLE, ids=lambda e: e if isinstance(e, str) else ids(e))
async def test_a_stalled_reader_costs_bounded_memory_on_every_endpoint(app_process: ServerProcess, endpoint) -> None:
    """100 messages of 1 MiB (100 MiB) for a reader that reads none: the server must wait."""
    path = "/ws" if endpoint == "ws" else endpoint.path
    baseline = rss_kib(app_process.pid)
    _, writer = await stall_on(app_process.port, f"{path}?count=100&interval=0&size={ONE_MIB}")
    try:
        peak = await peak_rss_kib(app_process, 1.0)
    finally:
        writer.transport.abort()
    print(f"stalled reader of {path}: RSS baseline {baseline} KiB, peak {peak} KiB")
    assert peak - baseline < RSS_BOUND_KIB


async def _ws_handshake(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await open_small_window(port)
    writer.write(get_request("/ws?count=60&interval=60"))
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    assert head.startswith(b"HTTP/1.1 101"), head
    return reader, writer


async def _flood(writer: asyncio.StreamWriter, frame: bytes, seconds: float) -> int:
    """Write `frame` over and over for `seconds`, never reading; returns the bytes written."""
    sent = 0
    deadline = time.monotonic() + seconds
    batch = frame * max(1, 16384 // len(frame))
    while (remaining := deadline - time.monotonic()) > 0:
        writer.write(batch)
        try:
            await asyncio.wait_for(writer.drain(), remaining)
        except TimeoutError:
            break  # the server stopped reading: the flood is held back by TCP
        sent += len(batch)
    return sent


@pytest.mark.parametrize(
    "frame",
    [encode_frame(Opcode.TEXT, b"ping " * 200, mask=True), encode_frame(Opcode.PING, b"p" * 125, mask=True)],
    ids=["text-flood", "ping-flood"],
)
async def test_websocket_flood_without_reading_costs_bounded_memory(app_process: ServerProcess, frame: bytes) -> None:
    _, writer = await _ws_handshake(app_process.port)
    baseline = rss_kib(app_process.pid)
    try:
        flood = asyncio.ensure_future(_flood(writer, frame, HOLD_SECONDS))
        peak = await peak_rss_kib(app_process, HOLD_SECONDS + 0.5)
        sent = await flood
        assert healthz(app_process)["active_streams"] == 1
    finally:
        writer.transport.abort()
    print(f"ws flood: {sent} bytes sent, RSS baseline {baseline} KiB, peak {peak} KiB")
    assert peak - baseline < RSS_BOUND_KIB
    assert await wait_for_idle(app_process) == 0


async def test_websocket_flooder_that_leaves_is_not_an_error(app_process: ServerProcess, server_dir: Path) -> None:
    _, writer = await _ws_handshake(app_process.port)
    await _flood(writer, encode_frame(Opcode.TEXT, b"ping " * 200, mask=True), seconds=1.0)
    writer.transport.abort()
    assert await wait_for_idle(app_process) == 0
    assert logged_errors(server_dir) == []
