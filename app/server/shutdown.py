"""The server's shutdown as the streams see it: a flag, and pauses it can cut short."""

from __future__ import annotations

import asyncio


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


class Shutdown:
    """Set once, when the server starts stopping; every stream's pause ends at once.

    A pause is what asyncio.sleep does (a future woken by a timer), plus membership in a
    set, so shutdown can wake it: far cheaper per pause than waiting on a shared Event
    with a timeout, which costs a task per pause.
    """

    def __init__(self) -> None:
        self.started = False
        self._pauses: set[asyncio.Future[None]] = set()

    async def pause_until(self, deadline: float) -> bool:
        """Wait until `deadline` (loop time); True when shutdown cut the pause short."""
        if self.started:
            return True
        loop = asyncio.get_running_loop()
        waiter = loop.create_future()
        timer = loop.call_at(deadline, _wake, waiter)
        self._pauses.add(waiter)
        try:
            await waiter
        finally:
            timer.cancel()
            self._pauses.discard(waiter)
        return self.started

    def start(self) -> None:
        """Mark the server as stopping and end every pause now."""
        self.started = True
        for waiter in list(self._pauses):
            _wake(waiter)
