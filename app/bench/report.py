"""The benchmark's figures: throughput rows with ratios, the targets, and the text tables."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .plan import AIOHTTP_SSE, BARE, CEILING, OURS, OURS_ASYNCIO, STARLETTE, Run
from .stats import median

#: Which bare aiohttp endpoint a transport is measured against.
BARE_OF = {"chunked": "chunked", "buffered": "chunked", "sse": "sse", "websocket": "ws"}
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


def throughput_row(run: Run, results: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One run's median over its repeats (a refused or failed run keeps its error)."""
    good = [r for r in results if r.get("error") is None and r.get("seconds")]
    row: dict[str, Any] = {
        "size_class": run.size_class,
        "server": run.server,
        "endpoint": run.endpoint,
        "transport": run.transport,
        "count": run.count,
        "size": run.size,
        "repeats": len(good),
        "error": next((r["error"] for r in results if r.get("error")), None),
    }
    if not good:
        return row | {"messages": None, "message_bytes": None, "messages_per_s": None, "mb_per_s": None}
    rates = [r["messages"] / r["seconds"] for r in good]
    last = good[-1]
    if last["messages"] != run.expected:
        # A miscounted run is not a rate: say so rather than report it.
        return row | {
            "error": f"counted {last['messages']} messages, expected {run.expected}",
            "messages": None,
            "message_bytes": None,
            "messages_per_s": None,
            "mb_per_s": None,
        }
    return row | {
        "error": None,
        "messages": last["messages"],
        "message_bytes": round(last["bytes"] / last["messages"], 1) if last["messages"] else None,
        "messages_per_s": round(median(rates) or 0),
        "messages_per_s_each": [round(rate) for rate in rates],
        "mb_per_s": round(median([r["bytes"] / r["seconds"] / 1e6 for r in good]) or 0, 1),
        "server_cpu": median([r["server_cpu"] for r in good if r.get("server_cpu") is not None]),
        # CPU time per message holds still when other processes take turns on the core.
        "server_cpu_us_per_message": _round(
            median(
                [
                    r["server_cpu"] * r["seconds"] / r["messages"] * 1e6
                    for r in good
                    if r.get("server_cpu") and r["messages"]
                ]
            ),
            2,
        ),
        "client_cpu": median([r["client_cpu"] for r in good if r.get("client_cpu") is not None]),
    }


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _figure(rows: Sequence[dict[str, Any]], size_class: str, server: str, endpoint: str, key: str) -> float | None:
    for row in rows:
        if (row["size_class"], row["server"], row["endpoint"]) == (size_class, server, endpoint):
            return row.get(key)
    return None


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


def add_ratios(rows: list[dict[str, Any]]) -> None:
    """`vs_bare` on every row of ours (and `vs_aiohttp_sse` on SSE): the figures that
    survive a noisy machine, because both sides ran in the same minute."""
    for row in rows:
        if row["server"] != OURS or not row.get("messages_per_s"):
            continue
        size_class = row["size_class"]
        bare = BARE_OF[row["transport"]]
        row["vs_bare"] = _ratio(row["messages_per_s"], _figure(rows, size_class, BARE, bare, "messages_per_s"))
        # The same ratio from CPU time per message: cheaper is faster, so theirs over ours.
        row["vs_bare_cpu"] = _ratio(
            _figure(rows, size_class, BARE, bare, "server_cpu_us_per_message"), row.get("server_cpu_us_per_message")
        )
        row["vs_bare_range"] = _paired_range(
            row.get("messages_per_s_each"), _figure(rows, size_class, BARE, bare, "messages_per_s_each")
        )
        row["vs_ceiling"] = _ratio(row["messages_per_s"], _figure(rows, size_class, CEILING, bare, "messages_per_s"))
        row["vs_ceiling_range"] = _paired_range(
            row.get("messages_per_s_each"), _figure(rows, size_class, CEILING, bare, "messages_per_s_each")
        )
        row["vs_ceiling_cpu"] = _ratio(
            _figure(rows, size_class, CEILING, bare, "server_cpu_us_per_message"), row.get("server_cpu_us_per_message")
        )
        if row["endpoint"] == "chunked":
            starlette = _figure(rows, size_class, STARLETTE, "chunked", "messages_per_s")
            row["vs_starlette"] = _ratio(row["messages_per_s"], starlette)
        if row["endpoint"] == bare:  # chunked, sse and ws: what ours also ran on asyncio's own loop
            on_asyncio = _figure(rows, size_class, OURS_ASYNCIO, bare, "messages_per_s")
            row["vs_ours_on_asyncio"] = _ratio(row["messages_per_s"], on_asyncio)
        if row["transport"] == "sse":
            library = _figure(rows, size_class, AIOHTTP_SSE, "sse", "messages_per_s")
            library_us = _figure(rows, size_class, AIOHTTP_SSE, "sse", "server_cpu_us_per_message")
            row["vs_aiohttp_sse"] = _ratio(row["messages_per_s"], library)
            row["vs_aiohttp_sse_cpu"] = _ratio(library_us, row.get("server_cpu_us_per_message"))


def _target(name: str, value: Any, limit: str, met: bool | None, note: str = "") -> dict[str, Any]:
    return {"target": name, "value": value, "limit": limit, "met": met, "note": note}


