"""Connection churn: 1,000 streams opened and dropped mid-stream leave nothing behind —
no active streams, no tasks, no file descriptors, no memory that keeps growing.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import time
import urllib.request
from pathlib import Path

from app.endpoints import ENDPOINTS
from tests.conftest import wait_for_no_active_streams
from tests.processes import ServerProcess, open_fds, rss_kib
from tests.rawclients import fewest_fds, get_request, settle

STREAMS = 1000
CONCURRENCY = 100
#: Every stream is mid-way when its client leaves: in a long pause, between quick
#: messages, or writing as fast as the socket takes it.
QUERIES = ("count=20&interval=30", "count=1000&interval=0.01", "count=200&interval=0.001&size=65536")
STREAM_PATHS = [endpoint.path for endpoint in ENDPOINTS if endpoint.name != "non-chunked"]


async def _open_and_drop(port: int, path: str, query: str, abort: bool) -> None:
    """Start a stream, wait for its first message, then leave (RST or FIN)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(get_request(f"{path}?{query}"))
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith((b"HTTP/1.1 200", b"HTTP/1.1 101")), head
        assert await reader.read(64)
    finally:
        if abort:
            writer.transport.abort()
        else:
            writer.close()


async def churn(port: int, streams: int = STREAMS, paths=STREAM_PATHS, queries=QUERIES) -> float:
    """`streams` streams over `paths`, CONCURRENCY at a time; returns seconds."""
    started = time.monotonic()
    gate = asyncio.Semaphore(CONCURRENCY)
    # Path, query and way of leaving cycle with co-prime periods: every combination occurs.
    plan = zip(
        range(streams),
        itertools.cycle(paths),
        itertools.cycle(queries),
        itertools.cycle((True, False)),
        strict=False,
    )

    async def one(path: str, query: str, abort: bool) -> None:
        async with gate:
            await asyncio.wait_for(_open_and_drop(port, path, query, abort), 10)

    await asyncio.gather(*(one(path, query, abort) for _, path, query, abort in plan))
    return time.monotonic() - started


def _healthz(server: ServerProcess) -> dict[str, object]:
    with urllib.request.urlopen(server.make_url("/healthz"), timeout=5) as response:
        return json.loads(response.read())


async def test_churn_leaves_no_streams_fds_or_growing_memory_in_the_server_process(app_process: ServerProcess) -> None:
    pid = app_process.pid
    fds_at_start = await fewest_fds(pid)
    # A first round warms up what every later stream shares (imports, buffers, pools).
    await churn(app_process.port)
    assert await settle(lambda: _healthz(app_process)["active_streams"], 0) == 0
    fds_before = await settle(lambda: open_fds(pid), fds_at_start)
    rss_before = rss_kib(pid)
    seconds = await churn(app_process.port)
    assert await settle(lambda: _healthz(app_process)["active_streams"], 0) == 0
    fds_after = await settle(lambda: open_fds(pid), fds_at_start)
    rss_after = rss_kib(pid)
    health = _healthz(app_process)
    print(
        f"churn: {STREAMS} streams in {seconds:.1f} s; fds {fds_at_start} -> {fds_before} -> {fds_after}; "
        f"RSS {rss_before} -> {rss_after} KiB; ended {health['streams_ended']}"
    )
    assert fds_after <= fds_at_start
    assert fds_before <= fds_at_start
    ended = health["streams_ended"]
    assert isinstance(ended, dict)
    assert health["streams_started"] == sum(ended.values()) == 2 * STREAMS
    assert ended["shutdown"] == 0
    # The second round reuses what the first one freed.
    assert rss_after - rss_before < 16 * 1024


async def test_clients_leaving_during_fast_writes_log_no_errors(app_process: ServerProcess, tmp_path: Path) -> None:
    # Wakes from a short pause to find the connection closing: the write then raises.
    quick_large_writes = "count=1000&interval=0.001&size=65536"
    await churn(app_process.port, streams=300, paths=["/chunked", "/sse", "/ndjson"], queries=[quick_large_writes])
    assert await settle(lambda: _healthz(app_process)["active_streams"], 0) == 0
    ended = _healthz(app_process)["streams_ended"]
    log = (tmp_path / "server.log").read_text(errors="replace")
    assert [line for line in log.splitlines() if " ERROR " in line or line.startswith("Traceback")] == []
    assert ended == {**ended, "error": 0}


async def test_churn_leaves_no_tasks_behind(server) -> None:
    baseline = set(asyncio.all_tasks())
    fds_before = len(os.listdir("/proc/self/fd"))
    await churn(server.port)
    assert await wait_for_no_active_streams(server.app, within=5) == 0
    assert await settle(lambda: len(set(asyncio.all_tasks()) - baseline), 0) == 0
    assert await settle(lambda: len(os.listdir("/proc/self/fd")), fds_before) <= fds_before


async def _ask_and_leave_at_once(port: int, path: str) -> None:
    """Send a request and reset the connection before the answer's head can go out."""
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(get_request(f"{path}?count=5&interval=0"))
    await writer.drain()
    writer.transport.abort()


async def test_clients_leaving_before_the_headers_log_no_errors(app_process: ServerProcess, tmp_path: Path) -> None:
    for path in itertools.islice(itertools.cycle(("/chunked", "/json", "/sse", "/ws", "/non-chunked")), 1000):
        await _ask_and_leave_at_once(app_process.port, path)
    assert await settle(lambda: _healthz(app_process)["active_streams"], 0) == 0
    log = (tmp_path / "server.log").read_text(errors="replace")
    assert [line for line in log.splitlines() if " ERROR " in line or line.startswith("Traceback")] == []
