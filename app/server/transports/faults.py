"""Faults a stream can be asked to suffer: `drop` cuts a connection after N of its messages."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from itertools import islice

from aiohttp import web

from ..streams import Outcome, StreamRecord


def _never() -> bool:
    return False


def until_drop(messages: Iterable[str], drop: int | None) -> tuple[Iterable[str], Callable[[], bool]]:
    """The messages this connection sends before `drop` cuts it, and a check, once they
    are sent, whether the cut is due (whether any message is left)."""
    if drop is None:
        return messages, _never
    rest: Iterator[str] = iter(messages)
    return islice(rest, drop), lambda: next(rest, None) is not None


def cut(request: web.Request, record: StreamRecord) -> None:
    """Cut the connection abruptly: no last chunk, no close frame, as a network would."""
    record.outcome = Outcome.DROPPED
    if request.transport is not None:
        request.transport.abort()
