"""Pacing shared by every transport: send a message, then let `interval` pass.

Every pause also listens for the server stopping, so a graceful shutdown ends each
stream cleanly at once instead of waiting out (or cutting) its schedule.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

from aiohttp import web

from ...params import StreamParams
from ...sources import Clock, epoch_ms
from ..fairness import Turn, Turns
from ..keys import shutdown_key, turns_key
from ..shutdown import Shutdown
from ..streams import Outcome, StreamRecord
from .responses import Send


def clock_for(params: StreamParams) -> Clock | None:
    """The clock that stamps messages, or None when they are not stamped."""
    return epoch_ms if params.stamp else None


@dataclass(frozen=True, slots=True)
class Pacer:
    """When to send: every `interval` seconds, until the server shuts down.

    `keepalive`, when given, is called after every `keepalive_every` seconds of a long
    pause, so a proxy does not take a quiet stream for a dead one.
    """

    interval: float
    shutdown: Shutdown
    keepalive: Callable[[], Awaitable[int]] | None = None
    keepalive_every: float = 0.0
    #: Where a stream with nothing to wait for waits its turn (fairness.py).
    turns: Turns = field(default_factory=Turns)

    def pause(self, deadline: float, record: StreamRecord) -> Awaitable[bool]:
        """Sleep until `deadline` (loop time), returning early (True) on stop.

        Without keepalives this is the shutdown's own pause, awaited directly: a stream
        spends its life in a pause, and a coroutine of ours around it would be one more
        frame per stream.
        """
        if self.keepalive is None:
            return self.shutdown.pause_until(deadline)
        return self._pause_keeping_alive(deadline, record, self.keepalive)

    async def _pause_keeping_alive(
        self, deadline: float, record: StreamRecord, keepalive: Callable[[], Awaitable[int]]
    ) -> bool:
        loop = asyncio.get_running_loop()
        while (remaining := deadline - loop.time()) > 0:
            if await self.shutdown.pause_until(loop.time() + min(remaining, self.keepalive_every)):
                return True
            if self.keepalive_every < remaining:
                record.bytes_sent += await keepalive()
        return False


def pacer_for(
    request: web.Request,
    params: StreamParams,
    keepalive: Callable[[], Awaitable[int]] | None = None,
    keepalive_every: float = 0.0,
) -> Pacer:
    """The pacer of one stream of this app."""
    return Pacer(params.interval, request.app[shutdown_key], keepalive, keepalive_every, request.app[turns_key])


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
        if interval and (deadline := start + index * interval) > loop.time():
            await pacer.pause(deadline, record)
        elif turn.over():
            await turns.next(turn)
