"""How messages are sent: one module per transport, each a thin handler over a source.

Every transport has a precheck, run before a stream is counted or any byte is sent (so a
refusal is a plain HTTP answer, for /ws before the upgrade), and a serve function.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from ...endpoints import Endpoint
from ...params import StreamParams
from ...transport import Transport
from ..streams import StreamRecord
from . import buffered, sse, ws
from .chunked import serve_chunked
from .sizes import buffered_reservation, streaming_reservation

Serve = Callable[[web.Request, Endpoint, StreamParams, StreamRecord], Awaitable[web.StreamResponse]]
Precheck = Callable[[web.Request, Endpoint, StreamParams], "web.Response | None"]
#: Bytes of message data a stream may hold at once, reserved from the memory budget.
Reservation = Callable[[Endpoint, StreamParams], int]


def no_precheck(request: web.Request, endpoint: Endpoint, params: StreamParams) -> web.Response | None:
    return None


@dataclass(frozen=True)
class TransportHandler:
    serve: Serve
    precheck: Precheck = no_precheck
    reservation: Reservation = streaming_reservation


HANDLERS: dict[Transport, TransportHandler] = {
    Transport.CHUNKED: TransportHandler(serve_chunked),
    Transport.BUFFERED: TransportHandler(buffered.serve_buffered, buffered.precheck, buffered_reservation),
    Transport.SSE: TransportHandler(sse.serve_sse, sse.precheck),
    Transport.WEBSOCKET: TransportHandler(ws.serve_websocket, ws.precheck),
}

__all__ = ["HANDLERS", "TransportHandler"]
