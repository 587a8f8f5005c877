"""Bookkeeping of live streams: how many are open, the memory they may hold, the caps,
and one log line per stream."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from .memory import HeapTrim

log = logging.getLogger("transport_lab.streams")


class Outcome(StrEnum):
    """How a stream ended."""

    DONE = "done"
    CLIENT_GONE = "client gone"
    #: The client stopped reading and a write waited past the send timeout.
    STALLED = "stalled"
    #: Cut on purpose after `drop` messages (the culprits lab's fault).
    DROPPED = "dropped"
    #: Cut after `idle` seconds with nothing sent (the lab's idle timeout).
    IDLE = "idle"
    SHUTDOWN = "shutdown"
    ERROR = "error"


class Connection(Protocol):
    """What the stall watch needs of a connection (aiohttp's request protocol)."""

    @property
    def writing_paused(self) -> bool: ...

    @property
    def transport(self) -> asyncio.Transport | None: ...


@dataclass(slots=True, eq=False)
class StreamRecord:
    """What one stream did; the transports count into it as they send."""

    endpoint: str
    started: float = field(default_factory=time.monotonic)
    messages: int = 0
    bytes_sent: int = 0
    outcome: Outcome = Outcome.DONE
    #: Bytes of message data this stream may hold at once, reserved from the budget.
    reserved: int = 0
    connection: Connection | None = None
    #: Where the stall watch last saw the stream blocked: (bytes_sent then, since when).
    blocked: tuple[int, float] | None = None


@dataclass(slots=True)
class StreamStats:
    """The live streams of the process and its counters, shown by /healthz."""

    max_streams: int
    #: Message data all streams together may hold in flight (buffered bodies, the
    #: message being written and the socket's write buffer, what clients sent and
    #: has not been answered yet), in bytes.
    memory_budget: int
    #: What streams reserved as they started, for what they send.
    reserved: int = 0
    #: What clients sent that is held now (read and not answered yet), charged as read.
    inbound: int = 0
    started: int = 0
    live: set[StreamRecord] = field(default_factory=set)
    outcomes: dict[str, int] = field(default_factory=lambda: {outcome.value: 0 for outcome in Outcome})
    #: Readers paused until the budget has room for what they began to read: in the
    #: order they came, what each needs, and what to call once it is charged.
    waiting: dict[object, tuple[int, Callable[[], None]]] = field(default_factory=dict)
    heap: HeapTrim = field(default_factory=HeapTrim)

    @property
    def active(self) -> int:
        return len(self.live)

    def refusal(self, reservation: int) -> str | None:
        """Why a new stream holding up to `reservation` bytes cannot start now, or None."""
        if self.active >= self.max_streams:
            return f"the server is serving its maximum of {self.max_streams} streams; retry shortly"
        if self.reserved + self.inbound + reservation > self.memory_budget:
            return (
                f"the server's memory budget for streams ({self.memory_budget} bytes) is taken "
                "by streams in flight; retry shortly"
            )
        return None

    def take(self, size: int) -> bool:
        """Charge `size` bytes a client's frames will hold, if the budget has room for them
        (and nobody is waiting before them)."""
        if self.waiting or self.reserved + self.inbound + size > self.memory_budget:
            return False
        self.inbound += size
        return True

    def force(self, size: int) -> None:
        """Charge `size` bytes held already, room or not."""
        self.inbound += size

    def give_back(self, size: int) -> None:
        """`size` bytes charged are no longer held."""
        self.inbound -= size
        self.freed(size)

    def wait_for(self, reader: object, size: int, granted: Callable[[], None]) -> None:
        """Charge `size` bytes for `reader` once they fit, then call `granted`; readers are
        served in the order they came."""
        self.waiting[reader] = (size, granted)

    def stop_waiting(self, reader: object) -> None:
        self.waiting.pop(reader, None)

    def freed(self, size: int) -> None:
        """`size` bytes of the budget are free again: readers waiting for room are served."""
        self.heap.released(size)
        while self.waiting:
            reader, (wanted, granted) = next(iter(self.waiting.items()))
            if self.reserved + self.inbound + wanted > self.memory_budget:
                return
            del self.waiting[reader]
            self.inbound += wanted
            granted()

    def snapshot(self) -> dict[str, object]:
        return {
            "active_streams": self.active,
            "max_streams": self.max_streams,
            "reserved_bytes": self.reserved,
            "inbound_bytes": self.inbound,
            "readers_waiting_for_budget": len(self.waiting),
            "memory_budget_bytes": self.memory_budget,
            "streams_started": self.started,
            "streams_ended": dict(self.outcomes),
            "heap_trims": self.heap.count,
            "longest_heap_trim_ms": round(self.heap.longest_ms, 1),
        }


# The two context managers below are classes, not @contextmanager generators: each
# stays entered for a stream's whole life, and a generator's frame is ~400 bytes more
# per stream (at 10,000 streams, 4 MB). Named in lower case, as contextlib's classes are.


class tracked:
    """Count a stream as live, holding `reservation` bytes of the budget, while the
    block runs (until its last byte is written or its client is gone), then log how it
    ended.

    A client that goes away is routine for a streaming server, so that is logged at
    DEBUG; only a real failure is logged as an error.
    """

    __slots__ = ("_record", "_stats")

    def __init__(self, stats: StreamStats, endpoint: str, reservation: int, connection: Connection | None) -> None:
        self._stats = stats
        self._record = StreamRecord(endpoint, reserved=reservation, connection=connection)

    def __enter__(self) -> StreamRecord:
        stats, record = self._stats, self._record
        stats.live.add(record)
        stats.reserved += record.reserved
        stats.started += 1
        return record

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: object) -> None:
        stats, record = self._stats, self._record
        if kind is not None:
            if issubclass(kind, asyncio.CancelledError | ConnectionError):
                ended_by_client(record)
            elif issubclass(kind, Exception):
                record.outcome = Outcome.ERROR
        stats.live.discard(record)
        stats.reserved -= record.reserved
        stats.freed(record.reserved)
        stats.outcomes[record.outcome.value] += 1
        _drop_unread(record)
        _log_stream(record)


