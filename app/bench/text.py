"""The benchmark's result as text (the same figures `--json` prints), at most `WIDTH` columns
wide: headings go on two lines where that narrows a column, and a table still too wide is
cut into blocks of columns, each starting with the columns that name its rows."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

from .plan import OURS

WIDTH = 100
GAP = "  "
NONE = "-"
QUICK_NOTE = (
    "Quick run (--quick): tiny counts, one repeat, a second per stream: every figure below is "
    "indicative only. It proves the benchmark runs; a full run measures."
)

RATE_COLUMNS = (
    ("server", "server"),
    ("endpoint", "endpoint"),
    ("msg B", "message_bytes"),
    ("messages", "messages"),
    ("msg/s", "messages_per_s"),
    ("MB/s", "mb_per_s"),
    ("srv CPU", "server_cpu"),
    ("load CPU", "client_cpu"),
    ("srv us/msg", "server_cpu_us_per_message"),
)
RATIO_COLUMNS = (
    ("size", "size_class"),
    ("endpoint", "endpoint"),
    ("vs bare", "vs_bare"),
    ("each repeat", "vs_bare_range"),
    ("vs ceiling", "vs_ceiling"),
    ("each repeat", "vs_ceiling_range"),
    ("vs asyncio", "vs_ours_on_asyncio"),
    ("vs aiohttp-sse", "vs_aiohttp_sse"),
    ("vs bare CPU", "vs_bare_cpu"),
)
CONCURRENCY_COLUMNS = (
    ("server", "server"),
    ("transport", "transport"),
    ("streams", "streams"),
    ("delivered", "delivered_messages"),
    ("expected", "expected_messages"),
    ("failed", "failed_streams"),
    ("burst ms", "burst_ms"),
    ("connect p99", "connect.p99_ms"),
    ("late p50", "lateness_after_burst.p50_ms"),
    ("late p99", "lateness_after_burst.p99_ms"),
    ("all p50", "lateness_overall.p50_ms"),
    ("all p99", "lateness_overall.p99_ms"),
    ("lag p99", "loop_lag_after_burst.p99_ms"),
    ("lag max", "loop_lag.max_ms"),
    ("full GCs", "full_collections"),
    ("GC max ms", "longest_collection_ms"),
    ("load GC max ms", "client_collector.longest_collection_ms"),
    ("idle MiB", "idle_rss_mib"),
    ("peak MiB", "peak_rss_mib"),
    ("KiB/stream", "rss_per_stream_kib"),
    ("srv CPU", "server_cpu"),
    ("srv us/msg", "server_cpu_us_per_message"),
    ("load CPU", "client_cpu"),
)
IJSON_COLUMNS = (
    ("items", "items"),
    ("events", "messages"),
    ("seconds", "seconds"),
    ("idle MiB", "idle_rss_mib"),
    ("peak MiB", "peak_rss_mib"),
)
TARGET_COLUMNS = (("met", "met"), ("value", "value"), ("limit", "limit"))
CONCURRENCY_TITLE = (
    "Concurrency (lateness in ms as the client sees it: message i is due i intervals after its stream's "
    "first; 'late' = after the burst; 'lag' = the server loop's worst lag per second, from /healthz)"
)

Column = tuple[str, str]


def render(document: dict[str, Any]) -> str:
    m = document["machine"]
    parts = [
        wrapped(
            f"{document['command']}  ({m['cpus']} CPUs, Python {m['python']}, aiohttp {m['aiohttp']}, "
            f"{document['seconds']} s; load average {m['load_average'][0]} at start, "
            f"{m.get('load_average_end', [NONE])[0]} at end)"
        )
    ]
    if document["settings"].get("quick"):
        parts.append(wrapped(QUICK_NOTE))
    if "throughput" in document:
        parts.append(throughput_text(document["throughput"]))
    if "concurrency" in document:
        parts.append(table(CONCURRENCY_TITLE, CONCURRENCY_COLUMNS, document["concurrency"], keys=2))
    if "ijson_memory" in document:
        memory = document["ijson_memory"]
        parts.append(table(f"/ijson memory (peak growth {memory['growth_mib']} MiB)", IJSON_COLUMNS, memory["runs"]))
    parts.append(targets_text(document["targets"]))
    return "\n\n".join(parts)


def throughput_text(throughput: dict[str, Any]) -> str:
    """A table of rates per size class, then one of ours against the baselines."""
    rows = throughput["rows"]
    sizes = list(dict.fromkeys(row["size_class"] for row in rows))
    parts = [
        table(
            f"Throughput, {size} messages (interval 0; median of repeats; MB = 10^6 bytes of body)",
            RATE_COLUMNS,
            [row for row in rows if row["size_class"] == size],
            keys=2,
        )
        for size in sizes
    ]
    ours = [row for row in rows if row["server"] == OURS]
    if any(_get(row, key) is not None for row in ours for _, key in RATIO_COLUMNS[2:]):
        parts.append(table(f"Throughput of {OURS} against the baselines (ratios)", RATIO_COLUMNS, ours, keys=2))
    failed = [
        wrapped(f"! {r['size_class']} {r['server']} {r['endpoint']}: {r['error'][:160]}") for r in rows if r["error"]
    ]
    skipped = [wrapped(f"skipped {label}: {why}") for label, why in throughput["skipped"].items()]
    return "\n\n".join(parts + (["\n".join(failed + skipped)] if failed or skipped else []))


def targets_text(targets: Sequence[dict[str, Any]]) -> str:
    """Met, value and limit in columns; each target's text beside them and its note under it."""
    cells = [[_cell(target[key]) for _, key in TARGET_COLUMNS] for target in targets]
    widths = [max(len(head), *(len(line[i]) for line in cells)) for i, (head, _) in enumerate(TARGET_COLUMNS)]
    indent = " " * (sum(widths) + len(GAP) * len(widths))
    lines = ["Targets", _line([head for head, _ in TARGET_COLUMNS], widths) + GAP + "target"]
    for target, line in zip(targets, cells, strict=True):
        text = textwrap.wrap(target["target"], WIDTH - len(indent)) or [""]
        lines.append(_line(line, widths) + GAP + text[0])
        lines += [indent + more for more in text[1:]]
        if target["note"]:
            lines += textwrap.wrap(target["note"], WIDTH, initial_indent=indent, subsequent_indent=indent)
    return "\n".join(lines)


