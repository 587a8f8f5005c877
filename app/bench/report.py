"""The benchmark's figures: throughput rows with ratios, and the targets."""

from __future__ import annotations

from collections.abc import Sequence

from ..transport import Transport
from .plan import AIOHTTP_SSE, BARE, BASELINE_ENDPOINTS, CEILING, OURS, OURS_ASYNCIO, STARLETTE, Run
from .rows import ConcurrencyRow, IjsonMemory, Measured, Ratios, ReadResult, Target, ThroughputRow
from .stats import median

#: Which bare aiohttp endpoint a transport is measured against (a buffered body, against chunked).
BARE_OF = BASELINE_ENDPOINTS | {Transport.BUFFERED: BASELINE_ENDPOINTS[Transport.CHUNKED]}
THROUGHPUT_RATIO_TARGET = 0.9
#: Endpoints held to the ceiling baseline too (at 64 B, where per-message cost shows).
CEILING_ENDPOINTS = ("chunked", "ndjson", "sse", "ws")
CEILING_SIZE_CLASS = "64 B"
SSE_LIBRARY_RATIO_TARGET = 1.5
TARGET_STREAMS = 10_000
LATENESS_P99_TARGET_MS = 50.0
PER_STREAM_MEMORY_RATIO = 1.2
PEAK_RSS_TARGET_MB = 200.0  # the MB: 10^6 bytes, so 190.7 MiB
IJSON_GROWTH_TARGET_MIB = 10.0


def throughput_row(run: Run, results: Sequence[ReadResult]) -> ThroughputRow:
    """One run's median over its repeats (a refused or failed run keeps its error)."""
    good = [r for r in results if r.error is None and r.seconds and r.messages is not None]
    row = ThroughputRow(
        size_class=run.size_class,
        server=run.server,
        endpoint=run.endpoint,
        transport=run.transport,
        count=run.count,
        size=run.size,
        repeats=len(good),
        error=next((r.error for r in results if r.error), None),
    )
    if not good:
        return row
    last = good[-1]
    if last.messages != run.expected:
        # A miscounted run is not a rate: say so rather than report it.
        row.error = f"counted {last.messages} messages, expected {run.expected}"
        return row
    rates = [_count(r) / _seconds(r) for r in good]
    row.error, row.messages = None, last.messages
    row.message_bytes = round((last.bytes or 0) / last.messages, 1) if last.messages else None
    row.messages_per_s = round(median(rates) or 0)
    row.mb_per_s = round(median([(r.bytes or 0) / _seconds(r) / 1e6 for r in good]) or 0, 1)
    row.measured = Measured(
        messages_per_s_each=[round(rate) for rate in rates],
        server_cpu=median([r.server_cpu for r in good if r.server_cpu is not None]),
        # CPU time per message holds still when other processes take turns on the core.
        server_cpu_us_per_message=_round(
            median([r.server_cpu * _seconds(r) / _count(r) * 1e6 for r in good if r.server_cpu and r.messages]), 2
        ),
        client_cpu=median([r.client_cpu for r in good if r.client_cpu is not None]),
    )
    return row


def _count(result: ReadResult) -> int:
    return result.messages or 0


def _seconds(result: ReadResult) -> float:
    return result.seconds or 0.0


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _find(rows: Sequence[ThroughputRow], size_class: str, server: str, endpoint: str) -> ThroughputRow | None:
    return next((r for r in rows if (r.size_class, r.server, r.endpoint) == (size_class, server, endpoint)), None)


def _rate(row: ThroughputRow | None) -> float | None:
    return None if row is None else row.messages_per_s


def _cpu(row: ThroughputRow | None) -> float | None:
    return None if row is None or row.measured is None else row.measured.server_cpu_us_per_message


def _each(row: ThroughputRow | None) -> list[int] | None:
    return None if row is None or row.measured is None else row.measured.messages_per_s_each


