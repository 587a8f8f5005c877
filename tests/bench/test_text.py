"""The benchmark's text: every line fits 100 columns, a quick run says its figures are
indicative, and a figure that was not measured is never printed as `None`."""

from __future__ import annotations

from typing import Any

from app.bench.plan import BARE, OURS, SERVERS, SizeClass, throughput_runs
from app.bench.report import add_ratios, concurrency_targets, ijson_targets, throughput_row, throughput_targets
from app.bench.rows import (
    Collections,
    ConcurrencyLoad,
    ConcurrencyRow,
    IjsonMemory,
    IjsonRun,
    Lateness,
    LoopLag,
    MessageSpread,
    ReadResult,
    SecondSpread,
    Spread,
    Throughput,
    to_json,
)
from app.bench.text import WIDTH, render
from app.transport import Transport


def result(messages: int, seconds: float, server_cpu: float | None) -> ReadResult:
    return ReadResult(
        "run", messages=messages, bytes=messages * 65_536, seconds=seconds, server_cpu=server_cpu, client_cpu=0.5
    )


def throughput(server_cpu: float | None) -> Throughput:
    """Every run of every server, at the widest figures a long run prints."""
    classes = (SizeClass("64 B", 64, 200_000), SizeClass("64 KiB", 65536, 20_000))
    runs = [run for size_class in classes for run in throughput_runs(size_class, set(SERVERS))]
    rows = [throughput_row(run, [result(run.expected, 1.234 + i % 3, server_cpu) for i in range(7)]) for run in runs]
    rows[-1] = throughput_row(runs[-1], [ReadResult("run", status=None, error="ConnectionResetError: " + "x" * 300)])
    add_ratios(rows)
    return Throughput(rows, {"starlette on uvicorn": "not installed: starlette, uvicorn"})


def concurrency_row(server: str, transport: Transport) -> ConcurrencyRow:
    spread = Spread(1234.56, 12345.67, 99999.0)
    lateness = Lateness(150_000, 10_000, 12345.6, spread, spread, MessageSpread(1234.56, 12345.67, 99999.0, 140_000))
    lag = LoopLag(SecondSpread(1234.56, 12345.67, 99999.0, 15), SecondSpread(1234.56, 12345.67, 99999.0, 12))
    load = ConcurrencyLoad(
        lateness=lateness,
        lag=lag,
        collections=Collections(12, 310.5, 310.5),
        streams=10_000,
        expected_messages=150_000,
        failed_streams=10_000,
        first_failures=["TimeoutError: stream did not end in time"],
        client_cpu=0.9,
        client_collector={"longest_collection_ms": 12.5},
    )
    return ConcurrencyRow(load, server, transport, 15, 1.0, 43.0, 190.7, 0.97, 14.4, 240.2)


def document(quick: bool, server_cpu: float | None = 0.95) -> dict[str, Any]:
    """A benchmark's document as `--json` writes it (and the text is rendered from)."""
    concurrency = [
        concurrency_row(server, t) for t in (Transport.CHUNKED, Transport.WEBSOCKET) for server in (OURS, BARE)
    ]
    memory = IjsonMemory([IjsonRun(n, 4 * n + 5, 12.3, None, 43.0, 47.1) for n in (100_000, 1_000_000)], 4.1)
    made = throughput(server_cpu)
    machine = {"cpus": 2, "python": "3.11.7", "aiohttp": "3.14.5", "load_average": [0.84], "load_average_end": [1.35]}
    return to_json(
        {
            "command": "transport-lab bench --compare --repeat 7 --streams 10000 --ijson-items 100000,1000000",
            "machine": machine,
            "settings": {"quick": quick},
            "seconds": 508.2,
            "throughput": made,
            "concurrency": concurrency,
            "ijson_memory": memory,
            "targets": throughput_targets(made.rows) + concurrency_targets(concurrency) + ijson_targets(memory),
        }
    )


def test_every_line_fits_the_terminal() -> None:
    text = render(document(quick=False))
    too_wide = [line for line in text.splitlines() if len(line) > WIDTH]
    assert too_wide == []
    assert "12,346" in text and "ConnectionResetError" in text  # the figures are there, cut into blocks


def test_a_quick_run_says_its_figures_are_indicative() -> None:
    assert "indicative" in render(document(quick=True))
    assert "indicative" not in render(document(quick=False))


def test_a_ratio_by_cpu_time_not_measured_is_left_out_not_printed_as_none() -> None:
    text = render(document(quick=True, server_cpu=None))
    assert "None" not in text
    assert "by server CPU per message" not in text
    assert "by server CPU per message: 1.0x" in render(document(quick=True))
