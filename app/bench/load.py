"""The benchmark's load generator: `python -m app.bench.load '<job as JSON>'`.

It runs in its own process (on its own core when there are two), reads streams as fast
as it can or holds many slow ones open, and prints one JSON result on stdout; progress
goes to stderr as JSON lines. Every loop is bounded by a count and a deadline.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import sys
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from ..client.parsers import split_stamp
from ..server.memory import collector_snapshot, tune_collector
from .processes import cpu_seconds
from .raw import CLOSE_REPLY, ChunkedBody, Frames
from .stats import DelimiterCounter, StreamTimes, lag_summary, lateness_summary

#: What marks the end of one message in a body, by how the body divides into messages.
DELIMITERS = {"lines": b"\n", "sse": b"\n\n", "json": b"}\n"}
PROGRESS_SECONDS = 1.0


def progress(**fields: Any) -> None:
    print(json.dumps(fields), file=sys.stderr, flush=True)


def session(connect_timeout: float = 60.0) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0),
        timeout=aiohttp.ClientTimeout(total=None, sock_connect=connect_timeout),
    )


READ_BYTES = 256 * 1024


async def read_body(url: str, count_by: str) -> dict[str, Any]:
    """`messages` and payload `bytes` of one body read as fast as it comes over a raw
    socket, or the `status` and `error` of a refusal."""
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port, limit=READ_BYTES)
    target = f"{parts.path}?{parts.query}" if parts.query else parts.path
    try:
        if count_by == "ws":
            return await _read_frames(reader, writer, parts.netloc, target)
        writer.write(f"GET {target} HTTP/1.1\r\nHost: {parts.netloc}\r\nConnection: close\r\n\r\n".encode())
        status, headers = _head(await reader.readuntil(b"\r\n\r\n"))
        if status != 200:
            return await _refused(status, reader)
        if "chunked" in headers.get("transfer-encoding", ""):
            body = ChunkedBody(None if count_by == "chunks" else DELIMITERS[count_by])
            while not body.done and (data := await reader.read(READ_BYTES)):
                body.feed(data)
            return {"messages": body.messages, "bytes": body.payload_bytes}
        # A body without chunked framing (HTTP/1.0 style): it ends with the connection.
        counter = DelimiterCounter(DELIMITERS.get(count_by, b"\n"))
        while data := await reader.read(READ_BYTES):
            counter.feed(data)
        return {"messages": counter.messages, "bytes": counter.received}
    finally:
        writer.close()


async def _refused(status: int, reader: asyncio.StreamReader) -> dict[str, Any]:
    return {"status": status, "error": (await reader.read(READ_BYTES)).decode(errors="replace")[:300]}


async def _read_frames(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, netloc: str, target: str
) -> dict[str, Any]:
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        f"GET {target} HTTP/1.1\r\nHost: {netloc}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    status, _ = _head(await reader.readuntil(b"\r\n\r\n"))
    if status != 101:
        return await _refused(status, reader)
    frames = Frames()
    while not frames.closed and (data := await reader.read(READ_BYTES)):
        frames.feed(data)
    if frames.closed:
        writer.write(CLOSE_REPLY)
        await writer.drain()
    return {"messages": frames.messages, "bytes": frames.payload_bytes}


def _head(head: bytes) -> tuple[int, dict[str, str]]:
    """The status code and the (lower-cased) headers of a response head."""
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip().lower()
    return int(lines[0].split()[1]), headers


async def throughput_run(run: dict[str, Any]) -> dict[str, Any]:
    """One body read as fast as it comes, with the CPU share each side used meanwhile:
    a server near 100% is the bottleneck (the figure measures it); a load generator
    near 100% would mean the figure measures the client instead."""
    server_cpu, client_cpu = cpu_seconds(run.get("server_pid", 0)), time.process_time()
    started = time.perf_counter()
    result: dict[str, Any] = {"id": run["id"], "status": 200, "error": None}
    result |= await read_body(run["url"], run["count_by"])
    wall = time.perf_counter() - started
    if result["error"] is None:
        result["seconds"] = wall
    server_after = cpu_seconds(run.get("server_pid", 0))
    if server_cpu is not None and server_after is not None:
        result["server_cpu"] = round((server_after - server_cpu) / wall, 2)
    result["client_cpu"] = round((time.process_time() - client_cpu) / wall, 2)
    return result


async def throughput(job: dict[str, Any]) -> dict[str, Any]:
    results = []
    for run in job["runs"]:
        progress(phase="throughput", run=run["id"])
        try:
            results.append(await asyncio.wait_for(throughput_run(run), run["timeout"]))
        except (TimeoutError, OSError, ValueError, asyncio.IncompleteReadError) as error:
            results.append({"id": run["id"], "status": None, "error": f"{type(error).__name__}: {error}"})
    return {"runs": results}


async def slow_stream(client: aiohttp.ClientSession, url: str, ws: bool, times: StreamTimes) -> None:
    """Hold one stream open to its end, noting each message's stamp and arrival (epoch ms)."""
    times.issued_ms = time.time() * 1000
    if ws:
        async with client.ws_connect(url) as socket:
            async for message in socket:
                if message.type is aiohttp.WSMsgType.TEXT:
                    times.add(time.time() * 1000, split_stamp(message.data)[1])
        return
    async with client.get(url) as response:
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}")
        async for line in response.content:
            times.add(time.time() * 1000, split_stamp(line.decode().rstrip("\n"))[1])