def _drop_unread(record: StreamRecord) -> None:
    """Close at once the socket of a stream whose client left or stalled with data still
    unsent: nobody will read it, and a graceful close would wait for ever to flush it."""
    if record.outcome not in (Outcome.CLIENT_GONE, Outcome.STALLED) or record.connection is None:
        return
    transport = record.connection.transport
    if transport is not None and transport.get_write_buffer_size():
        transport.abort()


def ended_by_client(record: StreamRecord) -> None:
    """Mark a stream its client ended, unless the stall watch cut it (or shutdown ended
    it) first: the connection error that follows is then its consequence."""
    if record.outcome is Outcome.DONE:
        record.outcome = Outcome.CLIENT_GONE


_LOG_LEVELS = {
    Outcome.DONE: logging.INFO,
    Outcome.SHUTDOWN: logging.INFO,
    # Clients leave all the time; that is not news above DEBUG.
    Outcome.CLIENT_GONE: logging.DEBUG,
    Outcome.STALLED: logging.INFO,
    Outcome.DROPPED: logging.INFO,
    Outcome.IDLE: logging.INFO,
    Outcome.ERROR: logging.ERROR,
}


class client_may_leave:
    """End a stream quietly when its client goes away while it is being written.

    A write to a closed connection raises ConnectionResetError, and a write waiting on
    backpressure raises ConnectionError("Connection lost"): both are routine for a
    streaming server, not errors to log with a traceback.
    """

    __slots__ = ("_record",)

    def __init__(self, record: StreamRecord) -> None:
        self._record = record

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: object) -> bool:
        if kind is not None and issubclass(kind, ConnectionError):
            ended_by_client(self._record)
            if error is not None:
                forget_frames(error)
            return True
        return False


def forget_frames(error: BaseException) -> None:
    """Let go of the frames a connection error passed through, once it is handled.

    aiohttp raises a lost connection from the future a write waits on, and that future
    keeps the exception: through its traceback, the waiting frame holds the future, a
    reference cycle that keeps every frame up the stack (and the message each was
    writing) until a full collection, which may be many minutes away. Measured: 1,000
    WebSocket floods left 90 MB that only `gc.collect()` gave back.
    """
    error.__traceback__ = None


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
