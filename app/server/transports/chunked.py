"""HTTP/1.1 chunked transfer encoding: one chunk per message, written as it is produced."""

from __future__ import annotations

from aiohttp import web

from ...endpoints import Endpoint
from ...params import StreamParams
from ..streams import Outcome, StreamRecord, client_may_leave
from .faults import cut, idle_cut, timed_out, until_drop
from .pacing import clock_for, pacer_for, send_paced
from .relays import relay_for
from .responses import begin, body_writer, end_body, sender, stream_response


async def serve_chunked(
    request: web.Request, endpoint: Endpoint, params: StreamParams, record: StreamRecord
) -> web.StreamResponse:
    relay = relay_for(params.via, endpoint.content_type)
    response = stream_response(request, endpoint.content_type, relay=relay)
    body = endpoint.source(params, clock_for(params))
    messages, drop_due = until_drop(body.messages, params.drop)
    idle = idle_cut(request, record, params.idle, response)
    with client_may_leave(record):
        await begin(request, response, relay)
        send = sender(request, body_writer(request, relay, idle.marking if idle else None, response), record)
        await send_paced(send, messages, pacer_for(request, params, idle=idle), record)
        if record.outcome is Outcome.IDLE:
            return response if response.prepared else timed_out(params.idle or 0)
        if record.outcome is Outcome.DONE and drop_due():
            cut(request, record)
            return response
        # A stream cut short by shutdown keeps its document visibly unfinished: a closing
        # `]` after a cut would make a partial array pass for a whole one.
        if body.tail and record.outcome is not Outcome.SHUTDOWN:
            await send(body.tail)
        await end_body(request, response, relay)
    return response
