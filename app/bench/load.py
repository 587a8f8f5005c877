"""The benchmark's load generator: `python -m app.bench.load '<job as JSON>'`.

It runs in its own process (on its own core when there are two), reads streams as fast
as it can or holds many slow ones open, and prints one JSON result on stdout; progress
goes to stderr as JSON lines. Every loop is bounded by a count and a deadline.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Sequence
from typing import Any

import aiohttp

from ..client.parsers import split_stamp
from ..server.memory import collector_snapshot, tune_collector
from .processes import cpu_seconds
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


async def drain_http(response: aiohttp.ClientResponse, count_by: str) -> tuple[int, int]:
    """(messages, body bytes) of a body read as fast as it comes."""
    if count_by == "chunks":
        return await drain_chunks(response)
    counter = DelimiterCounter(DELIMITERS[count_by])
    async for data in response.content.iter_any():
        counter.feed(data)
    return counter.messages, counter.received


async def drain_chunks(response: aiohttp.ClientResponse) -> tuple[int, int]:
    messages = received = pending = 0
    while True:
        data, chunk_end = await response.content.readchunk()
        if not data and not chunk_end:
            return messages, received
        received += len(data)
        pending += len(data)
        if chunk_end and pending:
            messages += 1
            pending = 0


async def drain_ws(client: aiohttp.ClientSession, url: str) -> tuple[int, int]:
    messages = received = 0
    async with client.ws_connect(url, max_msg_size=8 * 1024 * 1024) as ws:
        async for message in ws:
            if message.type is aiohttp.WSMsgType.TEXT:
                messages += 1
                received += len(message.data)
    return messages, received


async def throughput_run(client: aiohttp.ClientSession, run: dict[str, Any]) -> dict[str, Any]:
    """One body read as fast as it comes, with the CPU share each side used meanwhile:
    a server near 100% is the bottleneck (the figure measures it); a load generator
    near 100% would mean the figure measures the client instead."""
    server_cpu, client_cpu = cpu_seconds(run.get("server_pid", 0)), time.process_time()
    started = time.perf_counter()
    result = await read_as_fast_as_possible(client, run)
    wall = time.perf_counter() - started
    server_after = cpu_seconds(run.get("server_pid", 0))
    if server_cpu is not None and server_after is not None:
        result["server_cpu"] = round((server_after - server_cpu) / wall, 2)
    result["client_cpu"] = round((time.process_time() - client_cpu) / wall, 2)
    return result


async def read_as_fast_as_possible(client: aiohttp.ClientSession, run: dict[str, Any]) -> dict[str, Any]:
    started = time.perf_counter()
    result: dict[str, Any] = {"id": run["id"], "status": 200, "error": None}
    if run["count_by"] == "ws":
        messages, received = await drain_ws(client, run["url"])
    else:
        async with client.get(run["url"]) as response:
            if response.status != 200:
                body = await response.text()
                return result | {"status": response.status, "error": body[:300]}
            messages, received = await drain_http(response, run["count_by"])
    return result | {"messages": messages, "bytes": received, "seconds": time.perf_counter() - started}


async def throughput(job: dict[str, Any]) -> dict[str, Any]:
    results = []
    async with session() as client:
        for run in job["runs"]:
            progress(phase="throughput", run=run["id"])
            try:
                results.append(await asyncio.wait_for(throughput_run(client, run), run["timeout"]))
            except (TimeoutError, aiohttp.ClientError) as error:
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


async def poll_lag(
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
        lag_poller = asyncio.ensure_future(poll_lag(client, job["health_url"], lag_samples, collector))
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


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    job = json.loads(args[0])
    # Holding 10,000 streams, this process's own collections (hundreds of ms with the
    # default thresholds) would make every server look late: it is tuned as the server
    # is, and says how long its own collections took.
    tune_collector()
    result = asyncio.run(JOBS[job["kind"]](job))
    result["client_collector"] = collector_snapshot()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
