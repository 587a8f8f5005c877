"""A buffered response: the same messages, produced at the same pace, sent all at once."""

from __future__ import annotations

from aiohttp import web

from ...endpoints import Endpoint
from ...params import StreamParams
from ..errors import json_error, unavailable
from ..streams import Outcome, StreamRecord
from .pacing import clock_for, pacer_for, send_paced, stream_headers

#: The largest body the buffered endpoint will hold in memory.
MAX_BUFFERED_BYTES = 16 * 1024 * 1024
_STAMP_BYTES = len(" @1764000000000.000")


def estimated_body_bytes(endpoint: Endpoint, params: StreamParams) -> int:
    """An upper bound of the body's size, known before anything is produced."""
    widest_index = len(str(params.count))
    per_message = len(endpoint.example(stamp=False)) + widest_index + params.size + 1 + _STAMP_BYTES
    return params.count * per_message


def precheck(request: web.Request, endpoint: Endpoint, params: StreamParams) -> web.Response | None:
    """A 400 when the buffered body would be over the cap, else None."""
    size = estimated_body_bytes(endpoint, params)
    if size <= MAX_BUFFERED_BYTES:
        return None
    param = "size" if params.size else "count"
    return json_error(
        400,
        f"the buffered body would be about {size} bytes, over the {MAX_BUFFERED_BYTES} byte cap "
        "(count x message size); lower count or size, or use a streaming endpoint",
        param,
    )


async def serve_buffered(
    request: web.Request, endpoint: Endpoint, params: StreamParams, record: StreamRecord
) -> web.StreamResponse:
    parts: list[bytes] = []

    async def collect(message: str) -> int:
        data = message.encode()
        parts.append(data)
        return len(data)

    body = endpoint.source(params, clock_for(params))
    await send_paced(collect, body.messages, pacer_for(request, params), record)
    if record.outcome is Outcome.SHUTDOWN:
        # A shortened body with a Content-Length would pass for the whole one.
        return unavailable("the server is shutting down")
    parts.append(body.tail.encode())
    response = web.Response(body=b"".join(parts), headers=stream_headers(endpoint.content_type))
    return response
