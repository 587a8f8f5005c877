"""The process's memory: freed message buffers go back to the system, so its memory follows
what its streams hold now, not the most they ever held; and the cyclic collector is tuned
for many long-lived streams.

glibc serves a large allocation (a 1 MiB message, a 16 MiB buffered body) from its own
mapping and unmaps it when freed, but after the first such free it raises that threshold
to the freed size: later large buffers then come from the heap, which fragments and is
seldom given back. Measured here: 200 clients that never read, per endpoint in turn, took
RSS to 460 MiB with the default and stayed near 270 MiB with the threshold pinned.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import time
from typing import Any

#: mallopt's parameter number for the threshold (glibc's malloc.h); setting it also
#: turns the dynamic raising off.
M_MMAP_THRESHOLD = -3
#: glibc's own default, kept fixed.
MMAP_THRESHOLD_BYTES = 128 * 1024


def pin_mmap_threshold() -> bool:
    """Pin glibc's mmap threshold; False where the C library has no mallopt (not glibc)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES))


#: The collector's thresholds: allocations (net of frees) between young collections, young
#: collections between collections of the middle generation, and those between full ones
#: (CPython's defaults: 700, 10, 10). Every collection holds every stream for as long as
#: it walks its generation, and a connection burst makes every object survive: at 10,000
#: WebSockets, the defaults set off 10 full collections of up to 360 ms; (50,000, 10, 10)
#: none, but middle ones of 120-300 ms over ~500,000 objects. With (10,000, 3, 100) the
#: longest of any generation was 10-23 ms (young 2-6 ms) in the same bursts, and a full
#: one comes after ~3 million surviving allocations, as with (50,000, 10, 10).
YOUNG_COLLECTION_THRESHOLD = 10_000
MIDDLE_COLLECTION_THRESHOLD = 3
FULL_COLLECTION_THRESHOLD = 100


class CollectorPauses:
    """How long the collector held the loop: every stream waits out each collection, so
    the longest is a floor under the worst lateness a client can see."""

    def __init__(self) -> None:
        self.full_count = 0
        self.longest_full_ms = 0.0
        self.full_total_ms = 0.0
        self.longest_ms = 0.0
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        """A `gc.callbacks` entry."""
        if phase == "start":
            self._started = time.perf_counter()
            return
        took = (time.perf_counter() - self._started) * 1000
        self.longest_ms = max(self.longest_ms, took)
        if info["generation"] == 2:
            self.full_count += 1
            self.longest_full_ms = max(self.longest_full_ms, took)
            self.full_total_ms += took


COLLECTOR_PAUSES = CollectorPauses()


def tune_collector() -> None:
    """Before serving: what startup built (modules, the app, its templates) moves out of the
    collector's reach for good (`gc.freeze`: it lives as long as the process anyway), and
    the thresholds are set for short pauses. The collector stays on (cycles are still
    collected), and each collection is timed."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, MIDDLE_COLLECTION_THRESHOLD, FULL_COLLECTION_THRESHOLD)
    if COLLECTOR_PAUSES not in gc.callbacks:
        gc.callbacks.append(COLLECTOR_PAUSES)


def collector_snapshot() -> dict[str, object]:
    """For /healthz: how the collector is set, and how long it held the loop while serving."""
    return {
        "thresholds": list(gc.get_threshold()),
        "young_threshold": gc.get_threshold()[0],
        "frozen_objects": gc.get_freeze_count(),
        "longest_collection_ms": round(COLLECTOR_PAUSES.longest_ms, 1),
        "full_collections": COLLECTOR_PAUSES.full_count,
        "longest_full_collection_ms": round(COLLECTOR_PAUSES.longest_full_ms, 1),
        "full_collections_total_ms": round(COLLECTOR_PAUSES.full_total_ms, 1),
    }