def _ratio(ours: float | None, theirs: float | None) -> float | None:
    return round(ours / theirs, 2) if ours and theirs else None


def _paired_range(ours: Sequence[float] | None, theirs: Sequence[float] | None) -> str | None:
    """The spread of ours over theirs repeat by repeat (each pair ran in the same minute):
    on a shared machine one side's rate swings by half between repeats, and the ratio of
    the medians alone would hide that."""
    if not ours or not theirs or len(ours) != len(theirs) or not all(theirs):
        return None
    ratios = [mine / other for mine, other in zip(ours, theirs, strict=True)]
    return f"{min(ratios):.2f}-{max(ratios):.2f}"


def add_ratios(rows: list[ThroughputRow]) -> None:
    """Ratios on every row of ours that has a rate: the figures that survive a noisy
    machine, because both sides ran in the same minute."""
    for row in rows:
        if row.server == OURS and row.messages_per_s:
            row.ratios = ratios(row, rows)


def ratios(row: ThroughputRow, rows: Sequence[ThroughputRow]) -> Ratios:
    """`row` over bare aiohttp and the ceiling; over starlette, ours on asyncio and
    aiohttp-sse where those run the same endpoint."""

    def over(server: str, endpoint: str) -> float | None:
        return _ratio(row.messages_per_s, _rate(_find(rows, row.size_class, server, endpoint)))

    def cheaper(server: str, endpoint: str) -> float | None:
        # By CPU time per message cheaper is faster, so theirs over ours.
        return _ratio(_cpu(_find(rows, row.size_class, server, endpoint)), _cpu(row))

    def paired(server: str, endpoint: str) -> str | None:
        return _paired_range(_each(row), _each(_find(rows, row.size_class, server, endpoint)))

    bare = BARE_OF[row.transport]
    found = Ratios(
        vs_bare=over(BARE, bare),
        vs_bare_cpu=cheaper(BARE, bare),
        vs_bare_range=paired(BARE, bare),
        vs_ceiling=over(CEILING, bare),
        vs_ceiling_range=paired(CEILING, bare),
        vs_ceiling_cpu=cheaper(CEILING, bare),
    )
    if row.endpoint == "chunked":
        found.vs_starlette = over(STARLETTE, "chunked")
    if row.endpoint == bare:  # chunked, sse and ws: what ours also ran on asyncio's own loop
        found.vs_ours_on_asyncio = over(OURS_ASYNCIO, bare)
    if row.transport == Transport.SSE:
        found.vs_aiohttp_sse, found.vs_aiohttp_sse_cpu = over(AIOHTTP_SSE, "sse"), cheaper(AIOHTTP_SSE, "sse")
    return found


def _met(value: float | None, passes: bool) -> bool | None:
    return None if value is None else passes


def _cpu_note(ratio: float | None) -> str:
    """The same ratio by server CPU time per message; nothing when that was not measured."""
    return "" if ratio is None else f"by server CPU per message: {ratio}x"


