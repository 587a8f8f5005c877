"""`transport-lab bench`: throughput, concurrency and ijson memory, against baselines.

Servers and the load generator run in separate processes on 127.0.0.1 (on separate
cores when there are two); every loop is bounded and every process is stopped at the
end. `--compare` runs bare aiohttp (and aiohttp-sse, starlette when installed) in the
same run, so each figure is also a ratio that holds on a noisy machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import aiohttp

from ..exits import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK
from ..transport import Transport
from .extra import not_installed
from .plan import (
    AIOHTTP_SSE,
    BARE,
    CEILING,
    OURS,
    OURS_ASYNCIO,
    SERVERS,
    STARLETTE,
    Run,
    SizeClass,
    baseline_endpoint,
    throughput_runs,
)
from .processes import Server, cpu_seconds, run_load, running_server
from .progress import Progress
from .report import add_ratios, concurrency_targets, ijson_targets, throughput_row, throughput_targets
from .rows import ConcurrencyLoad, ConcurrencyRow, IjsonMemory, IjsonRun, ReadResult, Throughput, from_json, to_json
from .text import render

RUN_LIMIT_S = 180.0
SECTIONS = ("throughput", "concurrency", "ijson")


@dataclass(frozen=True)
class BenchSettings:
    compare: bool = False
    messages: int = 200_000
    large_messages: int = 20_000
    repeat: int = 3
    streams: int = 2_000
    duration: float = 15.0
    interval: float = 1.0
    ijson_items: tuple[int, ...] = (100_000, 1_000_000)
    sections: tuple[str, ...] = SECTIONS
    pin: bool = False
    quick: bool = False

    @property
    def max_streams(self) -> int:
        return max(self.streams + 100, 10_000)


QUICK = {
    "messages": 300,
    "large_messages": 30,
    "repeat": 1,
    "streams": 20,
    "duration": 1.0,
    "interval": 0.2,
    "ijson_items": (1_000, 10_000),
}


def build_parser() -> argparse.ArgumentParser:
    d = BenchSettings()
    parser = argparse.ArgumentParser(prog="transport-lab bench", description=__doc__.splitlines()[0])
    parser.add_argument("--compare", action="store_true", help="also run the baselines in the same run")
    parser.add_argument("--json", action="store_true", help="print the result as JSON (progress stays on stderr)")
    parser.add_argument("--quick", action="store_true", help="a tiny run that proves the benchmark works (CI)")
    parser.add_argument(
        "--only",
        default=",".join(SECTIONS),
        help=f"comma-separated sections to run (default all): {', '.join(SECTIONS)}",
    )
    parser.add_argument("--messages", type=int, help=f"64-byte messages per throughput run (default {d.messages:,})")
    parser.add_argument("--large-messages", type=int, help=f"64 KiB messages per run (default {d.large_messages:,})")
    parser.add_argument("--repeat", type=int, help=f"throughput repeats, median reported (default {d.repeat})")
    parser.add_argument("--streams", type=int, help=f"concurrent streams, up to 10,000 (default {d.streams:,})")
    parser.add_argument("--duration", type=float, help=f"seconds each concurrent stream lasts (default {d.duration:g})")
    parser.add_argument("--ijson-items", help="item counts of the ijson memory runs (default 100000,1000000)")
    parser.add_argument(
        "--pin",
        action="store_true",
        help="pin the server to CPU 0 and the load generator to CPU 1 (for an otherwise idle machine)",
    )
    return parser


def settings_from(args: argparse.Namespace) -> BenchSettings:
    values: dict[str, Any] = dict(QUICK) if args.quick else {}
    for key in ("messages", "large_messages", "repeat", "streams", "duration"):
        if getattr(args, key) is not None:
            values[key] = getattr(args, key)
    if args.ijson_items:
        values["ijson_items"] = tuple(int(n) for n in args.ijson_items.split(","))
    sections = tuple(s.strip() for s in args.only.split(","))
    if unknown := set(sections) - set(SECTIONS):
        raise SystemExit(
            f"transport-lab bench: unknown section(s) {', '.join(sorted(unknown))}; known: {', '.join(SECTIONS)}"
        )
    if not 1 <= values.get("streams", 1) <= 10_000:
        raise SystemExit("transport-lab bench: --streams must be 1..10000")
    return BenchSettings(compare=args.compare, sections=sections, pin=args.pin, quick=args.quick, **values)


def ws_url(server: Server, path: str) -> str:
    return "ws" + server.url(path).removeprefix("http")


def run_url(server: Server, run: Run) -> str:
    url = ws_url if run.transport is Transport.WEBSOCKET else Server.url
    return f"{url(server, run.path)}?{run.query()}"


async def throughput(s: BenchSettings, progress: Progress) -> Throughput:
    wanted = [OURS, *([OURS_ASYNCIO, BARE, CEILING, AIOHTTP_SSE, STARLETTE] if s.compare else [])]
    skipped = {label: not_installed(SERVERS[label].missing()) for label in wanted if SERVERS[label].missing()}
    available = {label for label in wanted if label not in skipped}
    classes = [SizeClass("64 B", 64, s.messages), SizeClass("64 KiB", 65536, s.large_messages)]
    runs = [run for size_class in classes for run in throughput_runs(size_class, available)]
    results: dict[str, list[ReadResult]] = defaultdict(list)
    async with AsyncExitStack() as stack:
        servers = {
            label: await stack.enter_async_context(running_server(label, SERVERS[label].argv(s.max_streams), s.pin))
            for label in sorted(available)
        }
        for repeat in range(1, s.repeat + 1):
            for size_class in classes:
                batch = [r for r in runs if r.size_class == size_class.label]
                job = {
                    "kind": "throughput",
                    "runs": [
                        {
                            "id": r.id,
                            "count_by": r.count_by,
                            "timeout": RUN_LIMIT_S,
                            "server_pid": servers[r.server].pid,
                            "url": run_url(servers[r.server], r),
                        }
                        for r in batch
                    ],
                }
                progress.phase(f"throughput {size_class.label}, repeat {repeat}/{s.repeat}: {len(batch)} runs")
                out = await run_load(job, s.pin, RUN_LIMIT_S * len(batch), progress.load_line)
                for result in out["runs"]:
                    results[result["id"]].append(from_json(ReadResult, result))
    rows = [throughput_row(run, results[run.id]) for run in runs]
    add_ratios(rows)
    return Throughput(rows, skipped)


async def watch_rss(server: Server, progress: Progress) -> None:
    while True:
        progress.server_rss = server.rss_mib()
        await asyncio.sleep(0.5)


async def concurrency_run(s: BenchSettings, label: str, transport: Transport, progress: Progress) -> ConcurrencyRow:
    count = max(1, round(s.duration / s.interval))
    endpoint, ws = baseline_endpoint(transport), transport is Transport.WEBSOCKET
    async with running_server(label, SERVERS[label].argv(s.max_streams), s.pin) as server:
        await asyncio.sleep(0.5)  # let the freshly started process settle before its idle RSS is read
        idle = server.rss_mib()
        path = f"{endpoint.path}?count={count}&interval={s.interval}&stamp=1"
        timeout = s.duration + 60 + s.streams / 50
        job = {
            "kind": "concurrency",
            "url": (ws_url if ws else Server.url)(server, path),
            "health_url": Server.url(server, "/healthz"),
            "ws": ws,
            "streams": s.streams,
            "count": count,
            "interval": s.interval,
            "timeout": timeout,
        }
        progress.phase(f"concurrency {label} {endpoint.name}: {s.streams:,} streams x {count} messages")
        watcher = asyncio.ensure_future(watch_rss(server, progress))
        cpu_before, started = cpu_seconds(server.pid), time.perf_counter()
        try:
            load = from_json(ConcurrencyLoad, await run_load(job, s.pin, timeout + 30, progress.load_line))
        finally:
            watcher.cancel()
        cpu_after, wall = cpu_seconds(server.pid), time.perf_counter() - started
        peak = server.peak_rss_mib()
    # A server near 100% of a core is behind its schedule, whatever else the machine does.
    busy = None if cpu_before is None or cpu_after is None else round((cpu_after - cpu_before) / wall, 2)
    per_stream = None if peak is None or idle is None else round((peak - idle) * 1024 / s.streams, 1)
    used = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
    delivered = load.lateness.delivered_messages
    # Server CPU per message delivered: the figure that holds still on a shared machine.
    per_message = None if used is None or not delivered else round(used * 1e6 / delivered, 1)
    return ConcurrencyRow(
        load=load,
        server=label,
        transport=transport,
        count=count,
        interval_s=s.interval,
        idle_rss_mib=_r(idle),
        peak_rss_mib=_r(peak),
        server_cpu=busy,
        rss_per_stream_kib=per_stream,
        server_cpu_us_per_message=per_message,
    )


async def concurrency(s: BenchSettings, progress: Progress) -> list[ConcurrencyRow]:
    labels = [OURS, BARE] if s.compare else [OURS]
    transports = (Transport.CHUNKED, Transport.WEBSOCKET)
    return [await concurrency_run(s, label, transport, progress) for transport in transports for label in labels]


async def ijson_memory(s: BenchSettings, progress: Progress) -> IjsonMemory:
    runs = []
    for items in s.ijson_items:
        async with running_server(OURS, SERVERS[OURS].argv(s.max_streams), s.pin) as server:
            await asyncio.sleep(0.5)
            idle = server.rss_mib()
            job = {
                "kind": "throughput",
                "runs": [
                    {
                        "id": f"ijson {items}",
                        "count_by": "lines",
                        "timeout": 600,
                        "url": server.url(f"/ijson?count={items}&interval=0"),
                    }
                ],
            }
            progress.phase(f"ijson memory: {items:,} items")
            read = from_json(ReadResult, (await run_load(job, s.pin, 620, progress.load_line))["runs"][0])
            peak = server.peak_rss_mib()
            runs.append(IjsonRun(items, read.messages, _r(read.seconds), read.error, _r(idle), _r(peak)))
    peaks = [run.peak_rss_mib for run in runs]
    growth = None if None in peaks or len(peaks) < 2 else round((peaks[-1] or 0) - (peaks[0] or 0), 1)
    return IjsonMemory(runs, growth)


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "aiohttp": aiohttp.__version__,
        "platform": platform.platform(),
        "load_average": [round(v, 2) for v in os.getloadavg()],
    }


async def bench(s: BenchSettings, progress: Progress) -> dict[str, Any]:
    document: dict[str, Any] = {
        "command": "transport-lab bench " + " ".join(sys.argv[2:] if sys.argv[1:2] == ["bench"] else sys.argv[1:]),
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": machine(),
        "settings": s,
    }
    if "throughput" in s.sections:
        document["throughput"] = await throughput(s, progress)
    if "concurrency" in s.sections:
        document["concurrency"] = await concurrency(s, progress)
    if "ijson" in s.sections:
        document["ijson_memory"] = await ijson_memory(s, progress)
    throughput_rows = document["throughput"].rows if "throughput" in document else []
    document["targets"] = (
        throughput_targets(throughput_rows)
        + concurrency_targets(document.get("concurrency", []))
        + ijson_targets(document.get("ijson_memory"))
    )
    document["seconds"] = round(progress.elapsed(), 1)
    document["machine"]["load_average_end"] = [round(v, 2) for v in os.getloadavg()]
    return document


def _stopped(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = settings_from(args)
    progress = Progress(sys.stderr)
    # `kill` (or a CI job's timeout) stops the benchmark as Ctrl-C does: every server and
    # load generator it started is stopped, not left running on its own.
    signal.signal(signal.SIGTERM, _stopped)
    try:
        document = asyncio.run(bench(settings, progress))
    except KeyboardInterrupt:
        progress.done()
        print("transport-lab bench: interrupted; every process it started has been stopped", file=sys.stderr)
        return EXIT_INTERRUPTED
    except RuntimeError as error:
        progress.done()
        print(f"transport-lab bench: {error}", file=sys.stderr)
        return EXIT_FAILED
    progress.done()
    written = to_json(document)
    print(json.dumps(written, indent=2) if args.json else render(written))
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
