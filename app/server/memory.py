"""The process's memory: freed message buffers go back to the system, so its memory follows
what its streams hold now, not the most they ever held; and the cyclic collector is tuned
for many long-lived streams.

glibc serves a large allocation (a 1 MiB message, a 16 MiB buffered body) from its own
mapping and unmaps it when freed, but after the first such free it raises that threshold
to the freed size: later large buffers then come from the heap, which fragments and is
seldom given back. Measured here: 200 clients that never read, per endpoint in turn, took
RSS to 460 MiB with the default and stayed near 270 MiB with the threshold pinned.
Buffers under the threshold (a client's 64 KiB message) still come from the heap: once
many are freed, `HeapTrim` hands the heap's free pages back.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import functools
import gc
import time
from collections.abc import Callable
from typing import Any

#: mallopt's parameter number for the threshold (glibc's malloc.h); setting it also
#: turns the dynamic raising off.
M_MMAP_THRESHOLD = -3
#: glibc's own default, kept fixed.
MMAP_THRESHOLD_BYTES = 128 * 1024


@functools.cache
def _libc_function(name: str) -> Callable[..., int] | None:
    """A function of the C library, or None where it has none of that name (not glibc).
    Looked up once: finding the library runs `ldconfig`."""
    library = ctypes.util.find_library("c")
    if library is None:
        return None
    try:
        function: Callable[..., int] = getattr(ctypes.CDLL(library), name)
    except (OSError, AttributeError):
        return None
    return function


def pin_mmap_threshold() -> bool:
    """Pin glibc's mmap threshold; False where the C library has no mallopt (not glibc)."""
    mallopt = _libc_function("mallopt")
    return mallopt is not None and bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES))


#: Bytes of stream data given back (reservations and clients' messages) that make the
#: heap worth trimming: below the mmap threshold, freed buffers stay in glibc's heap,
#: which keeps the pages. Measured here: 2,000 WebSocket floods left RSS at 1.5 GB after
#: the clients had gone; a trim gave back all but what was live.
TRIM_AFTER_BYTES = 32 * 1024 * 1024
#: The shortest time between trims, and how long after a large release the trim waits
#: (clients tend to leave together). A trim holds the loop: 6 ms for 170 MB of free
#: 64 KiB blocks here, 38 ms for 1.1 GB, ~2 ms once the heap is trimmed.
TRIM_DELAY_SECONDS = 1.0


class HeapTrim:
    """Gives the heap's free pages back to the system (`malloc_trim`) once enough stream
    data has been released, at most once per TRIM_DELAY_SECONDS; timed, for /healthz."""

    def __init__(self) -> None:
        self._malloc_trim = _libc_function("malloc_trim")
        self._released = 0
        self._due: asyncio.TimerHandle | None = None
        self.count = 0
        self.longest_ms = 0.0

    def released(self, size: int) -> None:
        """`size` bytes of stream data were given back."""
        self._released += size
        if self._released < TRIM_AFTER_BYTES or self._due is not None or self._malloc_trim is None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._due = loop.call_later(TRIM_DELAY_SECONDS, self.trim)

    def trim(self) -> None:
        self._due, self._released = None, 0
        if self._malloc_trim is None:
            return
        started = time.perf_counter()
        self._malloc_trim(0)
        self.count += 1
        self.longest_ms = max(self.longest_ms, (time.perf_counter() - started) * 1000)


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
#: How many objects startup froze: counted once, as `gc.get_freeze_count()` walks them all
#: (7 ms for 42,000 here, on every /healthz).
_frozen_objects = 0


def tune_collector() -> None:
    """Before serving: what startup built (modules, the app, its templates) moves out of the
    collector's reach for good (`gc.freeze`: it lives as long as the process anyway), and
    the thresholds are set for short pauses. The collector stays on (cycles are still
    collected), and each collection is timed."""
    global _frozen_objects
    gc.collect()
    gc.freeze()
    _frozen_objects = gc.get_freeze_count()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, MIDDLE_COLLECTION_THRESHOLD, FULL_COLLECTION_THRESHOLD)
    if COLLECTOR_PAUSES not in gc.callbacks:
        gc.callbacks.append(COLLECTOR_PAUSES)


def collector_snapshot() -> dict[str, object]:
    """For /healthz: how the collector is set, and how long it held the loop while serving."""
    return {
        "thresholds": list(gc.get_threshold()),
        "young_threshold": gc.get_threshold()[0],
        "frozen_objects": _frozen_objects,
        "longest_collection_ms": round(COLLECTOR_PAUSES.longest_ms, 1),
        "full_collections": COLLECTOR_PAUSES.full_count,
        "longest_full_collection_ms": round(COLLECTOR_PAUSES.longest_full_ms, 1),
        "full_collections_total_ms": round(COLLECTOR_PAUSES.full_total_ms, 1),
    }
