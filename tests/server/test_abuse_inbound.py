"""WebSocket clients that send as fast as they can and never read the answers cost the
server bounded memory, give it back when they leave, and leave the loop (and their own
answers) to everyone else.

Each flooder sends masked 64 KiB texts (the largest a client may send) until its socket
pushes back. Before inbound pacing, the server read every socket as fast as it could and
held what it read: 2,000 such clients took its RSS to 1.7 GB, which stayed at 1.5 GB after
they had gone, and held its loop for seconds.

The server is a separate process (`python -m app`, default settings), so its RSS is its own.
"""

from __future__ import annotations

import asyncio
import json
import resource
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest

from app.server.transports.ws import MAX_INBOUND_BYTES
from app.wire.websocket import Opcode, encode_frame
from tests.machine import Preemption
from tests.processes import ServerProcess, app_server, rss_kib
from tests.rawclients import get_request, healthz, logged_errors, open_small_window, settle, wait_for_idle

#: Clients flooding at once: enough that holding what each sends (~850 KiB before) is
#: far past RSS_BOUND_KIB, and what each may hold now (an answer and a read) well under.
FLOODERS = 600
#: Frames each flooder writes at most (1 MiB): more than the server's and the kernel's
#: buffers for it take, so every flooder is left waiting on the server.
FRAMES_EACH = 16
#: How long the flood is watched.
FLOOD_SECONDS = 3.0
#: Growth of the server's RSS over the flood that counts as bounded: 600 answers of 64
#: KiB and 600 reads of 32 KiB are ~60 MB. Before, 600 flooders took ~500 MB.
RSS_BOUND_KIB = 128 * 1024
#: What the server may still hold over its pre-flood RSS once the flooders have gone.
RSS_AFTER_KIB = 12 * 1024
#: The longest another client may wait for /healthz during the flood, at a whole core
#: (scaled by what the machine gave meanwhile, tests/machine.py).
MAX_LATENCY_SECONDS = 0.2
#: The longest a client that reads its answers may wait for one during the flood, at a
#: whole core: its turn comes after the flooders' answers already waiting (fairness.py).
MAX_ECHO_SECONDS = 1.5


@pytest.fixture(scope="module")
def server_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("inbound")


@pytest.fixture(scope="module")
def server(server_dir: Path) -> Iterator[ServerProcess]:
    with app_server(server_dir) as process:
        yield process


def _enough_descriptors(needed: int) -> bool:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed <= hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0] >= needed


async def _handshake(port: int) -> asyncio.StreamWriter:
    reader, writer = await open_small_window(port)
    writer.write(get_request("/ws?count=60&interval=60"))
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
    assert head.startswith(b"HTTP/1.1 101"), head
    return writer


@pytest.fixture
async def flooders(server: ServerProcess) -> AsyncIterator[list[asyncio.StreamWriter]]:
    """FLOODERS WebSockets, open and quiet; aborted (as clients that vanish) at the end."""
    if not _enough_descriptors(FLOODERS + 200):
        pytest.skip(f"this test opens {FLOODERS} sockets: raise ulimit -n")
    assert await wait_for_idle(server, within=30) == 0, "a previous test left a stream open"
    writers = [await _handshake(server.port) for _ in range(FLOODERS)]
    yield writers
    for writer in writers:
        writer.transport.abort()


async def _flood(writer: asyncio.StreamWriter) -> None:
    """Send 64 KiB texts until the server stops taking them; never read."""
    frame = encode_frame(Opcode.TEXT, b"x" * MAX_INBOUND_BYTES, mask=True)
    for _ in range(FRAMES_EACH):
        writer.write(frame)
        await writer.drain()


class Watch:
    """What another client sees while the flood runs: /healthz over a connection opened
    beforehand, a WebSocket that sends a text every 50 ms and reads its answer, and the
    server's RSS."""

    def __init__(self, server: ServerProcess) -> None:
        self.server = server
        self.peak_kib = rss_kib(server.pid)
        self.health: list[float] = []
        self.echoes: list[float] = []

    async def memory(self, until: float) -> None:
        while time.monotonic() < until:
            self.peak_kib = max(self.peak_kib, rss_kib(self.server.pid))
            await asyncio.sleep(0.05)

    async def healthz(self, until: float) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.server.port)
        try:
            while time.monotonic() < until:
                started = time.monotonic()
                writer.write(get_request("/healthz"))
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
                length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                await reader.readexactly(length)
                self.health.append(time.monotonic() - started)
                await asyncio.sleep(0.05)
        finally:
            writer.close()

    async def echo(self, ws: aiohttp.ClientWebSocketResponse, until: float) -> None:
        while time.monotonic() < until:
            started = time.monotonic()
            await ws.send_str("still here?")
            while True:
                message = await asyncio.wait_for(ws.receive(), 30)
                assert message.type is aiohttp.WSMsgType.TEXT, message
                if json.loads(message.data).get("echo") == "still here?":
                    break
            self.echoes.append(time.monotonic() - started)
            await asyncio.sleep(0.05)


async def test_websocket_floods_that_never_read_cost_bounded_memory_and_starve_no_one(
    server: ServerProcess, flooders: list[asyncio.StreamWriter], server_dir: Path
) -> None:
    baseline = rss_kib(server.pid)
    watch = Watch(server)
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(server.make_url("/ws?count=60&interval=60")) as ws,
    ):
        await ws.receive()  # the stream's first message: the socket is up
        with Preemption() as machine:
            until = time.monotonic() + FLOOD_SECONDS
            floods = [asyncio.ensure_future(_flood(writer)) for writer in flooders]
            await asyncio.gather(watch.memory(until), watch.healthz(until), watch.echo(ws, until))
        for flood in floods:
            flood.cancel()
    held = healthz(server)
    for writer in flooders:
        writer.transport.abort()
    assert await wait_for_idle(server, within=30) == 0
    after = await settle(lambda: rss_kib(server.pid), baseline + RSS_AFTER_KIB, within=5)
    print(
        f"{FLOODERS} flooders: RSS {baseline // 1024} MiB before, peak {watch.peak_kib // 1024} MiB, "
        f"{after // 1024} MiB after; inbound held {held.get('inbound_bytes')} bytes; "
        f"/healthz worst {max(watch.health) * 1000:.0f} ms; {len(watch.echoes)} echoes, "
        f"worst {max(watch.echoes, default=0) * 1000:.0f} ms; {machine}"
    )
    assert watch.peak_kib - baseline < RSS_BOUND_KIB
    assert after - baseline < RSS_AFTER_KIB
    assert max(watch.health) < machine.allows(MAX_LATENCY_SECONDS)
    assert len(watch.echoes) >= 2
    assert max(watch.echoes) < machine.allows(MAX_ECHO_SECONDS)
    assert healthz(server)["inbound_bytes"] == 0
    assert logged_errors(server_dir) == []
