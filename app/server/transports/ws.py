"""WebSocket: paced text messages out, and an instant timestamped echo of whatever comes in."""

from __future__ import annotations

import asyncio
import contextlib
import json
from functools import partial

from aiohttp import WSCloseCode, WSMsgType, hdrs, web

from ...endpoints import Endpoint
from ...params import StreamParams
from ...sources import epoch_ms
from ..errors import json_error
from ..fairness import Turn, Turns
from ..keys import allowed_hosts_key, stream_stats_key, turns_key
from ..origins import is_allowed_origin
from ..streams import Outcome, StreamRecord, client_may_leave, forget_frames
from .client_frames import CheckedWebSocketResponse
from .faults import cut, idle_cut, until_drop
from .pacing import clock_for, pacer_for, send_paced
from .responses import WRITE_BUFFER_BYTES, Write, bound_write_buffer, sender

#: The largest message a client may send (64 KiB); past it the socket is closed with 1009.
MAX_INBOUND_BYTES = 64 * 1024
#: Server pings keep a quiet socket alive through proxies' idle timeouts (aiohttp's own,
#: after this long without hearing from the client; `heartbeat` adds the stream's own).
HEARTBEAT_SECONDS = 20.0
#: A ping without payload on the wire: two bytes of frame header.
PING_BYTES = 2
#: How long a close handshake may wait for the client's answer. A browser answers only
#: after it has read every earlier message, so a busy tab at the end of a firehose needs
#: time; cutting it short would lose the tail of the stream (close 1006).
CLOSE_TIMEOUT_SECONDS = 30.0
#: How long a server that is shutting down waits for the client's answer to its 1001.
GOING_AWAY_SECONDS = 1.0
#: The one WebSocket version (RFC 6455's); aiohttp would also take the drafts' 7 and 8.
WS_VERSION = "13"


def echo_message(text: str, server_ms: float) -> str:
    """The answer to a client's text: `{"echo": <text>, "server_ms": <epoch ms>}`."""
    return json.dumps({"echo": text, "server_ms": server_ms})


def version_refusal(request: web.Request) -> web.Response | None:
    """426 for a handshake in another version than 13, naming the one spoken (RFC 6455,
    section 4.2.2); None for anything else, a handshake or not."""
    asked = request.headers.get(hdrs.SEC_WEBSOCKET_VERSION)
    if request.headers.get(hdrs.UPGRADE, "").lower().strip() != "websocket" or asked == WS_VERSION:
        return None
    return json_error(
        426,
        f"WebSocket version {(asked or 'none')[:20]!r} is not spoken here: use {WS_VERSION}",
        hdrs.SEC_WEBSOCKET_VERSION,
        # A 426 names the protocol to upgrade to (RFC 9110, section 15.5.22).
        headers={hdrs.SEC_WEBSOCKET_VERSION: WS_VERSION, hdrs.UPGRADE: "websocket", hdrs.CONNECTION: "Upgrade"},
    )


def precheck(request: web.Request, endpoint: Endpoint, params: StreamParams) -> web.Response | None:
    """Refuse a plain GET, a version other than 13, and a cross-site handshake before it is
    upgraded (WebSocket hijacking)."""
    if (refusal := version_refusal(request)) is not None:
        return refusal
    if not web.WebSocketResponse().can_prepare(request).ok:
        return json_error(
            400, f"{endpoint.path} is a WebSocket: connect with an Upgrade: websocket handshake", "Upgrade"
        )
    origin = request.headers.get("Origin")
    if origin is not None and not is_allowed_origin(origin, request, request.app[allowed_hosts_key]):
        return json_error(403, f"WebSocket Origin {origin[:100]!r} is not a page this server serves", "Origin")
    return None


#: What ends the messages of a socket.
_LAST_MESSAGES = frozenset({WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED})


async def _answer_next(ws: CheckedWebSocketResponse, turns: Turns, turn: Turn) -> bool:
    """Answer the client's next message; False once it sends no more.

    The socket reads nothing more until the answer is written (InboundFlow), so a client
    that sends without reading the answers costs one message, not a queue of them. Each
    answer waits for its turn (fairness.py): JSON-escaping 64 KiB takes 0.1-1.4 ms, and
    a thousand clients' messages arrive in one pass of the loop."""
    message = await ws.receive()
    if message.type is WSMsgType.TEXT:
        await turns.next(turn)
        echo = echo_message(message.data, epoch_ms()).encode()
        # Only the answer waits for a slow reader, not the text (nor its JSON) besides.
        del message
        ws.inbound.answering(len(echo))
        await ws.send_frame(echo, WSMsgType.TEXT)
        ws.inbound.answered()
        return True
    if message.type is WSMsgType.BINARY:
        await ws.close(code=WSCloseCode.UNSUPPORTED_DATA, message=b"binary messages are not supported")
        return False
    return message.type not in _LAST_MESSAGES