def throughput_targets(rows: Sequence[ThroughputRow]) -> list[Target]:
    targets = []
    for row in rows:
        if row.server != OURS or row.transport == Transport.BUFFERED or row.ratios is None:
            continue
        r, at = row.ratios, f"{row.endpoint} {row.size_class}"
        floor = f">= {THROUGHPUT_RATIO_TARGET}x"
        targets.append(
            Target(
                f"{at} messages/s vs bare aiohttp",
                r.vs_bare,
                floor,
                _met(r.vs_bare, (r.vs_bare or 0) >= THROUGHPUT_RATIO_TARGET),
                _cpu_note(r.vs_bare_cpu),
            )
        )
        if row.endpoint in CEILING_ENDPOINTS and row.size_class == CEILING_SIZE_CLASS:
            met = _met(r.vs_ceiling, (r.vs_ceiling or 0) >= THROUGHPUT_RATIO_TARGET)
            name = f"{at} messages/s vs the ceiling (aiohttp, precomputed bytes)"
            targets.append(Target(name, r.vs_ceiling, floor, met, _cpu_note(r.vs_ceiling_cpu)))
        if row.endpoint == "chunked":
            met = _met(r.vs_starlette, (r.vs_starlette or 0) >= 1.0)
            name = f"chunked {row.size_class} messages/s vs starlette on uvicorn (httptools, uvloop)"
            targets.append(Target(name, r.vs_starlette, ">= 1.0x", met))
        if row.transport == Transport.SSE:
            met = _met(r.vs_aiohttp_sse, (r.vs_aiohttp_sse or 0) >= SSE_LIBRARY_RATIO_TARGET)
            name = f"sse {row.size_class} messages/s vs aiohttp-sse send()"
            limit = f">= {SSE_LIBRARY_RATIO_TARGET}x"
            targets.append(Target(name, r.vs_aiohttp_sse, limit, met, _cpu_note(r.vs_aiohttp_sse_cpu)))
    return targets


def concurrency_targets(rows: Sequence[ConcurrencyRow]) -> list[Target]:
    targets = []
    for row in rows:
        if row.server != OURS:
            continue
        # Met or missed at the count measured; the note says when that is not the target's.
        streams = row.load.streams
        note = "" if streams >= TARGET_STREAMS else f"at {streams:,} streams; the target is at 10,000"
        kind = "chunked" if row.transport == Transport.CHUNKED else "WebSocket"
        p99 = row.load.lateness.lateness_after_burst.p99_ms
        delivered, expected = row.load.lateness.delivered_messages, row.load.expected_messages
        targets += [
            Target(
                f"{kind} streams: all messages delivered", f"{delivered}/{expected}", "all", delivered == expected, note
            ),
            Target(
                f"{kind} streams: p99 lateness after the burst, as the client sees it (ms)",
                p99,
                f"< {LATENESS_P99_TARGET_MS:g}",
                _met(p99, (p99 or 0) < LATENESS_P99_TARGET_MS),
                note,
            ),
        ]
        if row.transport == Transport.CHUNKED:
            targets += memory_targets(row, _bare_row(rows, row.transport), note)
    return targets


def _bare_row(rows: Sequence[ConcurrencyRow], transport: Transport) -> ConcurrencyRow | None:
    return next((r for r in rows if r.server == BARE and r.transport == transport), None)


def memory_targets(row: ConcurrencyRow, bare: ConcurrencyRow | None, note: str) -> list[Target]:
    peak_mb = None if row.peak_rss_mib is None else round(row.peak_rss_mib * 1.048576, 1)
    ours, theirs = row.rss_per_stream_kib, None if bare is None else bare.rss_per_stream_kib
    ratio = _ratio(ours, theirs)
    return [
        Target(
            "chunked streams: server peak RSS (MB)",
            peak_mb,
            f"< {PEAK_RSS_TARGET_MB:g}",
            _met(peak_mb, (peak_mb or 0) < PEAK_RSS_TARGET_MB),
            note,
        ),
        Target(
            "chunked streams: memory per stream vs bare aiohttp's",
            ratio,
            f"<= {PER_STREAM_MEMORY_RATIO:g}",
            _met(ratio, (ratio or 0) <= PER_STREAM_MEMORY_RATIO),
            note or ("" if bare else "run with --compare for bare aiohttp's figure"),
        ),
    ]


def ijson_targets(memory: IjsonMemory | None) -> list[Target]:
    if memory is None or memory.growth_mib is None:
        return []
    items = " vs ".join(f"{run.items:,}" for run in memory.runs)
    growth = memory.growth_mib
    name = f"/ijson server peak RSS growth, {items} items (MiB)"
    return [Target(name, growth, f"<= {IJSON_GROWTH_TARGET_MIB:g}", growth <= IJSON_GROWTH_TARGET_MIB)]
