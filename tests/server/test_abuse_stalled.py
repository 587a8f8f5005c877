"""Clients that stop reading cannot hold the server: a write that waits on such a reader
past the send timeout ends its stream (outcome `stalled`), which gives back its slot and
its share of the memory budget and closes its socket.

The server is a separate process with a one-second send timeout and a cap of 20 streams.
"""

from __future__ import annotations

import asyncio
import signal
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.server.settings import DEFAULT_SHUTDOWN_TIMEOUT
from tests.helpers import HTTP_ENDPOINTS
from tests.processes import ServerProcess, app_server
from tests.rawclients import (
    ONE_MIB,
    ask_and_never_read,
    healthz,
    logged_errors,
    mib_messages,
    stall_on,
    wait_for_idle,
)

SEND_TIMEOUT = 1.0
MAX_STREAMS = 20
#: The stall watch looks once a second: a stalled stream ends within timeout + 1 s; the
#: rest is margin for a loaded machine.
ENDED_WITHIN = SEND_TIMEOUT + 1.0 + 4.0


@pytest.fixture(scope="module")
def server_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("stalled")


@pytest.fixture(scope="module")
def server(server_dir: Path) -> Iterator[ServerProcess]:
    with app_server(server_dir, "--send-timeout", str(SEND_TIMEOUT), "--max-streams", str(MAX_STREAMS)) as process:
        yield process


async def read_until_closed(reader: asyncio.StreamReader) -> None:
    """Read (and drop) everything until the server closes the connection."""
    try:
        while await reader.read(1 << 16):
            pass
    except ConnectionError:
        pass


def stalled_count(server: ServerProcess) -> int:
    ended = healthz(server)["streams_ended"]
    assert isinstance(ended, dict)
    return int(ended["stalled"])


@pytest.mark.parametrize("endpoint", [*HTTP_ENDPOINTS, "ws"], ids=lambda e: e if isinstance(e, str) else e.name)
async def test_a_stalled_reader_is_ended_after_the_send_timeout(server: ServerProcess, endpoint: object) -> None:
    assert await wait_for_idle(server) == 0
    stalled_before = stalled_count(server)
    reader, writer = await stall_on(server.port, mib_messages(endpoint))
    try:
        assert healthz(server)["active_streams"] == 1
        started = time.monotonic()
        assert await wait_for_idle(server, within=ENDED_WITHIN) == 0
        waited = time.monotonic() - started
        assert stalled_count(server) == stalled_before + 1
        # Its socket is closed too: the client reads what was sent, then the end.
        await asyncio.wait_for(read_until_closed(reader), 10)
    finally:
        writer.transport.abort()
    print(f"{mib_messages(endpoint)}: ended {waited:.2f} s after it filled the socket")
    assert waited >= SEND_TIMEOUT * 0.5


def status_of(server: ServerProcess, path: str) -> int:
    try:
        with urllib.request.urlopen(server.make_url(path), timeout=10) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


async def test_stalled_readers_give_their_slots_back(server: ServerProcess) -> None:
    assert await wait_for_idle(server) == 0
    stalled = [await stall_on(server.port, f"/chunked?count=100&interval=0&size={ONE_MIB}") for _ in range(MAX_STREAMS)]
    try:
        assert status_of(server, "/chunked?count=1&interval=0") == 503
        assert await wait_for_idle(server, within=ENDED_WITHIN) == 0
        assert status_of(server, "/chunked?count=1&interval=0") == 200
    finally:
        for _, writer in stalled:
            writer.transport.abort()


async def test_buffered_bodies_count_until_their_last_byte_is_written(server: ServerProcess) -> None:
    assert await wait_for_idle(server) == 0
    # 8 MiB bodies: the cap of 20 streams, not the memory budget, is what stops these.
    path = "/non-chunked?count=500&interval=0&size=16384"
    clients = await asyncio.gather(*(ask_and_never_read(server.port, path) for _ in range(50)))
    try:
        statuses = [head.split(b" ", 2)[1] for head, _ in clients]
        assert (statuses.count(b"200"), statuses.count(b"503")) == (MAX_STREAMS, 50 - MAX_STREAMS)
        assert healthz(server)["active_streams"] == MAX_STREAMS
    finally:
        for _, writer in clients:
            writer.transport.abort()


def test_stalls_are_not_errors(server: ServerProcess, server_dir: Path) -> None:
    assert logged_errors(server_dir) == []
    log = (server_dir / "server.log").read_text()
    assert "outcome=stalled" in log


async def test_shutdown_with_stalled_readers_stays_within_its_time(tmp_path: Path) -> None:
    """SIGTERM while every stream waits on a reader that stopped: out within the shutdown
    timeout (3 s), not after the send timeout (30 s by default) or whenever the clients go."""
    with app_server(tmp_path) as process:
        paths = [mib_messages(endpoint) for endpoint in [*HTTP_ENDPOINTS, "ws"]] * 3
        stalled = [await stall_on(process.port, path) for path in paths]
        await asyncio.sleep(0.5)  # every socket full, every stream waiting on its reader
        started = time.monotonic()
        process.process.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(process.process.wait, 15)
        took = time.monotonic() - started
        for _, writer in stalled:
            writer.transport.abort()
    print(f"SIGTERM with {len(stalled)} stalled readers: exit {code} after {took:.2f} s")
    assert code == 0
    assert took < DEFAULT_SHUTDOWN_TIMEOUT + 1.5
    assert logged_errors(tmp_path) == []
