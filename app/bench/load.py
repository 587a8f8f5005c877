"""The benchmark's load generator: `python -m app.bench.load '<job as JSON>'`.

It runs in its own process (on its own core when there are two), reads streams as fast
as it can or holds many slow ones open, and prints one JSON result on stdout; progress
goes to stderr as JSON lines. Every loop is bounded by a count and a deadline.
"""

from __future__ import annotations

import asyncio
import functools
import json
import sys
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from ..server.memory import collector_snapshot, tune_collector
from ..sources import split_stamp
from ..wire.chunked import ChunkCounter
from ..wire.http import Head, encode_request, parse_head, request_target
from ..wire.lines import LineCounter
from ..wire.sse import EventCounter
from ..wire.websocket import FrameCounter, Opcode, close_payload, encode_frame, handshake_headers, handshake_key
from .processes import cpu_seconds
from .rows import Collections, ConcurrencyLoad, ReadResult, to_json
from .stats import StreamTimes, lag_summary, lateness_summary

#: The counting decoders of the messages in a body, by how the body divides into them (a
#: JSON array's items end lines of their own with `}`); a body counted by its chunks has none.
COUNTERS: dict[str, Callable[[], LineCounter | EventCounter]] = {
    "lines": LineCounter,
    "json": functools.partial(LineCounter, suffix=b"}"),
    "sse": EventCounter,
}
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
    host, target = request_target(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port, limit=READ_BYTES)
    try:
        if count_by == "ws":
            return await _read_frames(reader, writer, host, target)
        writer.write(encode_request("GET", target, host, [("Connection", "close")]))
        head, data = await _read_head(reader)
        if head.status != 200:
            return await _refused(head.status, data, reader)
        counter = COUNTERS[count_by]() if count_by in COUNTERS else None
        if head.chunked:
            body = ChunkCounter(None if counter is None else counter.feed)
            async for read in _reads(reader, data, lambda: body.done):
                body.feed(read)
            return {"messages": body.chunks if counter is None else counter.messages, "bytes": body.payload_bytes}
        # A body without chunked framing (HTTP/1.0 style): it ends with the connection.
        counter = counter or LineCounter()
        async for read in _reads(reader, data, lambda: False):
            counter.feed(read)
        return {"messages": counter.messages, "bytes": counter.received}
    finally:
        writer.close()


async def _read_head(reader: asyncio.StreamReader) -> tuple[Head, bytes]:
    """The response head and the bytes read after it."""
    buffer = b""
    while (parsed := parse_head(buffer)) is None:
        data = await reader.read(READ_BYTES)
        if not data:
            raise ConnectionError("the server closed the connection before its response head")
        buffer += data
    return parsed


async def _reads(reader: asyncio.StreamReader, first: bytes, done: Callable[[], bool]) -> AsyncIterator[bytes]:
    """What came with the head, then every read until `done()` or the connection's end."""
    if first:
        yield first
    while not done() and (data := await reader.read(READ_BYTES)):
        yield data


async def _refused(status: int, data: bytes, reader: asyncio.StreamReader) -> dict[str, Any]:
    body = data or await reader.read(READ_BYTES)
    return {"status": status, "error": body.decode(errors="replace")[:300]}


async def _read_frames(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str, target: str
) -> dict[str, Any]:
    writer.write(encode_request("GET", target, host, handshake_headers(handshake_key())))
    head, data = await _read_head(reader)
    if head.status != 101:
        return await _refused(head.status, data, reader)
    frames = FrameCounter()
    async for read in _reads(reader, data, lambda: frames.closed):
        frames.feed(read)
    if frames.closed:
        # What a client answers a server's close with, code 1000.
        writer.write(encode_frame(Opcode.CLOSE, close_payload(1000), mask=True))
        await writer.drain()
    return {"messages": frames.messages, "bytes": frames.payload_bytes}


async def throughput_run(run: dict[str, Any]) -> ReadResult:
    """One body read as fast as it comes, with the CPU share each side used meanwhile:
    a server near 100% is the bottleneck (the figure measures it); a load generator
    near 100% would mean the figure measures the client instead."""
    server_cpu, client_cpu = cpu_seconds(run.get("server_pid", 0)), time.process_time()
    started = time.perf_counter()
    read = await read_body(run["url"], run["count_by"])
    wall = time.perf_counter() - started
    server_after = cpu_seconds(run.get("server_pid", 0))
    return ReadResult(
        id=run["id"],
        status=read.get("status", 200),
        error=read.get("error"),
        messages=read.get("messages"),
        bytes=read.get("bytes"),
        seconds=wall if read.get("error") is None else None,
        server_cpu=None if server_cpu is None or server_after is None else round((server_after - server_cpu) / wall, 2),
        client_cpu=round((time.process_time() - client_cpu) / wall, 2),
    )


async def throughput(job: dict[str, Any]) -> dict[str, list[ReadResult]]:
    results = []
    for run in job["runs"]:
        progress(phase="throughput", run=run["id"])
        try:
            results.append(await asyncio.wait_for(throughput_run(run), run["timeout"]))
        except (TimeoutError, OSError, ValueError, asyncio.IncompleteReadError) as error:
            results.append(ReadResult(run["id"], status=None, error=f"{type(error).__name__}: {error}"))
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


def collector_summary(snapshots: Sequence[dict[str, Any]]) -> Collections | None:
    """Full collections between the first and the last poll, and the longest pauses so far."""
    if not snapshots:
        return None
    first, last = snapshots[0], snapshots[-1]
    return Collections(
        full_collections=last["full_collections"] - first["full_collections"],
        longest_full_collection_ms=last["longest_full_collection_ms"],
        longest_collection_ms=last.get("longest_collection_ms"),
    )


async def concurrency(job: dict[str, Any]) -> ConcurrencyLoad:
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
    burst_end = max((times.received[0] for times in streams if times.received), default=None)
    return ConcurrencyLoad(
        lateness=lateness_summary(streams, job["interval"] * 1000),
        lag=lag_summary(lag_samples, burst_end),
        streams=len(streams),
        expected_messages=len(streams) * job["count"],
        failed_streams=len(failures),
        first_failures=sorted(set(failures))[:3],
        client_cpu=client_cpu,
        collections=collector_summary(collector),
    )


Answer = ConcurrencyLoad | dict[str, list[ReadResult]]
JOBS: dict[str, Callable[[dict[str, Any]], Coroutine[Any, Any, Answer]]] = {
    "throughput": throughput,
    "concurrency": concurrency,
}


def run_job(job: dict[str, Any]) -> Answer:
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
    result = to_json(run_job(job))
    result["client_collector"] = collector_snapshot()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
