"""Server-Sent Events: one `id:`/`data:` event per message, as EventSource expects.

A reconnecting EventSource sends `Last-Event-ID`; the stream resumes after that id, and
a stream with nothing left answers 204, which tells EventSource to stop reconnecting.
"""

from __future__ import annotations

import itertools

from aiohttp import web

from ...culprits import DROP_RETRY_MS
from ...endpoints import Endpoint
from ...params import MAX_VALUE_LENGTH, StreamParams
from ...wire.sse import encode_comment, encode_event, encode_retry
from ..errors import json_error
from ..streams import Outcome, StreamRecord, client_may_leave
from .faults import cut, idle_cut, timed_out, until_drop
from .pacing import clock_for, pacer_for, send_paced
from .relays import relay_for
from .responses import begin, body_writer, end_body, sender, stream_response

LAST_EVENT_ID = "Last-Event-ID"
#: A comment line EventSource ignores, sent during long pauses so proxies keep the stream:
#: after every KEEPALIVE_SECONDS without a message, or `heartbeat` seconds when asked.
KEEPALIVE = encode_comment("keep-alive")
KEEPALIVE_SECONDS = 15.0
#: A stream that will be dropped or cut when idle asks EventSource to come back soon (the
#: default is ~3 s), so the recovery is quick to watch.
DROP_RETRY = encode_retry(DROP_RETRY_MS)


def first_event_id(request: web.Request, params: StreamParams) -> int:
    """Where the stream starts: 0, or the event after a valid Last-Event-ID.

    Raises ValueError for an id that is not one this stream could have sent.
    """
    raw = request.headers.get(LAST_EVENT_ID)
    if raw is None or raw == "":
        return 0
    # ASCII digits only, as in query parameters: str.isdigit() also takes Arabic-Indic or fullwidth digits.
    if len(raw) > MAX_VALUE_LENGTH or not (raw.isascii() and raw.isdigit()) or int(raw) >= params.count:
        raise ValueError(raw)
    return int(raw) + 1


def precheck(request: web.Request, endpoint: Endpoint, params: StreamParams) -> web.Response | None:
    """Refuse a bad Last-Event-ID; end a finished stream with 204."""
    try:
        start = first_event_id(request, params)
    except ValueError:
        return json_error(400, f"{LAST_EVENT_ID} must be an event id from 0 to {params.count - 1}", LAST_EVENT_ID)
    if start >= params.count:
        return web.Response(status=204, headers={"Cache-Control": "no-cache"})
    return None


async def serve_sse(
    request: web.Request, endpoint: Endpoint, params: StreamParams, record: StreamRecord
) -> web.StreamResponse:
    start = first_event_id(request, params)
    relay = relay_for(params.via, endpoint.content_type)
    response = stream_response(request, endpoint.content_type, relay=relay)
    idle = idle_cut(request, record, params.idle, response)
    write = body_writer(request, relay, idle.marking if idle else None, response)
    event_ids = itertools.count(start)
    send = sender(request, write, record, lambda message: encode_event(next(event_ids), message).encode())

    async def keepalive() -> int:
        await write(KEEPALIVE)
        return len(KEEPALIVE)

    source = itertools.islice(endpoint.source(params, clock_for(params)).messages, start, None)
    messages, drop_due = until_drop(source, params.drop)
    with client_may_leave(record):
        await begin(request, response, relay)
        if params.drop is not None or params.idle is not None:
            await write(DROP_RETRY)
            record.bytes_sent += len(DROP_RETRY)
        every = params.heartbeat or KEEPALIVE_SECONDS
        await send_paced(send, messages, pacer_for(request, params, keepalive, every, idle), record)
        if record.outcome is Outcome.IDLE:
            return response if response.prepared else timed_out(params.idle or 0)
        if record.outcome is Outcome.DONE and drop_due():
            cut(request, record)
            return response
        await end_body(request, response, relay)
    return response
