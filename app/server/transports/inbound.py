"""How fast a WebSocket client is read: no message begins before the last one is answered,
nor before the memory budget takes it (`InboundFlow`, one per socket, driven by the frame
check in client_frames.py as the bytes pass)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from aiohttp.base_protocol import BaseProtocol

if TYPE_CHECKING:
    from .client_frames import ClientFrameCheck

__all__ = ["FRAME_OVERHEAD", "RECEIVE_BUFFER_BYTES", "UNSENT_BYTES", "Budget", "InboundFlow"]

#: What a frame costs besides its payload (aiohttp counts 128 bytes a queued message), so
#: a flood of empty messages is not free.
FRAME_OVERHEAD = 128
#: The socket's receive buffer (the kernel doubles it): a read takes at most ~32 KiB, so
#: a socket waiting for the budget holds at most that, uncharged, and the kernel no more.
#: Below this, loopback's 64 KiB segments stall the sender (measured: 0.1 MB/s at 12 KiB,
#: 640 MB/s at 16 KiB). It costs a large message more reads: 174 -> 247 us of CPU to
#: answer 64 KiB (2,000 clients flooding peaked at 297 MB with it, 337 MB without).
RECEIVE_BUFFER_BYTES = 16 * 1024
#: Once its client sends, a socket's kernel takes at most this much unsent data: an answer
#: it cannot send waits in the transport, which stops the socket being read, so a client
#: is answered as fast as it reads. Left to autotuning, the kernel took ~25 answers of 64
#: KiB (1.5 MB) from each client that never reads: 1,000 of them cost 3 s of CPU, and a
#: reader's own answers waited 0.7 s behind theirs (1.2 s and 0.6 ms with it). Not set for
#: a client that only reads: its 64 KiB messages cost twice the CPU with it (17 -> 35 us).
UNSENT_BYTES = 16 * 1024
TCP_NOTSENT_LOWAT: int | None = getattr(socket, "TCP_NOTSENT_LOWAT", None)


class Budget(Protocol):
    """The memory budget a client's messages are charged to (StreamStats)."""

    def take(self, size: int) -> bool: ...

    def force(self, size: int) -> None: ...

    def give_back(self, size: int) -> None: ...

    def wait_for(self, reader: object, size: int, granted: Callable[[], None]) -> None: ...

    def stop_waiting(self, reader: object) -> None: ...


