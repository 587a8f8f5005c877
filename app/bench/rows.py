"""The benchmark's rows, a dataclass each, and their JSON: the document `--json` prints, and
what the load generator answers across its process boundary.

In the JSON a `flat` field's own fields stand in its place (a row's figures are one flat
object, as they always were), and an `optional` one is left out while it is None: a
figure that does not apply to a row is absent, one that applies but was not measured is null.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any, TypeVar

from ..transport import Transport

T = TypeVar("T")


#: Field metadata: its own fields stand in its place in the JSON.
FLAT = {"flat": True}
#: Field metadata: left out of the JSON while it is None.
OPTIONAL = {"optional": True}


def to_json(value: Any) -> Any:
    """Dataclasses (within dicts and lists too) as the JSON objects the benchmark writes."""
    if is_dataclass(value) and not isinstance(value, type):
        document: dict[str, Any] = {}
        for each in fields(value):
            item = getattr(value, each.name)
            if item is None and each.metadata.get("optional"):
                continue
            if each.metadata.get("flat"):
                document |= to_json(item)
            else:
                document[each.name] = to_json(item)
        return document
    if isinstance(value, Mapping):
        return {key: to_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(item) for item in value]
    return value


def from_json(kind: type[T], document: Mapping[str, Any]) -> T:
    """A dataclass back from its JSON (what `to_json` wrote)."""
    hints = typing.get_type_hints(kind)
    values: dict[str, Any] = {}
    for each in fields(kind):  # type: ignore[arg-type]
        inner = next((k for k in (typing.get_args(hints[each.name]) or (hints[each.name],)) if is_dataclass(k)), None)
        if each.metadata.get("flat"):
            assert isinstance(inner, type)
            needed = [f.name for f in fields(inner) if _required(f)] if each.metadata.get("optional") else []
            present = all(name in document for name in needed)
            values[each.name] = from_json(inner, document) if present else None
        elif each.name in document:
            item = document[each.name]
            values[each.name] = from_json(inner, item) if isinstance(inner, type) and item is not None else item
    return kind(**values)


def _required(each: dataclasses.Field[Any]) -> bool:
    return each.default is dataclasses.MISSING and each.default_factory is dataclasses.MISSING


# The concurrency section: many slow streams, as the load generator saw them.


@dataclass(frozen=True)
class Spread:
    p50_ms: float | None
    p99_ms: float | None
    max_ms: float | None


@dataclass(frozen=True)
class MessageSpread(Spread):
    messages: int


@dataclass(frozen=True)
class SecondSpread(Spread):
    seconds: int


@dataclass(frozen=True)
class Lateness:
    delivered_messages: int
    connected_streams: int
    burst_ms: float | None
    connect: Spread
    lateness_overall: Spread
    lateness_after_burst: MessageSpread


@dataclass(frozen=True)
class LoopLag:
    loop_lag: SecondSpread
    loop_lag_after_burst: SecondSpread


@dataclass(frozen=True)
class Collections:
    full_collections: int
    longest_full_collection_ms: float
    longest_collection_ms: float | None


@dataclass(frozen=True, kw_only=True)
class ConcurrencyLoad:
    """What the load generator measured of one concurrency run."""

    lateness: Lateness = field(metadata=FLAT)
    lag: LoopLag = field(metadata=FLAT)
    collections: Collections | None = field(default=None, metadata=FLAT | OPTIONAL)  # the server's, from /healthz
    streams: int
    expected_messages: int
    failed_streams: int
    first_failures: list[str]
    client_cpu: float
    #: The load generator's own collector (tuned as the server's): its pauses would pass for lateness.
    client_collector: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ConcurrencyRow:
    load: ConcurrencyLoad = field(metadata=FLAT)
    server: str
    transport: Transport
    count: int
    interval_s: float
    idle_rss_mib: float | None
    peak_rss_mib: float | None
    server_cpu: float | None  # its share of a core
    rss_per_stream_kib: float | None
    server_cpu_us_per_message: float | None


# The throughput section: bodies read as fast as they come.


@dataclass(frozen=True)
class ReadResult:
    """One body as the load generator read it (or the refusal or error that stopped it)."""

    id: str
    status: int | None = 200
    error: str | None = None
    messages: int | None = None
    bytes: int | None = None
    seconds: float | None = None
    server_cpu: float | None = None
    client_cpu: float | None = None


@dataclass(frozen=True)
class Measured:
    """A run's figures over its repeats, when every repeat counted what its source yields."""

    messages_per_s_each: list[int]
    server_cpu: float | None
    server_cpu_us_per_message: float | None
    client_cpu: float | None


@dataclass
class Ratios:
    """Ours over each baseline of the same minute: None when that baseline gave no figure,
    absent (the last four) where no such baseline runs."""

    vs_bare: float | None = None
    vs_bare_cpu: float | None = None
    vs_bare_range: str | None = None
    vs_ceiling: float | None = None
    vs_ceiling_range: str | None = None
    vs_ceiling_cpu: float | None = None
    vs_starlette: float | None = field(default=None, metadata=OPTIONAL)
    vs_ours_on_asyncio: float | None = field(default=None, metadata=OPTIONAL)
    vs_aiohttp_sse: float | None = field(default=None, metadata=OPTIONAL)
    vs_aiohttp_sse_cpu: float | None = field(default=None, metadata=OPTIONAL)


@dataclass
class ThroughputRow:
    size_class: str
    server: str
    endpoint: str
    transport: Transport
    count: int
    size: int
    repeats: int
    error: str | None = None
    messages: int | None = None
    message_bytes: float | None = None
    messages_per_s: int | None = None
    mb_per_s: float | None = None
    measured: Measured | None = field(default=None, metadata=FLAT | OPTIONAL)
    ratios: Ratios | None = field(default=None, metadata=FLAT | OPTIONAL)


@dataclass(frozen=True)
class Throughput:
    rows: list[ThroughputRow]
    skipped: dict[str, str]  # baseline: why it did not run


# The ijson section and the targets.


@dataclass(frozen=True)
class IjsonRun:
    items: int
    messages: int | None
    seconds: float | None
    error: str | None
    idle_rss_mib: float | None
    peak_rss_mib: float | None


@dataclass(frozen=True)
class IjsonMemory:
    runs: list[IjsonRun]
    growth_mib: float | None


@dataclass(frozen=True)
class Target:
    target: str
    value: Any  # a ratio, a count such as "100/100", or a size
    limit: str
    met: bool | None  # None: not measured
    note: str = ""
