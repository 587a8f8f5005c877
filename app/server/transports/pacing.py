"""Pacing shared by every transport: send a message, then let `interval` pass.

Every pause also listens for the server stopping, so a graceful shutdown ends each
stream cleanly at once instead of waiting out (or cutting) its schedule.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

from aiohttp import web

from ...params import StreamParams
from ...sources import Clock, epoch_ms
from ..fairness import Turn, Turns
from ..keys import shutdown_key, turns_key
from ..shutdown import Shutdown
from ..streams import Outcome, StreamRecord
from .faults import IdleCut
from .responses import Send


def clock_for(params: StreamParams) -> Clock | None:
    """The clock that stamps messages, or None when they are not stamped."""
    return epoch_ms if params.stamp else None


#: How long after its last message a dropped connection is cut: a moment, so a browser
#: reads that message before the end (one that gets both in one read drops the message),
#: well short of the silence that tells an idle timeout's cut (cuts.py, 100 ms).
DROP_GRACE_SECONDS = 0.05


@dataclass(frozen=True, slots=True)
class Pacer:
    """When to send: every `interval` seconds, until the server shuts down.

    `keepalive`, when given, is called after every `keepalive_every` seconds of a long
    pause (a heartbeat), so a proxy does not take a quiet stream for a dead one; `idle`,
    when given, cuts the stream once it has put nothing on the wire for its seconds.
    """

    interval: float
    shutdown: Shutdown
    keepalive: Callable[[], Awaitable[int]] | None = None
    keepalive_every: float = 0.0
    #: Where a stream with nothing to wait for waits its turn (fairness.py).
    turns: Turns = field(default_factory=Turns)
    idle: IdleCut | None = None
    #: The connection is cut right after this many of its messages (`drop`): no pause.
    drop: int | None = None

    def pause(self, deadline: float, record: StreamRecord) -> Awaitable[bool]:
        """Sleep until `deadline` (loop time), returning early (True) on stop, or once the
        idle timeout cut the stream.

        Without keepalives or an idle timeout this is the shutdown's own pause, awaited
        directly: a stream spends its life in a pause, and a coroutine of ours around it
        would be one more frame per stream.
        """
        if self.keepalive is None and self.idle is None:
            return self.shutdown.pause_until(deadline)
        return self._pause_watched(deadline, record)

    async def _pause_watched(self, deadline: float, record: StreamRecord) -> bool:
        """Sleep until the first of: the deadline, the next heartbeat, the idle cut; act on
        that one, however late the loop woke: a heartbeat due before the cut went out before
        it, as a server on time would have sent it."""
        loop = asyncio.get_running_loop()
        keepalive, idle = self.keepalive, self.idle
        beat = loop.time() + self.keepalive_every if keepalive is not None else math.inf
        while True:
            # Read again each time: a heartbeat that reached the wire moved it.
            cut_at = idle.due if idle is not None else math.inf
            first = min(deadline, beat, cut_at)
            if await self.shutdown.pause_until(first):
                return True
            if first == deadline:
                return False
            if first == beat and keepalive is not None:
                record.bytes_sent += await keepalive()
                beat = max(beat + self.keepalive_every, loop.time())
            elif idle is not None:
                idle.on_cut()
                return True


def pacer_for(
    request: web.Request,
    params: StreamParams,
    keepalive: Callable[[], Awaitable[int]] | None = None,
    keepalive_every: float = 0.0,
    idle: IdleCut | None = None,
) -> Pacer:
    """The pacer of one stream of this app."""
    shutdown, turns = request.app[shutdown_key], request.app[turns_key]
    return Pacer(params.interval, shutdown, keepalive, keepalive_every, turns, idle, params.drop)


async def send_paced(send: Send, messages: Iterable[str], pacer: Pacer, record: StreamRecord) -> None:
    """Send each message, then wait until its slot on the schedule has passed.

    The schedule is absolute (message i+1 is due at start + (i+1) x interval), so time
    spent sending does not add up into drift over a long stream.

    A write to a fast reader never waits, and neither does a pause whose deadline has
    already passed (interval 0, or a stream behind its schedule): such a stream is busy,
    and after each slice of the loop's time it waits for its turn (fairness.py), however
    large or small its messages.
    """
    loop = asyncio.get_running_loop()
    start = loop.time()
    shutdown = pacer.shutdown
    interval = pacer.interval
    turns = pacer.turns
    turn = Turn()
    for index, message in enumerate(messages, start=1):
        if shutdown.started:
            record.outcome = Outcome.SHUTDOWN
            return
        await send(message)
        record.messages += 1
        if index == pacer.drop:
            if interval:
                await shutdown.pause_until(loop.time() + min(interval, DROP_GRACE_SECONDS))
            return
        if interval and (deadline := start + index * interval) > loop.time():
            if await pacer.pause(deadline, record) and record.outcome is Outcome.IDLE:
                return
        elif turn.over():
            await turns.next(turn)