def wrapped(text: str) -> str:
    return textwrap.fill(text, WIDTH, subsequent_indent="  ")


def _cell(value: Any) -> str:
    if value is None:
        return NONE
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _get(row: Any, key: str) -> Any:
    """`key` may be an `a.b` path into nested dicts."""
    for part in key.split("."):
        row = row.get(part) if isinstance(row, dict) else None
    return row


def _line(cells: Sequence[str], widths: Sequence[int]) -> str:
    return GAP.join(f"{cell:>{width}}" for cell, width in zip(cells, widths, strict=True)).rstrip()


def _heading(head: str, cells: Sequence[str]) -> tuple[str, str]:
    """The heading on one line, or on two (split at its last space) when its cells are narrower."""
    top, _, bottom = head.rpartition(" ")
    widest = max(map(len, cells), default=0)
    if not top or widest >= len(head):
        return "", head
    return top, bottom


def _blocks(widths: Sequence[int], keys: int) -> list[list[int]]:
    """Column indexes per block: the first `keys` in every block, then as many as fit in WIDTH."""
    lead = list(range(keys))
    blocks: list[list[int]] = []
    for index in range(keys, len(widths)):
        used = sum(widths[i] + len(GAP) for i in blocks[-1]) if blocks else 0
        if not blocks or (used + widths[index] > WIDTH and len(blocks[-1]) > keys):
            blocks.append(list(lead))
        blocks[-1].append(index)
    return blocks or [lead]


def table(title: str, columns: Sequence[Column], rows: Sequence[dict[str, Any]], keys: int = 0) -> str:
    """A fixed-width table of `columns` (heading, key; keys may be `a.b` paths), at most WIDTH
    wide; the first `keys` columns name a row. A column with no figure in any row is left out."""
    cells = [[_cell(_get(row, key)) for row in rows] for _, key in columns]
    shown = [i for i, column in enumerate(cells) if i < keys or set(column) - {NONE}]
    heads = [_heading(columns[i][0], cells[i]) for i in shown]
    columns_cells = [cells[i] for i in shown]
    widths = [max(*map(len, head), *map(len, column)) for head, column in zip(heads, columns_cells, strict=True)]
    lines = [wrapped(title)]
    for number, block in enumerate(_blocks(widths, keys)):
        sizes = [widths[i] for i in block]
        lines += [""] if number else []
        if any(heads[i][0] for i in block):
            lines.append(_line([heads[i][0] for i in block], sizes))
        lines.append(_line([heads[i][1] for i in block], sizes))
        lines += [_line([columns_cells[i][r] for i in block], sizes) for r in range(len(rows))]
    return "\n".join(lines)
