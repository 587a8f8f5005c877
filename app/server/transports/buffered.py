"""A buffered response: the same messages, produced at the same pace, sent all at once."""

from __future__ import annotations

from aiohttp import web

from ...endpoints import Endpoint
from ...params import StreamParams
from ..errors import json_error, unavailable
from ..streams import Outcome, StreamRecord, client_may_leave
from .faults import idle_cut, timed_out
from .pacing import clock_for, pacer_for, send_paced
from .responses import stream_response, write_whole
from .sizes import over_cap


def precheck(request: web.Request, endpoint: Endpoint, params: StreamParams) -> web.Response | None:
    """A 400 when the buffered body would be over the cap, else None."""
    over = over_cap(endpoint, params, "buffered")
    return None if over is None else json_error(400, f"{over[1]}, or use a streaming endpoint", over[0])


async def serve_buffered(
    request: web.Request, endpoint: Endpoint, params: StreamParams, record: StreamRecord
) -> web.StreamResponse:
    body = bytearray()

    async def collect(message: str) -> None:
        body.extend(message.encode())

    source = endpoint.source(params, clock_for(params))
    # Nothing reaches the wire while the body is built: an idle timeout counts from the start.
    idle = idle_cut(request, record, params.idle, None)
    await send_paced(collect, source.messages, pacer_for(request, params, idle=idle), record)
    if record.outcome is Outcome.IDLE:
        return timed_out(params.idle or 0)
    if record.outcome is Outcome.SHUTDOWN:
        # A shortened body with a Content-Length would pass for the whole one.
        return unavailable("the server is shutting down")
    body.extend(source.tail.encode())
    response = stream_response(request, endpoint.content_type, content_length=len(body))
    # Written here rather than returned: the stream counts (and holds its share of the
    # memory budget) until its last byte is out, not only while it is being produced.
    with client_may_leave(record):
        await response.prepare(request)
        await write_whole(request, response, body)
        await response.write_eof()
    return response
