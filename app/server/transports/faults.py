"""Faults a stream can be asked to suffer: `drop` cuts a connection after N of its messages,
`idle` cuts it once nothing was sent for S seconds (an idle timeout on the way)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Iterator
from itertools import islice

from aiohttp import web

from ...params import plain
from ..errors import json_error
from ..streams import Outcome, StreamRecord
from .responses import Write


def _never() -> bool:
    return False


def until_drop(messages: Iterable[str], drop: int | None) -> tuple[Iterable[str], Callable[[], bool]]:
    """The messages this connection sends before `drop` cuts it, and a check, once they
    are sent, whether the cut is due (whether any message is left)."""
    if drop is None:
        return messages, _never
    rest: Iterator[str] = iter(messages)
    return islice(rest, drop), lambda: next(rest, None) is not None


def cut(request: web.Request, record: StreamRecord, outcome: Outcome = Outcome.DROPPED) -> None:
    """Cut the connection: no last chunk, no close frame. What was written goes out first,
    then a FIN, as from a proxy's timeout (measured with nginx and HAProxy): a reset right
    after the last write would make a browser drop what it had not read yet."""
    record.outcome = outcome
    if request.transport is not None:
        request.transport.close()


class IdleCut:
    """The idle timeout of a stream: `on_cut` ends it once it has put nothing on the wire for
    `seconds`, as an idle timeout on the way sees it. Bytes a relay holds (a compressor, a
    buffering proxy) are not on the wire."""

    __slots__ = ("on_cut", "seconds", "since")

    def __init__(self, seconds: float, on_cut: Callable[[], None]) -> None:
        self.seconds = seconds
        self.on_cut = on_cut
        self.since = asyncio.get_running_loop().time()

    @property
    def due(self) -> float:
        return self.since + self.seconds

    def sent(self) -> None:
        self.since = asyncio.get_running_loop().time()

    def marking(self, write: Write) -> Write:
        """`write`, marking the time of every write that puts bytes on the wire."""

        async def marked(data: bytes) -> None:
            if data:
                self.sent()
            await write(data)

        return marked


def idle_cut(
    request: web.Request, record: StreamRecord, seconds: float | None, response: web.StreamResponse | None
) -> IdleCut | None:
    """The stream's idle timeout, or None. It cuts the connection, as a proxy's idle timeout
    closes it; before the head was sent (`response` not prepared, or None: not made yet) it
    only stops the stream, whose handler then answers `timed_out`."""

    if seconds is None:
        return None

    def on_cut() -> None:
        if response is not None and response.prepared:
            cut(request, record, Outcome.IDLE)
        else:
            record.outcome = Outcome.IDLE

    return IdleCut(seconds, on_cut)


def timed_out(seconds: float) -> web.Response:
    """What ALB (504), Cloudflare (524) or nginx (504) answer when the upstream sent nothing
    before their timeout: a 504 naming the parameter that asked for it."""
    return json_error(504, f"nothing was sent for {plain(seconds)} s: the idle timeout (idle) cut the response", "idle")
