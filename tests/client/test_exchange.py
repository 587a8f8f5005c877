"""diagnose's timeline as it is recorded: reads in one millisecond are one arrival, and past
MAX_ARRIVALS the windows grow coarser, holding the timeline whatever the number of reads,
without changing what the verdict says of it."""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from app.client.diagnose.exchange import COARSEST_MS, MAX_ARRIVALS, Exchange
from app.client.diagnose.report import arrivals
from app.client.diagnose.verdict import Arrival, judge

CASES = json.loads((Path(__file__).parents[1] / "verdict_cases.json").read_text())["cases"]
HOUR_MS = 3_600_000.0


def recorded(reads: Iterator[Arrival] | list[Arrival]) -> Exchange:
    exchange = Exchange("http://127.0.0.1/")
    for read in reads:
        exchange.record(read)
    return exchange


def split_in_its_millisecond(arrival: Arrival) -> list[Arrival]:
    """The arrival as three reads within its millisecond, its messages completed by the last."""
    t, size = arrival.t_ms, arrival.decoded_bytes
    step = (1 - t % 1) / 4
    sizes = [size // 3, size // 3, size - 2 * (size // 3)]
    return [Arrival(t + i * step, part, part, arrival.messages if i == 2 else 0) for i, part in enumerate(sizes)]


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_reads_split_within_a_millisecond_are_recorded_as_one_and_judged_alike(case: dict[str, Any]) -> None:
    arrivals = [Arrival(t, size, size, messages) for t, size, messages in case["arrivals"]]
    exchange = recorded(read for arrival in arrivals for read in split_in_its_millisecond(arrival))
    unmerged = judge(arrivals, case["life_ms"], case["messages_known"])
    merged = judge(exchange.arrivals, case["life_ms"], case["messages_known"])
    assert exchange.reads == 3 * len(arrivals)
    assert len(exchange.arrivals) <= len(arrivals)
    assert (exchange.decoded_bytes, exchange.messages) == (
        sum(a.decoded_bytes for a in arrivals),
        sum_messages(arrivals),
    )
    assert (merged.verdict, merged.end_share) == (unmerged.verdict, unmerged.end_share)


def sum_messages(arrivals: list[Arrival]) -> int:
    return sum(arrival.messages for arrival in arrivals)


def trickle(every_ms: float, pause_every_ms: float = 0, pause_ms: float = 0) -> Iterator[Arrival]:
    """A read of one 10-byte message every `every_ms` for an hour, pausing now and then."""
    t, resumed = 0.0, 0.0
    while t < HOUR_MS:
        yield Arrival(t, 10, 10, 1)
        t += every_ms
        if pause_every_ms and t - resumed >= pause_every_ms:
            t, resumed = t + pause_ms, t + pause_ms


def blocks(every_ms: float, reads: int) -> Iterator[Arrival]:
    """4 KiB blocks, each split by the socket into `reads` reads half a ms apart, for an hour."""
    t = 100.0
    while t < HOUR_MS:
        yield from (Arrival(t + 0.5 * i, 4096 // reads, 4096 // reads, 0) for i in range(reads))
        t += every_ms


def held_then_flushed() -> Iterator[Arrival]:
    """A byte every 30 ms for an hour, then 10 MB in its last 100 ms."""
    yield from (Arrival(t, 1, 1, 0) for t in (i * 30.0 for i in range(int(HOUR_MS / 30) - 10)))
    yield Arrival(HOUR_MS - 50, 10**7, 10**7, 0)


#: Hour-long timelines of more reads than MAX_ARRIVALS, and whether messages are counted.
LONG: dict[str, tuple[Callable[[], Iterator[Arrival]], bool]] = {
    "a steady trickle": (lambda: trickle(30.0), True),
    "a trickle pausing 3 s every 30 s": (lambda: trickle(30.0, 30_000, 3000), True),
    "4 KiB blocks every 250 ms, 8 reads each": (lambda: blocks(250.0, 8), False),
    "a trickle, then most of it at the end": (held_then_flushed, False),
}


@pytest.mark.parametrize("name", LONG)
def test_a_timeline_past_the_cap_is_held_coarser_and_judged_alike(name: str) -> None:
    reads, messages_known = LONG[name]
    arrivals = list(reads())
    exchange = recorded(arrivals)
    life = arrivals[-1].t_ms + 1
    unmerged, merged = judge(arrivals, life, messages_known), judge(exchange.arrivals, life, messages_known)
    assert len(arrivals) > MAX_ARRIVALS >= len(exchange.arrivals)
    assert 1 < exchange.resolution_ms <= COARSEST_MS
    assert (exchange.wire_bytes, exchange.messages) == (sum(a.wire_bytes for a in arrivals), sum_messages(arrivals))
    assert merged.verdict == unmerged.verdict, (merged.reason, unmerged.reason)
    # Each input of the verdict is kept to within two windows: the silences, the end's share.
    assert 0 <= merged.largest_gap_ms - unmerged.largest_gap_ms < 2 * exchange.resolution_ms
    assert merged.end_share == pytest.approx(unmerged.end_share, abs=0.001)


def test_an_hour_of_reads_holds_the_cap_not_a_read_each() -> None:
    tracemalloc.start()
    try:
        exchange = recorded(trickle(10.0))
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert exchange.reads == 360_000
    assert len(exchange.arrivals) <= MAX_ARRIVALS
    # Before, an arrival per read: 360 000 of them, 52 MiB (a server trickling 2,600 reads
    # a second came to 1.3 GB in an hour).
    assert held < 12 * 1024 * 1024, f"{held / 2**20:.1f} MiB"


def test_the_terminal_says_how_many_reads_the_arrivals_stand_for() -> None:
    three_reads = recorded([Arrival(5.1, 10, 10, 1), Arrival(5.6, 10, 10, 1), Arrival(9.0, 10, 10, 1)])
    assert arrivals(three_reads) == "2 arrivals (3 reads, merged per 1 ms)"
    assert arrivals(recorded([Arrival(5.1, 10, 10, 1)])) == "1 arrival"
