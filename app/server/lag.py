"""The event loop's lag, sampled all the time: how late a short timer fires.

Anything that holds the loop (a collector's pause, a slow callback, a burst of accepts)
makes every stream's messages late by as much; sampled here, it shows in /healthz as it
happens, so the benchmark can never report good lateness over a pause it did not see.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Callable

from aiohttp import web

#: How often the loop is probed: 20 wake-ups a second cost nothing measurable.
SAMPLE_SECONDS = 0.05
#: Seconds of history kept, one worst lag per second.
HISTORY_SECONDS = 60


class LoopLag:
    """The worst lag of each of the last HISTORY_SECONDS seconds, and of all time."""

    def __init__(self) -> None:
        self.current_ms = 0.0
        self.seconds: deque[float] = deque(maxlen=HISTORY_SECONDS)
        self.worst_ms = 0.0
        self._samples = 0

    def note(self, lag_ms: float) -> None:
        self.current_ms = max(self.current_ms, lag_ms)
        self.worst_ms = max(self.worst_ms, lag_ms)
        self._samples += 1
        if self._samples * SAMPLE_SECONDS >= 1.0:
            self.seconds.append(self.current_ms)
            self.current_ms, self._samples = 0.0, 0

    def snapshot(self) -> dict[str, float]:
        """For /healthz: the last whole second's worst lag, the last minute's, and all time's."""
        return {
            "last_second_ms": round(self.seconds[-1] if self.seconds else self.current_ms, 2),
            "last_minute_ms": round(max(self.seconds, default=self.current_ms), 2),
            "worst_ms": round(self.worst_ms, 2),
        }


async def sample(lag: LoopLag) -> None:
    loop = asyncio.get_running_loop()
    while True:
        due = loop.time() + SAMPLE_SECONDS
        await asyncio.sleep(SAMPLE_SECONDS)
        lag.note(max(0.0, (loop.time() - due) * 1000))


def lag_watch(key: web.AppKey[LoopLag]) -> Callable[[web.Application], AsyncIterator[None]]:
    """A cleanup_ctx that samples the loop's lag for as long as the app runs."""

    async def watch(app: web.Application) -> AsyncIterator[None]:
        task = asyncio.ensure_future(sample(app[key]))
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return watch