class InboundFlow:
    """How fast one socket's client is read: no message begins before the last one is
    answered, nor before the memory budget takes it.

    Each data frame is charged when its header comes, at the size it announces (and
    FRAME_OVERHEAD), before aiohttp reads it, and given back once its message is
    answered. A message that may not begin yet is withheld (CheckedReader) and the socket
    stops reading until it may; the rest of a message begun is charged room or not. So a
    socket waits for the budget only when it holds nothing that its own progress must
    give back, a client that never reads its answers holds one answer and one read, and
    all clients together what the budget allows plus one read each of those waiting.
    """

    __slots__ = (
        "_budget",
        "_granted",
        "_held",
        "_open",
        "_protocol",
        "_read_on",
        "_retry",
        "_socket",
        "_unanswered",
        "_waiting",
        "_withheld",
        "_withheld_bytes",
    )

    def __init__(self, budget: Budget) -> None:
        self._budget = budget
        self._protocol: BaseProtocol | None = None
        self._socket: Any = None  # until its client's first message (then answers are paced)
        self._retry: Callable[[], None] | None = None  # feeds what was withheld again
        self._held = 0  # bytes charged and not given back
        self._unanswered: deque[int] = deque()  # what each complete message holds
        self._withheld = False  # bytes wait to be fed again
        self._withheld_bytes = 0  # ... this many, charged as they are (read already)
        self._waiting = 0  # ... as the budget could not take this many yet
        self._granted = 0  # ... which it has taken since
        self._open = False  # no longer paced: the stream is ending
        self._read_on = True  # ... and read as it comes

    def attach(self, protocol: BaseProtocol, retry: Callable[[], None]) -> None:
        """Pace this connection (upgraded): small reads, then paused as needed; `retry`
        feeds again what was withheld."""
        self._protocol, self._retry = protocol, retry
        self._socket = None if protocol.transport is None else protocol.transport.get_extra_info("socket")
        _set_option(self._socket, socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER_BYTES)

    def admit(self, size: int, begins: bool) -> bool:
        """A data frame's header: whether it may be read now (its cost is charged)."""
        cost = size + FRAME_OVERHEAD
        if self._open:
            return True
        if self._granted:
            self._held, self._granted = self._held + self._granted, 0
        elif not begins:
            # The rest of a message begun: its start holds a charge that only its answer
            # gives back, so waiting here could wait for ever.
            self._held += cost
            self._budget.force(cost)
        elif not self._unanswered and self._budget.take(cost):
            self._held += cost
        else:
            self._withheld = True
            if not self._unanswered:
                self._waiting = cost
                self._budget.wait_for(self, cost, self._grant)
            return False
        return True

    def withheld(self, size: int) -> None:
        """`size` more bytes read wait to be fed again: held, room or not."""
        if self._open:
            return
        self._withheld_bytes += size
        self._held += size
        self._budget.force(size)

    def read(self, check: ClientFrameCheck) -> None:
        """Note the messages the check saw complete (each waits for its answer)."""
        if check.messages and self._socket is not None:
            _set_option(self._socket, socket.IPPROTO_TCP, TCP_NOTSENT_LOWAT, UNSENT_BYTES)
            self._socket = None
        self._unanswered.extend(payload + FRAME_OVERHEAD * frames for payload, frames in check.messages)
        check.messages.clear()
        self._pace()

    def answering(self, size: int) -> None:
        """The answer to the oldest message, `size` bytes, is being sent: it is held now
        instead of the message (whose text the answer no longer needs). Past the budget
        or not: the answer is there already."""
        if not self._unanswered or self._open:
            return
        self._give_back(self._unanswered[0])
        self._unanswered[0] = size
        self._held += size
        self._budget.force(size)

    def answered(self) -> None:
        """The oldest message is answered: it and its answer are no longer held, and the
        next one may begin."""
        if self._unanswered and not self._open:
            self._give_back(self._unanswered.popleft())
        if not self._unanswered and self._withheld and not (self._waiting or self._granted):
            self._feed_withheld()
        self._pace()

    def stop(self, read_on: bool) -> None:
        """The stream is ending: everything charged is given back. `read_on`: the socket
        is read freely from now on (a close handshake must be read, whatever came before
        it); otherwise it stays as it is (a server going away waits for no one's flood)."""
        self._open, self._read_on = True, read_on
        self._budget.stop_waiting(self)
        self._unanswered.clear()
        self._held, self._waiting, self._granted, self._withheld_bytes = self._held + self._granted, 0, 0, 0
        self._give_back(self._held)
        connected = self._protocol is not None and self._protocol.transport is not None
        if self._withheld and connected and read_on:
            self._feed_withheld()
        self._retry = None  # what was withheld from a client gone goes with the reader
        self._pace()

    def _give_back(self, size: int) -> None:
        size = min(size, self._held)
        self._held -= size
        if size:
            self._budget.give_back(size)

    def _grant(self) -> None:
        # Called as another socket gives back: the withheld bytes are fed on the loop's
        # next pass, not inside that socket's call.
        self._granted, self._waiting = self._waiting, 0
        asyncio.get_running_loop().call_soon(self._feed_granted)

    def _feed_granted(self) -> None:
        if self._granted:
            self._feed_withheld()
            self._pace()

    def _feed_withheld(self) -> None:
        # Charged again as frames when they are fed.
        self._give_back(self._withheld_bytes)
        self._withheld, self._withheld_bytes = False, 0
        if self._retry is not None:
            self._retry()

    def _pace(self) -> None:
        # aiohttp's own pause (its message queue full) is a separate flag: the transport
        # reads again only once neither holds it. After the upgrade, this one is ours.
        protocol = self._protocol
        if protocol is None or not self._read_on:
            return
        hold = not self._open and (bool(self._unanswered) or self._withheld)
        if hold and not protocol._buffer_paused:
            protocol._pause_reading_for_buffer()
        elif not hold and protocol._buffer_paused:
            protocol._resume_reading_for_buffer()


def _set_option(sock: Any, level: int, option: int | None, value: int) -> None:
    # A socket that refuses (or a system without the option) is paced all the same, with
    # larger reads, or more answers in the kernel's buffer.
    if sock is not None and option is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(level, option, value)
