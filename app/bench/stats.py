"""Pure statistics of the benchmark: percentiles, lateness against the send schedule, medians."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

from .rows import Lateness, LoopLag, MessageSpread, SecondSpread, Spread


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Nearest-rank percentile (`fraction` 0.5 = median, 0.99 = p99); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


@dataclass
class StreamTimes:
    """One slow stream as the load generator saw it: when it was asked for, and per message
    its arrival and its server send stamp (epoch ms)."""

    issued_ms: float = 0.0
    received: list[float] = field(default_factory=list)
    stamps: list[float | None] = field(default_factory=list)

    def add(self, received_ms: float, stamp_ms: float | None) -> None:
        self.received.append(received_ms)
        self.stamps.append(stamp_ms)


def lateness_ms(times: StreamTimes, interval_ms: float) -> list[tuple[float, float]]:
    """(due time, lateness) of every message, as the client sees it: on its own clock.

    The server sends message i at (its start) + i x interval. The client cannot see that
    start, but the stream's best-kept message shows it: the schedule is anchored at the
    earliest (arrival - i x interval), and each message is late by how much it missed
    that schedule. Nothing the server says of itself (its send stamps) enters, so a pause
    cannot hide, and a first message held up in the connection burst counts as late
    rather than shifting the whole schedule with it.
    """
    if not times.received:
        return []
    anchor = min(arrival - i * interval_ms for i, arrival in enumerate(times.received))
    return [(anchor + i * interval_ms, arrival - anchor - i * interval_ms) for i, arrival in enumerate(times.received)]


def _figures(values: Sequence[float]) -> tuple[float | None, float | None, float | None]:
    """(p50, p99, max) of `values`, for a Spread."""
    return (
        _round(percentile(values, 0.50)),
        _round(percentile(values, 0.99)),
        _round(max(values) if values else None),
    )


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def lateness_summary(streams: Sequence[StreamTimes], interval_ms: float) -> Lateness:
    """Delivery, connect times and lateness, overall and after the connection burst.

    The burst ends when the last stream got its first message; a message scheduled
    after that is measured with every stream already open.
    """
    connected = [times for times in streams if times.received]
    burst_end = max((times.received[0] for times in connected), default=None)
    overall: list[float] = []
    after: list[float] = []
    for times in connected:
        for scheduled, late in lateness_ms(times, interval_ms):
            overall.append(late)
            if burst_end is not None and scheduled > burst_end:
                after.append(late)
    connect = [times.received[0] - times.issued_ms for times in connected]
    return Lateness(
        delivered_messages=sum(len(times.received) for times in streams),
        connected_streams=len(connected),
        burst_ms=_round(burst_end - min(t.issued_ms for t in connected) if burst_end is not None else None),
        connect=Spread(*_figures(connect)),
        lateness_overall=Spread(*_figures(overall)),
        lateness_after_burst=MessageSpread(*_figures(after), messages=len(after)),
    )


#: A /healthz sample speaks of the last whole second before it was taken, and is taken up
#: to a second after that second ended: it counts as after the burst only this much later.
LAG_SAMPLE_REACH_MS = 2000.0


def lag_summary(samples: Sequence[tuple[float, float]], burst_end_ms: float | None) -> LoopLag:
    """The server loop's worst lag per second ((epoch ms when polled, lag ms) as /healthz
    reported it), over the whole run and after the burst."""
    after = [lag for at, lag in samples if burst_end_ms is not None and at - LAG_SAMPLE_REACH_MS > burst_end_ms]
    return LoopLag(
        loop_lag=SecondSpread(*_figures([lag for _, lag in samples]), seconds=len(samples)),
        loop_lag_after_burst=SecondSpread(*_figures(after), seconds=len(after)),
    )
