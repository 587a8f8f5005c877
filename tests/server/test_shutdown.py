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
from tests.processes import free_port


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