async def _echo_incoming(ws: CheckedWebSocketResponse, request: web.Request) -> None:
    """Answer what the client sends until it closes (or stops answering pings), then end
    the connection: aiohttp then cancels the handler, wherever its stream is (usually in a
    pause), so a stream whose client left ends at once. One task per socket: the stream
    itself is sent by the handler's own task."""
    turns, turn = request.app[turns_key], Turn()
    try:
        while await _answer_next(ws, turns, turn):
            pass
    except ConnectionError as gone:
        forget_frames(gone)
    finally:
        # Read on for a close handshake still to come; not once the socket is closing.
        ws.inbound.stop(read_on=not ws.closed)
    transport = request.transport
    if transport is None:
        return
    # What is still unsent will not be read (the client closed, or stopped answering):
    # a graceful close would wait for ever to flush it, and the handler with it.
    if transport.get_write_buffer_size():
        transport.abort()
    else:
        transport.close()


async def serve_websocket(
    request: web.Request, endpoint: Endpoint, params: StreamParams, record: StreamRecord
) -> web.StreamResponse:
    # Checked: aiohttp would take an unmasked frame, or close code 5000, from a client.
    ws = CheckedWebSocketResponse(
        budget=request.app[stream_stats_key],
        # aiohttp refuses a message of max_msg_size bytes itself: one more lets 64 KiB in.
        max_msg_size=MAX_INBOUND_BYTES + 1,
        heartbeat=HEARTBEAT_SECONDS,
        # Uncompressed, so the bytes counted are the bytes on the wire.
        compress=False,
        timeout=CLOSE_TIMEOUT_SECONDS,
        writer_limit=WRITE_BUFFER_BYTES,
    )
    bound_write_buffer(request)
    try:
        with client_may_leave(record):
            await ws.prepare(request)
        if ws.prepared:
            await _stream(ws, request, endpoint, params, record)
    finally:
        ws.ended()
    return ws


async def _stream(
    ws: CheckedWebSocketResponse, request: web.Request, endpoint: Endpoint, params: StreamParams, record: StreamRecord
) -> None:
    """Send the stream while another task answers the client, then close."""
    idle = idle_cut(request, record, params.idle, ws)
    # Encoded once, to send and to count (send_str would encode it again).
    write: Write = partial(ws.send_frame, opcode=WSMsgType.TEXT)
    send = sender(request, idle.marking(write) if idle else write, record)
    messages, drop_due = until_drop(endpoint.source(params, clock_for(params)).messages, params.drop)

    async def ping() -> int:
        await ws.ping()
        if idle is not None:
            idle.sent()
        return PING_BYTES

    heartbeat = ping if params.heartbeat is not None else None
    pacer = pacer_for(request, params, heartbeat, params.heartbeat or 0.0, idle)
    echoer = asyncio.ensure_future(_echo_incoming(ws, request))
    try:
        with client_may_leave(record):
            await send_paced(send, messages, pacer, record)
            if record.outcome is Outcome.IDLE:
                return
            if record.outcome is Outcome.DONE and drop_due():
                cut(request, record)  # no close frame: the client sees 1006
            else:
                await _close(ws, echoer, going_away=record.outcome is Outcome.SHUTDOWN)
    finally:
        await _stop(echoer)


async def _close(ws: CheckedWebSocketResponse, echoer: asyncio.Future[None], going_away: bool) -> None:
    """Close 1000 once the client has read everything, or 1001 at once on shutdown.

    With another task still receiving, aiohttp's close() hands the close over to it and
    shuts the transport without waiting for the client's close frame. At the end of a
    stream that would cut a slow reader off from what is still buffered (1006), so the
    echo stops first and close() waits for the reader's answer. A server that is going
    away waits at most GOING_AWAY_SECONDS: it needs the quick path.
    """
    if going_away:
        # Never past a moment: a client slow to answer (or an answer the echo read first)
        # would otherwise hold the whole shutdown for the close timeout.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(ws.close(code=WSCloseCode.GOING_AWAY), GOING_AWAY_SECONDS)
        return
    await _stop(echoer)
    await ws.close(code=WSCloseCode.OK)


async def _stop(task: asyncio.Future[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, ConnectionError):
        await task
