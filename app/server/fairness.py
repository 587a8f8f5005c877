"""The event loop shared fairly by work done, not by messages sent.

Two kinds of work can hold the loop with nothing to push back on them. A stream with
nothing to wait for (interval 0, or behind its schedule, to a reader that keeps up) is
never paused by its socket; and a culprit relay compressing for a reader that does not
read produces so little output that the socket never pushes back at all. Counting
messages cannot make them fair: one 1 MiB message takes a thousand times the work of a
small one. So both are measured in time:

- `Turns`: a busy stream runs for a slice (SLICE_SECONDS of the loop), then waits for its
  turn; so does a stream about to start. Turns are handed out in order of arrival, as
  many per pass of the loop as fit in PASS_SECONDS, so however many streams are busy or
  starting, each pass of the loop (which is when new connections are accepted and every
  other request is served) runs a few milliseconds of them. Nothing is capped: a busy
  stream alone gets every pass.
- `LoopShare`: work that may take at most a share of the loop's time in all (the relays'
  compression, RELAY_SHARE of one core between every stream that has a relay), counted in
  seconds as it runs; past it, the next piece waits, in order of arrival, until the share
  has refilled. So a few requests cannot buy a core each.
"""

from __future__ import annotations

import asyncio
from collections import deque
from time import perf_counter

#: How long a busy stream runs before it lets the loop serve everyone else. A pass of the
#: loop costs microseconds, so a slice this short costs a busy stream little throughput,
#: and a request that needs a few passes (accept, read, answer) waits a few slices.
SLICE_SECONDS = 0.002
#: How long the streams woken in one pass of the loop may run together, and the most
#: woken at once.
PASS_SECONDS = 0.004
MAX_BATCH = 1024
#: What the relays may use of one core together, and how far ahead of it they may run.
RELAY_SHARE = 0.25
RELAY_BURST_SECONDS = 0.002


class Turn:
    """One stream's run since it last gave the loop back.

    A stream also gives the loop back whenever it waits (on its reader, a pause, a share):
    a callback scheduled when the run begins only runs once the stream has waited, and
    then the time before does not count against its slice.
    """

    __slots__ = ("_waited", "started")

    def __init__(self) -> None:
        self.started = 0.0
        self._waited = False
        self.restart()

    def restart(self) -> None:
        self.started = perf_counter()
        self._waited = False
        asyncio.get_running_loop().call_soon(self._note_wait)

    def _note_wait(self) -> None:
        self._waited = True

    def over(self) -> bool:
        """True once the stream has run a whole slice without waiting."""
        if self._waited:
            self.restart()
            return False
        return perf_counter() - self.started >= SLICE_SECONDS


class Turns:
    """Streams waiting for their turn, woken in order of arrival, a batch per pass of the
    loop: as many as fit in PASS_SECONDS by what the last batch took (at least one; a
    batch of streams that each send one small message is large, a batch of busy ones is
    one or two)."""

    __slots__ = ("_batch", "_last", "_releasing", "_waiting")

    def __init__(self) -> None:
        self._waiting: deque[asyncio.Future[None]] = deque()
        self._releasing = False
        self._batch = 1
        self._last = 0.0

    async def next(self, turn: Turn | None = None) -> None:
        """Wait for a turn, then start `turn`'s next slice (a one-off piece of work, such
        as a stream's start, has no slice to time)."""
        loop = asyncio.get_running_loop()
        waiter = loop.create_future()
        self._waiting.append(waiter)
        if not self._releasing:
            self._releasing = True
            self._last = 0.0
            loop.call_soon(self._release)
        await waiter
        if turn is not None:
            turn.restart()

    def _release(self) -> None:
        """Wake the next batch. The next call is scheduled behind it, so it runs once the
        batch has run, on the loop's next pass, and sees how long that took."""
        now = perf_counter()
        if self._last:
            took = now - self._last
            growth = 2.0 if took <= 0 else min(2.0, PASS_SECONDS / took)
            self._batch = max(1, min(MAX_BATCH, int(self._batch * growth)))
        woken = 0
        while self._waiting and woken < self._batch:
            woken += _wake(self._waiting.popleft())  # a stream whose client left is cancelled
        if self._waiting:
            self._last = now
            asyncio.get_running_loop().call_soon(self._release)
        else:
            self._releasing = False


class LoopShare:
    """At most `share` of one core for some work, measured in seconds as it runs.

    A token bucket: the balance refills at `share` seconds per second, up to `burst`;
    work charges the seconds it ran. While the balance is spent, work waits in order of
    arrival until it has refilled. `open()` (on shutdown) lets everyone through at once.
    """

    def __init__(self, share: float = RELAY_SHARE, burst: float = RELAY_BURST_SECONDS) -> None:
        self.share = share
        self.burst = burst
        self._balance = burst
        self._stamp = perf_counter()
        self._waiting: deque[asyncio.Future[None]] = deque()
        self._timer: asyncio.TimerHandle | asyncio.Handle | None = None
        self._open = False

    def charge(self, seconds: float) -> None:
        self._refill()
        self._balance -= seconds

    def spent(self) -> bool:
        """True when work must wait for its turn (the share is used, or others wait)."""
        if self._open:
            return False
        self._refill()
        return self._balance <= 0 or bool(self._waiting)

    async def wait(self) -> None:
        loop = asyncio.get_running_loop()
        waiter = loop.create_future()
        self._waiting.append(waiter)
        self._arm(loop)
        await waiter

    def open(self) -> None:
        """From now on nothing waits: the server is stopping, and a stream waiting for its
        share would hold the shutdown."""
        self._open = True
        while self._waiting:
            _wake(self._waiting.popleft())

    def _refill(self) -> None:
        now = perf_counter()
        self._balance = min(self.burst, self._balance + (now - self._stamp) * self.share)
        self._stamp = now

    def _arm(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._timer is not None or not self._waiting:
            return
        self._refill()
        if self._balance > 0:
            self._timer = loop.call_soon(self._release)
        else:
            self._timer = loop.call_later(-self._balance / self.share, self._release)

    def _release(self) -> None:
        """Wake the first waiter once there is balance; whoever is next is looked at
        after it has run and charged what it used."""
        self._timer = None
        self._refill()
        if self._balance > 0:
            while self._waiting and not _wake(self._waiting.popleft()):
                pass
        self._arm(asyncio.get_running_loop())


def _wake(waiter: asyncio.Future[None]) -> bool:
    if waiter.done():
        return False
    waiter.set_result(None)
    return True
