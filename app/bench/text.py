"""The benchmark's result as text tables (the same figures `--json` prints)."""

from __future__ import annotations

from typing import Any

from .report import table

THROUGHPUT_COLUMNS = (
    ("size", "size_class"),
    ("server", "server"),
    ("endpoint", "endpoint"),
    ("msg B", "message_bytes"),
    ("messages", "messages"),
    ("msg/s", "messages_per_s"),
    ("MB/s", "mb_per_s"),
    ("vs bare", "vs_bare"),
    ("each repeat", "vs_bare_range"),
    ("vs ceiling", "vs_ceiling"),
    ("each repeat", "vs_ceiling_range"),
    ("vs asyncio", "vs_ours_on_asyncio"),
    ("vs aiohttp-sse", "vs_aiohttp_sse"),
    ("srv CPU", "server_cpu"),
    ("load CPU", "client_cpu"),
    ("srv us/msg", "server_cpu_us_per_message"),
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
TARGET_COLUMNS = (("met", "met"), ("value", "value"), ("limit", "limit"), ("target", "target"), ("note", "note"))


def render(document: dict[str, Any]) -> str:
    m = document["machine"]
    parts = [
        f"{document['command']}  ({m['cpus']} CPUs, Python {m['python']}, aiohttp {m['aiohttp']}, "
        f"{document['seconds']} s; load average {m['load_average'][0]} at start, "
        f"{m.get('load_average_end', ['-'])[0]} at end)"
    ]
    if "throughput" in document:
        rows = document["throughput"]["rows"]
        parts.append(
            table("\nThroughput (interval 0; median of repeats; MB = 10^6 bytes of body)", THROUGHPUT_COLUMNS, rows)
        )
        failed = [row for row in rows if row["error"]]
        parts += [f"  ! {r['size_class']} {r['server']} {r['endpoint']}: {r['error'][:160]}" for r in failed]
        parts += [f"  skipped {label}: {why}" for label, why in document["throughput"]["skipped"].items()]
    if "concurrency" in document:
        parts.append(
            table(
                "\nConcurrency (lateness in ms as the client sees it: message i is due i intervals after its stream's "
                "first; 'late' = after the burst; 'lag' = the server loop's worst lag per second, from /healthz)",
                CONCURRENCY_COLUMNS,
                document["concurrency"],
            )
        )
    if "ijson_memory" in document:
        memory = document["ijson_memory"]
        parts.append(table(f"\n/ijson memory (peak growth {memory['growth_mib']} MiB)", IJSON_COLUMNS, memory["runs"]))
    parts.append(table("\nTargets", TARGET_COLUMNS, document["targets"]))
    return "\n".join(parts)
