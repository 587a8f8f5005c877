"""Bookkeeping of live streams: how many are open, the cap, and one log line per stream."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum

log = logging.getLogger("transport_lab.streams")


class Outcome(StrEnum):
    """How a stream ended."""

    DONE = "done"
    CLIENT_GONE = "client gone"
    SHUTDOWN = "shutdown"
    ERROR = "error"


@dataclass(slots=True)
class StreamRecord:
    """What one stream did; the transports count into it as they send."""

    endpoint: str
    started: float = field(default_factory=time.monotonic)
    messages: int = 0
    bytes_sent: int = 0
    outcome: Outcome = Outcome.DONE


@dataclass(slots=True)
class StreamStats:
    """Counters for the whole process, shown by /healthz."""

    max_streams: int
    active: int = 0
    started: int = 0
    outcomes: dict[str, int] = field(default_factory=lambda: {outcome.value: 0 for outcome in Outcome})

    @property
    def full(self) -> bool:
        return self.active >= self.max_streams

    def snapshot(self) -> dict[str, object]:
        return {
            "active_streams": self.active,
            "max_streams": self.max_streams,
            "streams_started": self.started,
            "streams_ended": dict(self.outcomes),
        }


@contextmanager
def tracked(stats: StreamStats, endpoint: str) -> Iterator[StreamRecord]:
    """Count a stream as active while the block runs, then log how it ended.

    A client that goes away is routine for a streaming server, so that is logged at
    DEBUG; only a real failure is logged as an error.
    """
    record = StreamRecord(endpoint)
    stats.active += 1
    stats.started += 1
    try:
        yield record
    except (asyncio.CancelledError, ConnectionResetError):
        record.outcome = Outcome.CLIENT_GONE
        raise
    except Exception:
        record.outcome = Outcome.ERROR
        raise
    finally:
        stats.active -= 1
        stats.outcomes[record.outcome.value] += 1
        _log_stream(record)


_LOG_LEVELS = {
    Outcome.DONE: logging.INFO,
    Outcome.SHUTDOWN: logging.INFO,
    # Clients leave all the time; that is not news above DEBUG.
    Outcome.CLIENT_GONE: logging.DEBUG,
    Outcome.ERROR: logging.ERROR,
}


@contextmanager
def client_may_leave(record: StreamRecord) -> Iterator[None]:
    """End a stream quietly when its client goes away while it is being written.

    A write to a closed connection raises ConnectionResetError, and a write waiting on
    backpressure raises ConnectionError("Connection lost"): both are routine for a
    streaming server, not errors to log with a traceback.
    """
    try:
        yield
    except ConnectionError:
        record.outcome = Outcome.CLIENT_GONE


def _log_stream(record: StreamRecord) -> None:
    level = _LOG_LEVELS[record.outcome]
    if log.isEnabledFor(level):
        log.log(
            level,
            "stream endpoint=%s outcome=%s duration=%.3fs messages=%d bytes=%d",
            record.endpoint,
            record.outcome.value,
            time.monotonic() - record.started,
            record.messages,
            record.bytes_sent,
        )
