"""HTTP/1.1 chunked transfer encoding: one chunk per message, written as it is produced."""

from __future__ import annotations

from aiohttp import web

from ...endpoints import Endpoint
from ...params import StreamParams
from ..streams import Outcome, StreamRecord, client_may_leave
from .pacing import clock_for, pacer_for, send_paced, stream_headers


async def serve_chunked(
    request: web.Request, endpoint: Endpoint, params: StreamParams, record: StreamRecord
) -> web.StreamResponse:
    response = web.StreamResponse(headers=stream_headers(endpoint.content_type))
    response.enable_chunked_encoding()
    await response.prepare(request)

    async def send(message: str) -> int:
        data = message.encode()
        await response.write(data)
        return len(data)

    body = endpoint.source(params, clock_for(params))
    with client_may_leave(record):
        await send_paced(send, body.messages, pacer_for(request, params), record)
        # A stream cut short by shutdown keeps its document visibly unfinished: a closing
        # `]` after a cut would make a partial array pass for a whole one.
        if body.tail and record.outcome is not Outcome.SHUTDOWN:
            record.bytes_sent += await send(body.tail)
        await response.write_eof()
    return response