async def report_progress(streams: Sequence[StreamTimes], total: int) -> None:
    while True:
        await asyncio.sleep(PROGRESS_SECONDS)
        connected = sum(1 for times in streams if times.received)
        progress(
            phase="concurrency",
            connected=connected,
            streams=total,
            messages=sum(len(times.received) for times in streams),
        )


async def poll_health(
    client: aiohttp.ClientSession, url: str, samples: list[tuple[float, float]], collector: list[dict[str, Any]]
) -> None:
    """Once a second, the server's worst loop lag of its last second, and its collector's
    full collections so far (a server without /healthz's `loop_lag`, a baseline that does
    not sample it, adds nothing)."""
    while True:
        try:
            async with client.get(url) as response:
                health = (await response.json()) if response.status == 200 else {}
        except (aiohttp.ClientError, ValueError):
            health = {}
        if lag := health.get("loop_lag"):
            samples.append((time.time() * 1000, float(lag["last_second_ms"])))
        if "longest_full_collection_ms" in health.get("collector", {}):
            collector.append(health["collector"])
        await asyncio.sleep(PROGRESS_SECONDS)


def collector_summary(snapshots: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Full collections between the first and the last poll, and the longest pauses so far."""
    if not snapshots:
        return {}
    first, last = snapshots[0], snapshots[-1]
    return {
        "full_collections": last["full_collections"] - first["full_collections"],
        "longest_full_collection_ms": last["longest_full_collection_ms"],
        "longest_collection_ms": last.get("longest_collection_ms"),
    }


async def concurrency(job: dict[str, Any]) -> dict[str, Any]:
    streams = [StreamTimes() for _ in range(job["streams"])]
    lag_samples: list[tuple[float, float]] = []
    collector: list[dict[str, Any]] = []
    # The load generator's own CPU share: near 1.0, arrivals are late because the reader is.
    cpu, started = time.process_time(), time.perf_counter()
    async with session() as client:
        reporter = asyncio.ensure_future(report_progress(streams, len(streams)))
        lag_poller = asyncio.ensure_future(poll_health(client, job["health_url"], lag_samples, collector))
        try:
            readers = (slow_stream(client, job["url"], job["ws"], times) for times in streams)
            outcomes = await asyncio.wait_for(asyncio.gather(*readers, return_exceptions=True), job["timeout"])
        except TimeoutError:
            outcomes = [TimeoutError("stream did not end in time")] * len(streams)
        finally:
            reporter.cancel()
            lag_poller.cancel()
    client_cpu = round((time.process_time() - cpu) / (time.perf_counter() - started), 2)
    failures = [f"{type(o).__name__}: {o}" for o in outcomes if isinstance(o, BaseException)]
    summary = lateness_summary(streams, job["interval"] * 1000)
    burst_end = max((times.received[0] for times in streams if times.received), default=None)
    return (
        summary
        | lag_summary(lag_samples, burst_end)
        | collector_summary(collector)
        | {
            "streams": len(streams),
            "expected_messages": len(streams) * job["count"],
            "failed_streams": len(failures),
            "first_failures": sorted(set(failures))[:3],
            "client_cpu": client_cpu,
        }
    )


JOBS = {"throughput": throughput, "concurrency": concurrency}


def run_job(job: dict[str, Any]) -> dict[str, Any]:
    """Run on uvloop when it is installed: its reads cost the load generator less per
    wake-up, so more of the machine's time goes to the server being measured."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(JOBS[job["kind"]](job))
    return uvloop.run(JOBS[job["kind"]](job))


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    job = json.loads(args[0])
    # Holding 10,000 streams, this process's own collections (hundreds of ms with the
    # default thresholds) would make every server look late: it is tuned as the server
    # is, and says how long its own collections took.
    tune_collector()
    result = run_job(job)
    result["client_collector"] = collector_snapshot()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