def throughput_targets(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    targets = []
    for row in rows:
        if row["server"] != OURS or row["transport"] == "buffered" or "vs_bare" not in row:
            continue
        ratio = row["vs_bare"]
        name = f"{row['endpoint']} {row['size_class']} messages/s vs bare aiohttp"
        met = None if ratio is None else ratio >= THROUGHPUT_RATIO_TARGET
        cpu_note = f"by server CPU per message: {row['vs_bare_cpu']}x"
        targets.append(_target(name, ratio, f">= {THROUGHPUT_RATIO_TARGET}x", met, cpu_note))
        if row["endpoint"] in CEILING_ENDPOINTS and row["size_class"] == CEILING_SIZE_CLASS:
            ceiling = row.get("vs_ceiling")
            targets.append(
                _target(
                    f"{row['endpoint']} {row['size_class']} messages/s vs the ceiling (aiohttp, precomputed bytes)",
                    ceiling,
                    f">= {THROUGHPUT_RATIO_TARGET}x",
                    None if ceiling is None else ceiling >= THROUGHPUT_RATIO_TARGET,
                    f"by server CPU per message: {row.get('vs_ceiling_cpu')}x",
                )
            )
        if "vs_starlette" in row:
            ratio = row["vs_starlette"]
            targets.append(
                _target(
                    f"chunked {row['size_class']} messages/s vs starlette on uvicorn (httptools, uvloop)",
                    ratio,
                    ">= 1.0x",
                    None if ratio is None else ratio >= 1.0,
                )
            )
        if "vs_aiohttp_sse" in row:
            ratio = row["vs_aiohttp_sse"]
            targets.append(
                _target(
                    f"sse {row['size_class']} messages/s vs aiohttp-sse send()",
                    ratio,
                    f">= {SSE_LIBRARY_RATIO_TARGET}x",
                    None if ratio is None else ratio >= SSE_LIBRARY_RATIO_TARGET,
                    f"by server CPU per message: {row['vs_aiohttp_sse_cpu']}x",
                )
            )
    return targets


def concurrency_targets(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    targets = []
    for row in rows:
        if row["server"] != OURS:
            continue
        # Met or missed at the count measured; the note says when that is not the target's.
        note = "" if row["streams"] >= TARGET_STREAMS else f"at {row['streams']:,} streams; the target is at 10,000"
        kind = "chunked" if row["transport"] == "chunked" else "WebSocket"
        p99 = row["lateness_after_burst"]["p99_ms"]
        delivered = row["delivered_messages"] == row["expected_messages"]
        counts = f"{row['delivered_messages']}/{row['expected_messages']}"
        targets += [
            _target(f"{kind} streams: all messages delivered", counts, "all", delivered, note),
            _target(
                f"{kind} streams: p99 lateness after the burst, as the client sees it (ms)",
                p99,
                f"< {LATENESS_P99_TARGET_MS:g}",
                None if p99 is None else p99 < LATENESS_P99_TARGET_MS,
                note,
            ),
        ]
        if row["transport"] == "chunked":
            targets += memory_targets(row, _bare_row(rows, row["transport"]), note)
    return targets


def _bare_row(rows: Sequence[dict[str, Any]], transport: str) -> dict[str, Any] | None:
    return next((r for r in rows if r["server"] == BARE and r["transport"] == transport), None)


def memory_targets(row: dict[str, Any], bare: dict[str, Any] | None, note: str) -> list[dict[str, Any]]:
    peak_mb = None if row["peak_rss_mib"] is None else round(row["peak_rss_mib"] * 1.048576, 1)
    ours, theirs = row.get("rss_per_stream_kib"), (bare or {}).get("rss_per_stream_kib")
    ratio = _ratio(ours, theirs) if ours and theirs else None
    return [
        _target(
            "chunked streams: server peak RSS (MB)",
            peak_mb,
            f"< {PEAK_RSS_TARGET_MB:g}",
            None if peak_mb is None else peak_mb < PEAK_RSS_TARGET_MB,
            note,
        ),
        _target(
            "chunked streams: memory per stream vs bare aiohttp's",
            ratio,
            f"<= {PER_STREAM_MEMORY_RATIO:g}",
            None if ratio is None else ratio <= PER_STREAM_MEMORY_RATIO,
            note or ("" if bare else "run with --compare for bare aiohttp's figure"),
        ),
    ]


def ijson_targets(memory: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not memory or memory.get("growth_mib") is None:
        return []
    growth = memory["growth_mib"]
    items = " vs ".join(f"{run['items']:,}" for run in memory["runs"])
    return [
        _target(
            f"/ijson server peak RSS growth, {items} items (MiB)",
            growth,
            f"<= {IJSON_GROWTH_TARGET_MIB:g}",
            growth <= IJSON_GROWTH_TARGET_MIB,
        )
    ]


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def table(title: str, columns: Sequence[tuple[str, str]], rows: Sequence[dict[str, Any]]) -> str:
    """A fixed-width table; `columns` are (heading, key) and keys may be `a.b` paths."""

    def get(row: dict[str, Any], key: str) -> Any:
        for part in key.split("."):
            row = row.get(part) if isinstance(row, dict) else None  # type: ignore[assignment]
        return row

    cells = [[_cell(get(row, key)) for _, key in columns] for row in rows]
    widths = [
        max(len(head), *(len(line[i]) for line in cells)) if cells else len(head) for i, (head, _) in enumerate(columns)
    ]
    lines = [title, "  ".join(f"{head:>{w}}" for (head, _), w in zip(columns, widths, strict=True))]
    lines += ["  ".join(f"{cell:>{w}}" for cell, w in zip(line, widths, strict=True)) for line in cells]
    return "\n".join(lines)
