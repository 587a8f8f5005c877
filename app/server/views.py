"""Request handlers: the stream endpoints (built from the registry), health, the API."""

from __future__ import annotations

import asyncio
from collections import Counter

from aiohttp import web
from aiohttp.typedefs import Handler

from ..culprits import misapplied
from ..endpoints import ENDPOINTS, Endpoint, culprits_document
from ..params import MAX_DURATION_SECONDS, ParamError, StreamParams, bounds_document, parse_params
from .errors import json_error, unavailable
from .keys import loop_lag_key, stream_stats_key, turns_key
from .memory import collector_snapshot
from .page import pages_key, serve_page
from .streams import tracked
from .transports import HANDLERS, TransportHandler
from .transports.sizes import MAX_BUFFERED_BYTES, held_whole_over_cap


def stream_view(endpoint: Endpoint) -> Handler:
    """The handler of one registry entry: validate, precheck, count, then stream."""
    transport = HANDLERS[endpoint.transport]

    async def handler(request: web.Request) -> web.StreamResponse:
        # A stream starts in its turn (fairness.py): thousands opened at once would each
        # be admitted, answered and fill their socket's buffers in one pass of the loop,
        # seconds of work before the loop accepts or answers anyone else.
        await request.app[turns_key].next()
        admitted = _admit(request, endpoint, transport)
        if isinstance(admitted, web.StreamResponse):
            return admitted
        params, reservation = admitted
        with tracked(request.app[stream_stats_key], endpoint.name, reservation, request.protocol) as record:
            return await transport.serve(request, endpoint, params, record)

    handler.__name__ = f"stream_{endpoint.name.replace('-', '_')}"
    return handler


def _admit(
    request: web.Request, endpoint: Endpoint, transport: TransportHandler
) -> tuple[StreamParams, int] | web.Response:
    """The stream's parameters and its share of the memory budget, or the refusal.

    Its own function so that what validation built (the query's key counts, for one)
    is not held in the handler's frame for the whole life of the stream.
    """
    try:
        counts = Counter(key for key, _ in request.query.items())
        params = parse_params(request.query, endpoint.defaults, counts, endpoint.messages)
    except ParamError as error:
        return json_error(400, error.message, error.param)
    wrong = misapplied(endpoint.transport, params.via, drop=params.drop, idle=params.idle, heartbeat=params.heartbeat)
    wrong = wrong or held_whole_over_cap(endpoint, params)
    if wrong is not None:
        return json_error(400, wrong[1], wrong[0])
    refusal = transport.precheck(request, endpoint, params)
    if refusal is not None:
        return refusal
    reservation = transport.reservation(endpoint, params)
    busy = request.app[stream_stats_key].refusal(reservation)
    if busy is not None:
        return unavailable(busy)
    return params, reservation


def registry_document(request: web.Request) -> dict[str, object]:
    """What /api/endpoints answers: the endpoints, the parameters' bounds, the caps."""
    return {
        "endpoints": [endpoint.describe() for endpoint in ENDPOINTS],
        "params": bounds_document(),
        "limits": {
            "max_duration_seconds": MAX_DURATION_SECONDS,
            "max_buffered_bytes": MAX_BUFFERED_BYTES,
            "memory_budget_bytes": request.app[stream_stats_key].memory_budget,
        },
        **culprits_document(),
    }


async def api_endpoints(request: web.Request) -> web.Response:
    return web.json_response(registry_document(request))


async def healthz(request: web.Request) -> web.Response:
    snapshot = request.app[stream_stats_key].snapshot()
    lag = request.app[loop_lag_key].snapshot()
    loop = "uvloop" if type(asyncio.get_running_loop()).__module__.startswith("uvloop") else "asyncio"
    collector = collector_snapshot()
    return web.json_response({"status": "ok", **snapshot, "event_loop": loop, "loop_lag": lag, "collector": collector})


async def index(request: web.Request) -> web.StreamResponse:
    """The dashboard, from memory: the same bytes for everyone with the same `?stream=`."""
    return await serve_page(request, request.app[pages_key])
