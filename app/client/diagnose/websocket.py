"""A WebSocket's frames read for `diagnose`, until its close frame, the connection's end, or a
bound: --max-bytes for the whole, --max-message-bytes for one message, fragments and all."""

from __future__ import annotations

import contextlib

from ...wire.errors import TooLarge, WireError
from ...wire.websocket import (
    DATA_OPCODES,
    MAX_CONTROL_PAYLOAD,
    Frame,
    FrameDecoder,
    Opcode,
    close_code,
    encode_frame,
)
from .connection import READ_SIZE, Clock, Connection
from .exchange import Ending, Exchange
from .verdict import Arrival


async def read_frames(
    connection: Connection, result: Exchange, first: bytes, clock: Clock, max_bytes: int, max_message: int
) -> None:
    """A WebSocket's frames until its close frame, the connection's end, or a bound."""
    result.reading = "messages"
    frames = FrameDecoder(max_payload=max_message, max_message=max_message)
    data, ending = first, Ending.COMPLETE
    while result.close_code is None:
        if data and not await take_frames(connection, result, frames, data, clock):
            ending = Ending.CUT
            break
        if result.close_code is not None:
            break
        if result.received >= max_bytes:
            ending = Ending.MAX_BYTES
            break
        try:
            data = await connection.read(min(READ_SIZE, max_bytes - result.received))
        except TimeoutError:
            ending = Ending.TIMEOUT
            break
        except OSError:
            data = b""
        if not data:
            ending = Ending.CUT
            break
    if result.stopped_by:
        ending = result.ending  # the bound that stopped it
    result.ending, result.end_ms = ending, clock.ms()


async def take_frames(
    connection: Connection, result: Exchange, frames: FrameDecoder, data: bytes, clock: Clock
) -> bool:
    """Record one read; False when its frames cannot be followed or a message passes the bound."""
    t_ms = clock.ms()
    try:
        decoded = frames.feed(data)
    except TooLarge as error:
        result.stop(error)
        result.record(Arrival(t_ms, len(data), 0, 0))
        return False
    except WireError as error:
        result.body_error = str(error)
        return False
    payload = sum(len(f.payload) for f in decoded if f.opcode in DATA_OPCODES)
    messages = sum(1 for f in decoded if f.opcode in DATA_OPCODES and f.fin)
    result.record(Arrival(t_ms, len(data), payload, messages))
    for frame in decoded:
        await answer_control(connection, result, frame)
    return True


async def answer_control(connection: Connection, result: Exchange, frame: Frame) -> None:
    """A ping gets its pong; a close frame gets a close back, and ends the reading."""
    if frame.opcode is Opcode.PING:
        # A pong not sent by the deadline: the next read says so.
        with contextlib.suppress(TimeoutError):
            await connection.send(encode_frame(Opcode.PONG, frame.payload[:MAX_CONTROL_PAYLOAD], mask=True))
    elif frame.opcode is Opcode.CLOSE and result.close_code is None:
        result.close_code = close_code(frame.payload)
        # The server may have closed already: its close frame is what counts.
        with contextlib.suppress(OSError, TimeoutError):
            await connection.send(encode_frame(Opcode.CLOSE, frame.payload[:2], mask=True))
