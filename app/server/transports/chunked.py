"""HTTP/1.1 chunked transfer encoding: one chunk per message, written as it is produced."""

from __future__ import annotations

from aiohttp import web

from ...endpoints import Endpoint
from ...params import StreamParams
from ..streams import Outcome, StreamRecord, client_may_leave
from .pacing import clock_for, pacer_for, send_paced
from .responses import sender, stream_response


async def serve_chunked(
    request: web.Request, endpoint: Endpoint, params: StreamParams, record: StreamRecord
) -> web.StreamResponse:
    response = stream_response(request, endpoint.content_type)
    body = endpoint.source(params, clock_for(params))
    with client_may_leave(record):
        await response.prepare(request)
        send = sender(request, response.write)
        await send_paced(send, body.messages, pacer_for(request, params), record)
        # A stream cut short by shutdown keeps its document visibly unfinished: a closing
        # `]` after a cut would make a partial array pass for a whole one.
        if body.tail and record.outcome is not Outcome.SHUTDOWN:
            record.bytes_sent += await send(body.tail)
        await response.write_eof()
    return response
