"""SIGTERM or Ctrl-C with streams open: every stream ends cleanly (HTTP with its last
chunk, WebSocket with 1001), the process exits promptly, and nothing is logged as an error."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from websockets.asyncio.client import connect

from app.server.settings import DEFAULT_SHUTDOWN_TIMEOUT
from tests.machine import Preemption
from tests.processes import free_port

#: How long the process may take to exit once every stream ends itself at once, at a whole
#: core (scaled by the share of one the machine gives meanwhile, tests/machine.py).
PROMPT_EXIT_SECONDS = 1.0


@pytest.fixture
async def server_process() -> AsyncIterator[tuple[asyncio.subprocess.Process, int]]:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app",
        "--port",
        str(port),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with aiohttp.ClientSession() as session:
        for _ in range(200):
            try:
                async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                    if response.status == 200:
                        break
            except aiohttp.ClientConnectorError:
                await asyncio.sleep(0.05)
    try:
        yield process, port
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def _rest_of(response: aiohttp.ClientResponse) -> bytes:
    return await response.content.read()


@pytest.mark.parametrize("signal_number", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
async def test_shutdown_ends_every_stream_cleanly_and_promptly(server_process, signal_number: int) -> None:
    process, port = server_process
    base = f"http://127.0.0.1:{port}"
    slow = "count=100&interval=0.2"
    async with aiohttp.ClientSession() as session:
        chunked = await session.get(f"{base}/chunked?{slow}")
        array = await session.get(f"{base}/json?{slow}")
        events = await session.get(f"{base}/sse?{slow}")
        heads = [await response.content.readany() for response in (chunked, array, events)]
        async with connect(f"ws://127.0.0.1:{port}/ws?{slow}") as websocket:
            await websocket.recv()
            started = time.monotonic()
            process.send_signal(signal_number)
            # Each read ends at the stream's terminating chunk: a cut connection would raise.
            tails = await asyncio.wait_for(asyncio.gather(*(_rest_of(r) for r in (chunked, array, events))), 10)
            with pytest.raises(Exception):  # noqa: B017 - any way the socket ends is fine
                while True:
                    await websocket.recv()
            assert websocket.close_code == 1001
    await asyncio.wait_for(process.wait(), DEFAULT_SHUTDOWN_TIMEOUT + 5)
    elapsed = time.monotonic() - started
    stderr = (await process.stderr.read()).decode()  # type: ignore[union-attr]
    assert elapsed < DEFAULT_SHUTDOWN_TIMEOUT, stderr
    assert b"Chunk 99" not in tails[0]
    # The cut array is left visibly unfinished (no `]`), its items whole.
    cut_array = (heads[1] + tails[1]).decode()
    assert cut_array.endswith("}\n,\n") and "]" not in cut_array
    json.loads(cut_array.removesuffix(",\n") + "]")
    assert "ERROR" not in stderr and "Traceback" not in stderr, stderr
    assert "outcome=shutdown" in stderr


async def _never_reading(port: int, path: str) -> asyncio.StreamWriter:
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    await writer.drain()
    return writer


async def test_shutdown_is_prompt_while_relays_compress_for_readers_that_never_read(server_process) -> None:
    # Compressing for a reader that does not read is work nothing pushes back on: before the
    # loop was shared by work done, four such streams made SIGTERM take the whole timeout.
    process, port = server_process
    paths = [f"/chunked?count=1000000&interval=0&size={1024 * 1024}&via=gzip"] * 4
    paths += [f"/sse?count=1000000&interval=0&size={64 * 1024}&via=gzip-flush"] * 50
    writers = await asyncio.gather(*(_never_reading(port, path) for path in paths))
    await asyncio.sleep(0.5)
    with Preemption() as machine:
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), DEFAULT_SHUTDOWN_TIMEOUT + 5)
        elapsed = time.monotonic() - started
    for writer in writers:
        writer.transport.abort()
    stderr = (await process.stderr.read()).decode()  # type: ignore[union-attr]
    print(f"SIGTERM with {len(paths)} relays nobody reads: exited in {elapsed:.2f} s; {machine}")
    assert elapsed < min(machine.allows(PROMPT_EXIT_SECONDS), DEFAULT_SHUTDOWN_TIMEOUT), stderr
    assert "ERROR" not in stderr and "Traceback" not in stderr, stderr
