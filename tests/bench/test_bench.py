"""The benchmark: its pure arithmetic table-driven, and a quick run proving it works end to end.

The quick run proves the benchmark runs and reports every figure; it says nothing about
speed (targets are reported by real runs, not asserted by tests).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from app.bench.load import COUNTERS, collector_summary
from app.bench.plan import CEILING, OURS, OURS_ASYNCIO, SERVERS, STARLETTE, Run, SizeClass, calibrate, throughput_runs
from app.bench.report import add_ratios, concurrency_targets, throughput_row, throughput_targets
from app.bench.rows import (
    Collections,
    ConcurrencyLoad,
    ConcurrencyRow,
    Lateness,
    LoopLag,
    MessageSpread,
    ReadResult,
    SecondSpread,
    Spread,
    to_json,
)
from app.bench.stats import StreamTimes, lag_summary, lateness_ms, lateness_summary, percentile
from app.endpoints import ENDPOINTS
from app.exits import EXIT_INTERRUPTED
from app.params import StreamParams
from app.server.memory import YOUNG_COLLECTION_THRESHOLD
from app.transport import Transport
from app.wire.chunked import ChunkCounter, encode_chunked
from tests.processes import run_app_command
from tests.wire.splits import splits


@pytest.mark.parametrize(
    ("values", "fraction", "expected"),
    [([], 0.5, None), ([7.0], 0.99, 7.0), ([1, 2, 3, 4], 0.5, 2), (list(range(1, 101)), 0.99, 99), ([3, 1, 2], 1, 3)],
)
def test_percentile_is_nearest_rank(values: list[float], fraction: float, expected: float | None) -> None:
    assert percentile(values, fraction) == expected


@pytest.mark.parametrize(
    ("payloads", "count_by", "messages"),
    [
        ((b"Chunk 0\n", b"Chunk 1\n", b"Chunk 2\n"), "lines", 3),
        ((b"id: 0\ndata: a\n\n", b"id: 1\ndata: b\n\n"), "sse", 2),
        ((b"retry: 2000\n\n", b"id: 0\ndata: a\n\n", b": keep-alive\n\n"), "sse", 1),
        ((b'[\n{"id": 1}\n,\n', b'{"id": 2}\n', b"]"), "json", 2),
        # Nested JSON: no end marker, one message per chunk.
        ((b'{"users":[{"id":1', b',"name":"Tom"', b"}"), "chunks", 3),
        # A message of more than one chunk still counts once by its end.
        ((b"Chunk 0 xx", b"x\n"), "lines", 1),
    ],
)
def test_the_load_generator_counts_a_chunked_bodys_messages_across_every_split(
    payloads: tuple[bytes, ...], count_by: str, messages: int
) -> None:
    for reads in splits(encode_chunked(payloads)):
        counter = COUNTERS[count_by]() if count_by in COUNTERS else None
        body = ChunkCounter(None if counter is None else counter.feed)
        for read in reads:
            body.feed(read)
        counted = body.chunks if counter is None else counter.messages
        assert (counted, body.payload_bytes, body.done) == (messages, sum(map(len, payloads)), True), reads


def stream(issued: float, first_stamp: float, arrivals: list[float], interval: float = 1000) -> StreamTimes:
    times = StreamTimes(issued_ms=issued)
    for index, arrival in enumerate(arrivals):
        times.add(arrival, first_stamp + index * interval)
    return times


def test_lateness_is_what_the_client_sees_and_split_at_the_end_of_the_burst() -> None:
    # Each stream's schedule is anchored at its best-kept message; the server's stamps play
    # no part (these claim every message was sent on time).
    early = stream(0, 10, [11, 1012, 2010])  # anchored at 10: late by 1, 2, 0
    slow_to_connect = stream(0, 1500, [1530, 2540])  # anchored at 1530: 0, then 10
    summary = to_json(lateness_summary([early, slow_to_connect, StreamTimes(issued_ms=0)], 1000))
    assert summary["delivered_messages"] == 5 and summary["connected_streams"] == 2
    assert summary["burst_ms"] == 1530
    assert summary["connect"]["max_ms"] == 1530
    assert summary["lateness_overall"] == {"p50_ms": 1, "p99_ms": 10, "max_ms": 10}
    # only messages due after 1530 ms: early's third (0) and slow's second (10)
    assert summary["lateness_after_burst"] == {"p50_ms": 0, "p99_ms": 10, "max_ms": 10, "messages": 2}


def test_a_pause_the_server_stamps_hide_is_still_seen() -> None:
    """A server whose stamps say 'sent on time' while the client got one 400 ms late."""
    paused = stream(0, 0, [5, 1405, 2005])
    assert lateness_summary([paused], 1000).lateness_overall.max_ms == 400


def test_a_first_message_held_in_the_burst_is_late_not_a_new_schedule() -> None:
    held_first = stream(0, 0, [900, 1001, 2002])
    assert [late for _, late in lateness_ms(held_first, 1000)] == [899, 0, 1]


def test_loop_lag_is_summarised_over_the_run_and_after_the_burst() -> None:
    # A sample speaks of the second before it was polled: the one at 3000 may hold the burst.
    summary = to_json(lag_summary([(1000, 300.0), (3000, 250.0), (4000, 4.0), (5000, 6.0)], burst_end_ms=1500))
    assert summary["loop_lag"] == {"p50_ms": 6.0, "p99_ms": 300.0, "max_ms": 300.0, "seconds": 4}
    assert summary["loop_lag_after_burst"] == {"p50_ms": 4.0, "p99_ms": 6.0, "max_ms": 6.0, "seconds": 2}


def test_full_collections_are_counted_between_the_first_and_last_poll() -> None:
    polls = [
        {"full_collections": 2, "longest_full_collection_ms": 40.0, "longest_collection_ms": 40.0},
        {"full_collections": 5, "longest_full_collection_ms": 310.5, "longest_collection_ms": 310.5},
    ]
    assert collector_summary(polls) == Collections(
        full_collections=3, longest_full_collection_ms=310.5, longest_collection_ms=310.5
    )
    assert collector_summary([]) is None


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
@pytest.mark.parametrize(("message_bytes", "messages"), [(64, 2_000), (4096, 200)])
def test_calibration_hits_the_message_size_and_count_from_the_registry(
    endpoint: Any, message_bytes: int, messages: int
) -> None:
    size, count, expected = calibrate(endpoint, message_bytes, messages)
    produced = [len(m.encode()) for m in endpoint.source(StreamParams(count, 0, size), None).messages]
    assert len(produced) == expected
    assert abs(len(produced) - messages) <= messages * 0.05
    assert abs(sum(produced) / len(produced) - message_bytes) <= message_bytes * 0.05


def test_every_endpoint_and_every_baseline_is_planned() -> None:
    runs = throughput_runs(SizeClass("64 B", 64, 100), set(SERVERS))
    assert {run.endpoint for run in runs if run.server == OURS} == {e.name for e in ENDPOINTS}
    assert {run.server for run in runs} == set(SERVERS)


def _run(server: str, endpoint: str, transport: str) -> Run:
    return Run("64 B", server, endpoint, Transport(transport), f"/{endpoint}", "lines", 100, 50, 100)


def read(seconds: float, messages: int = 100, body_bytes: int = 6400) -> ReadResult:
    return ReadResult("run", messages=messages, bytes=body_bytes, seconds=seconds)


def test_rows_take_the_median_refuse_miscounts_and_get_ratios_to_the_baselines() -> None:
    ok = [read(s) for s in (0.001, 0.002, 0.004)]
    rows = [
        throughput_row(_run(OURS, "chunked", "chunked"), ok),
        throughput_row(_run("aiohttp (bare)", "chunked", "chunked"), [ok[0]]),
        throughput_row(_run(OURS, "sse", "sse"), [read(1, messages=99, body_bytes=1)]),
        throughput_row(_run(CEILING, "chunked", "chunked"), [ok[1]]),
        throughput_row(_run(STARLETTE, "chunked", "chunked"), [ok[2]]),
    ]
    assert rows[0].messages_per_s == 50_000 and rows[0].message_bytes == 64
    assert rows[2].messages_per_s is None and "expected 100" in (rows[2].error or "")
    add_ratios(rows)
    assert rows[0].ratios is not None and (rows[0].ratios.vs_bare, rows[0].ratios.vs_ceiling) == (0.5, 1.0)
    targets = throughput_targets(rows)
    assert [(t.value, t.met) for t in targets] == [(0.5, False), (1.0, True), (2.0, True)]
    assert "vs the ceiling" in targets[1].target and "vs starlette on uvicorn" in targets[2].target


def test_each_repeat_is_also_compared_with_the_baselines_repeat_of_the_same_minute() -> None:
    ours = [read(s) for s in (0.001, 0.002, 0.004)]
    bare = [read(s) for s in (0.002, 0.002, 0.002)]
    rows = [
        throughput_row(_run(OURS, "chunked", "chunked"), ours),
        throughput_row(_run("aiohttp (bare)", "chunked", "chunked"), bare),
        throughput_row(_run(CEILING, "chunked", "chunked"), bare[:2]),
    ]
    add_ratios(rows)
    # Repeat by repeat: 2.0, 1.0 and 0.5 of bare's; the medians alone say 1.0.
    ratios = to_json(rows[0])
    assert (ratios["vs_bare"], ratios["vs_bare_range"]) == (1.0, "0.50-2.00")
    # A baseline with a failed repeat cannot be paired: no range rather than a wrong one.
    assert ratios["vs_ceiling_range"] is None


def concurrency_row(server: str, transport: str, p99: float, per_stream: float) -> ConcurrencyRow:
    unknown = Spread(None, None, None)
    lateness = Lateness(100, 20, None, unknown, unknown, MessageSpread(None, p99, None, messages=80))
    lag = LoopLag(SecondSpread(None, None, None, seconds=0), SecondSpread(None, None, None, seconds=0))
    load = ConcurrencyLoad(
        lateness=lateness,
        lag=lag,
        streams=20,
        expected_messages=100,
        failed_streams=0,
        first_failures=[],
        client_cpu=0.1,
    )
    return ConcurrencyRow(load, server, Transport(transport), 5, 1.0, 40.0, 45.0, 0.1, per_stream, 100.0)


def test_concurrency_targets_say_at_what_scale_they_were_measured() -> None:
    rows = [
        concurrency_row(OURS, "chunked", 12.0, 13.0),
        concurrency_row(OURS, "websocket", 80.0, 20.0),
        concurrency_row("aiohttp (bare)", "chunked", 3.0, 10.0),
    ]
    targets = {t.target: t for t in concurrency_targets(rows)}
    assert {name: t.met for name, t in targets.items()} == {
        "chunked streams: all messages delivered": True,
        "chunked streams: p99 lateness after the burst, as the client sees it (ms)": True,
        "chunked streams: server peak RSS (MB)": True,
        "chunked streams: memory per stream vs bare aiohttp's": False,  # 1.3x
        "WebSocket streams: all messages delivered": True,
        "WebSocket streams: p99 lateness after the burst, as the client sees it (ms)": False,
    }
    assert targets["chunked streams: memory per stream vs bare aiohttp's"].value == 1.3
    assert all("the target is at 10,000" in t.note for t in targets.values())


def test_help_and_a_bad_section_name_the_sections_in_words_not_python() -> None:
    shown = run_app_command("bench", "--help")
    assert shown.returncode == 0
    text = " ".join(shown.stdout.split())  # argparse wraps lines wherever it likes
    assert "sections to run (default all): throughput, concurrency, ijson" in text
    assert "('" not in text and "['" not in text
    refused = run_app_command("bench", "--only", "throughput,nope")
    assert refused.stderr == "transport-lab bench: unknown section(s) nope; known: throughput, concurrency, ijson\n"


def test_quick_run_reports_every_figure() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "app", "bench", "--quick", "--compare", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    document = json.loads(done.stdout)
    rows = document["throughput"]["rows"]
    measured = [r for r in rows if r["server"] in (OURS, "aiohttp (bare)")]
    assert len(measured) == 2 * (len(ENDPOINTS) + 3)  # two sizes: every endpoint, bare chunked, sse, ws
    for row in measured:
        assert row["error"] is None and row["messages_per_s"] > 0 and row["mb_per_s"] > 0, row
        # CPU shares are there, but a quick run is shorter than the kernel's accounting tick.
        assert row["server_cpu"] >= 0 and row["client_cpu"] >= 0 and "server_cpu_us_per_message" in row, row
        assert row["server"] != OURS or row["vs_bare"] > 0
    # Ours ran on asyncio's own loop too, for the loop's share of the figures.
    on_asyncio = [r for r in rows if r["server"] == OURS_ASYNCIO]
    assert {r["endpoint"] for r in on_asyncio} == {"chunked", "sse", "ws"}
    ours_twice = [r for r in measured if r["server"] == OURS and r["endpoint"] in ("chunked", "sse", "ws")]
    assert len(ours_twice) == 6 and all(r["vs_ours_on_asyncio"] > 0 for r in ours_twice)
    # The framework's ceiling (precomputed bytes) ran beside bare aiohttp, for both ratios.
    ceiling = [r for r in rows if r["server"] == CEILING]
    assert {r["endpoint"] for r in ceiling} == {"chunked", "sse", "ws"}
    assert all(r["error"] is None and r["messages_per_s"] > 0 for r in ceiling), ceiling
    assert all(r["vs_ceiling"] > 0 for r in measured if r["server"] == OURS and r["transport"] != "buffered")
    streaming = {e.name for e in ENDPOINTS if e.transport.value != "buffered"}
    assert {row["endpoint"] for row in rows if "vs_bare" in row} >= streaming
    concurrency = document["concurrency"]
    assert {(c["server"], c["transport"]) for c in concurrency} == {
        (OURS, "chunked"),
        (OURS, "websocket"),
        ("aiohttp (bare)", "chunked"),
        ("aiohttp (bare)", "websocket"),
    }
    for row in concurrency:
        assert row["delivered_messages"] == row["expected_messages"] == 20 * 5 and row["failed_streams"] == 0
        for key in ("idle_rss_mib", "peak_rss_mib", "rss_per_stream_kib", "burst_ms", "server_cpu", "client_cpu"):
            assert row[key] is not None, key
        for key in ("connect", "lateness_overall", "lateness_after_burst"):
            assert None not in (row[key]["p50_ms"], row[key]["p99_ms"]), key
        assert row["server_cpu_us_per_message"] is not None
        # Ours reports its loop's lag from /healthz once a second; bare aiohttp has none to give.
        assert (row["loop_lag"]["seconds"] > 0) == (row["server"] == OURS), row["loop_lag"]
        # ... and how many full collections ran meanwhile, and the longest so far.
        assert ("full_collections" in row) == (row["server"] == OURS), row
        # The load generator's own collector is tuned as the server's (its pauses would
        # pass for the server's lateness), and its full collections are reported too.
        assert row["client_collector"]["young_threshold"] == YOUNG_COLLECTION_THRESHOLD, row
    memory = document["ijson_memory"]
    assert [run["items"] for run in memory["runs"]] == [1_000, 10_000] and memory["growth_mib"] is not None
    assert all(run["messages"] == 4 * run["items"] + 5 for run in memory["runs"])
    assert {t["met"] for t in document["targets"]} <= {True, False, None} and len(document["targets"]) >= 10
    assert "Traceback" not in done.stderr


def test_hot_path_probe_runs_against_the_current_server_code() -> None:
    from app.bench.hot_path import costs

    measured = costs(count=200, size=64)
    assert measured and all(value > 0 for value in measured.values())


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "kill"])
def test_a_stopped_benchmark_stops_every_process_it_started(stop: signal.Signals) -> None:
    command = [sys.executable, "-m", "app", "bench", "--only", "concurrency", "--streams", "5", "--duration", "60"]
    started: list[int] = []
    try:
        with subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) as bench:
            try:
                assert bench.stderr is not None
                for line in bench.stderr:
                    if "connected" in line:  # a server and a load generator are running
                        break
                started = children(bench.pid)
                assert started, "the benchmark started no process"
                bench.send_signal(stop)
                # Its stderr is read to the end: a pipe left full would hold it from exiting.
                bench.communicate(timeout=30)
                assert bench.returncode == EXIT_INTERRUPTED
            finally:
                bench.kill()
        assert [pid for pid in started if Path(f"/proc/{pid}").exists()] == []
    finally:
        # Judged above; a failed run must not leave them running for the rest of the suite.
        for pid in started:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def children(pid: int) -> list[int]:
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(pid):
            found.append(int(status.parent.name))
    return found
