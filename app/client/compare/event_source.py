"""Reading /sse as EventSource does: every event once, across as many connections as it takes.

The rules (when to reconnect, how long to wait, which Last-Event-ID to send) live in
`eventsource`; this module does the requests and the waiting.
"""

from __future__ import annotations

import asyncio

import aiohttp

from ...sources import split_stamp
from ...wire.chunked import LAST_CHUNK_BYTES
from ...wire.sse import SSEParser
from .body import CountingBody, WireBudget, open_body
from .model import Context, StreamError, StreamResult, counted, deliver, refusal_message
from .reconnection import Answer, Reconnection, classify


async def read_event_source(ctx: Context, result: StreamResult) -> None:
    """Connect, read events, and reconnect after each cut until a connection ends
    cleanly or the server answers 204.

    Raises StreamError when an answer is neither a stream nor 204, GaveUp when
    connections keep bringing nothing, TooLarge once the connections together read more
    than --max-bytes (one budget for the stream: a cut does not renew it).
    """
    state, budget = Reconnection(), WireBudget(ctx.max_bytes)
    try:
        while True:
            wait = await connect_once(ctx, result, state, budget)
            if wait is None:
                break
            await asyncio.sleep(wait)  # EventSource's reconnection time: a wait, not a poll
    finally:
        # The event syntax (`id:`, `data:`, `retry:`, blank lines) is framing too.
        result.syntax_bytes = result.body_bytes - result.payload_bytes


async def connect_once(ctx: Context, result: StreamResult, state: Reconnection, budget: WireBudget) -> float | None:
    """One request: None when the EventSource is done, else the seconds before the next."""
    headers = state.request_headers()
    before = result.messages
    parser: SSEParser | None = None
    try:
        async with ctx.session.get(result.url, headers=headers, auto_decompress=False) as response:
            parser = await answered(ctx, result, state, response)
            if parser is None:
                return None
            await read_events(ctx, result, open_body(response, result, ctx, budget), parser)
        how = "ended"
    except aiohttp.ClientPayloadError:
        how = "was cut"
    except aiohttp.ClientConnectionError:
        if state.connections == 1:
            raise  # the first request: the server is not there at all
        how = "failed"
    events = result.messages - before
    if how == "ended":
        # A browser would reconnect even now, and this server would answer 204; the
        # terminal spares that round trip (and the reconnection time before it).
        ctx.note(result.stream, f"connection {state.connections} ended cleanly after {counted(events, 'event')}")
        return None
    wait = state.ended(parser, events)
    resume = f"Last-Event-ID: {state.last_event_id}" if state.last_event_id else "no Last-Event-ID"
    ctx.note(
        result.stream,
        f"connection {state.connections} {how} after {counted(events, 'event')}; "
        f"EventSource reconnects in {state.retry_ms} ms with {resume}",
    )
    return wait


async def answered(
    ctx: Context, result: StreamResult, state: Reconnection, response: aiohttp.ClientResponse
) -> SSEParser | None:
    """The parser for a stream's body; None for the 204 that ends the EventSource."""
    result.connections = state.connections
    answer = classify(response.status, response.headers.get("Content-Type", ""))
    if result.status is None or answer is Answer.REFUSED:
        result.status = response.status
        result.ttfb_ms = round(ctx.now_ms(), 3)
    if answer is Answer.REFUSED:
        raise StreamError(result.endpoint, response.status, await refusal_message(response))
    if answer is Answer.DONE:
        ctx.note(result.stream, f"connection {state.connections}: HTTP 204, nothing left; EventSource closes")
        return None
    return state.parser(ctx.max_message)


async def read_events(ctx: Context, result: StreamResult, body: CountingBody, parser: SSEParser) -> None:
    chunks = result.chunks
    while data := await body.read():
        for event in parser.feed(data):
            deliver(ctx, result, *split_stamp(event.data), len(event.data.encode()))
    if result.chunks > chunks:
        result.transfer_bytes += LAST_CHUNK_BYTES
