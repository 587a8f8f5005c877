"""Reading /ws with aiohttp's WebSocket client, counting each frame's header as framing."""

from __future__ import annotations

import aiohttp

from ...sources import split_stamp
from ...wire.errors import Limit, TooLarge
from ...wire.websocket import frame_header_bytes
from .model import Context, StreamError, StreamResult, counted, deliver, refusal_message

#: What a close code means, for the codes a reader of ours meets.
CLOSE_MEANINGS = {
    1001: " (going away: the server is shutting down)",
    1006: " (abnormal closure: the connection was cut without a close frame)",
    1009: " (message too big: the server would not take one it was sent)",
    1011: " (the server met an error)",
}


async def read_websocket(ctx: Context, result: StreamResult) -> None:
    try:
        ws = await ctx.session.ws_connect(result.url, autoping=True, max_msg_size=ctx.max_message or 0)
    except aiohttp.WSServerHandshakeError as error:
        result.status = error.status  # the summary row shows the refusal's status, as for HTTP
        raise await handshake_refusal(ctx, result, error) from None
    async with ws:
        result.connections += 1
        result.status = 101
        result.ttfb_ms = round(ctx.now_ms(), 3)
        async for frame in ws:
            if frame.type is aiohttp.WSMsgType.ERROR and ctx.max_message is not None and too_big(frame):
                # aiohttp refused the message by its size and closed with 1009: a bound of
                # ours stopped the stream, said as every other reader says it (exit 7).
                result.close_code = ws.close_code
                raise TooLarge(Limit.MESSAGE, ctx.max_message)
            if frame.type is aiohttp.WSMsgType.TEXT:
                size = len(frame.data.encode())
                result.body_bytes += size
                result.transfer_bytes += frame_header_bytes(size)
                if ctx.max_bytes is not None and result.body_bytes + result.transfer_bytes > ctx.max_bytes:
                    raise TooLarge(Limit.BODY, ctx.max_bytes)
                deliver(ctx, result, *split_stamp(frame.data), size)
    result.close_code = ws.close_code
    if ws.close_code not in (1000, None):
        ctx.note(result.stream, f"closed with code {ws.close_code} after {counted(result.messages, 'message')}")
        result.error = f"closed with code {ws.close_code}{CLOSE_MEANINGS.get(ws.close_code, '')}"


def too_big(frame: aiohttp.WSMessage) -> bool:
    """Whether aiohttp's reader failed the connection over a message past max_msg_size."""
    error = frame.data
    return isinstance(error, aiohttp.WebSocketError) and error.code == aiohttp.WSCloseCode.MESSAGE_TOO_BIG


async def handshake_refusal(ctx: Context, result: StreamResult, error: aiohttp.WSServerHandshakeError) -> StreamError:
    """The server validates a WebSocket's query before upgrading, so a plain GET of the same
    URL answers with the same JSON refusal the handshake got."""
    async with ctx.session.get(result.url) as response:
        message = await refusal_message(response) if response.status >= 400 else error.message
    return StreamError(result.endpoint, error.status, message)
