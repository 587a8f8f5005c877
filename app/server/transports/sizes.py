"""How many bytes of message data a stream may hold at once: what the memory budget
reserves for it before it starts, and the buffered body's cap."""

from __future__ import annotations

from ...endpoints import Endpoint
from ...params import StreamParams
from .relays import held_bytes, holds_whole
from .responses import WRITE_BUFFER_BYTES

#: The largest body the buffered endpoint will hold in memory.
MAX_BUFFERED_BYTES = 16 * 1024 * 1024
_STAMP_BYTES = len(" @1764000000000.000")
#: Room for a message's framing: an SSE `id:`/`data:`, a chunk's size line, a frame header.
_FRAMING_BYTES = 64
#: Copies of its largest message a stream holds while a write waits, measured: the
#: source's padding, the message text, its encoded bytes and the socket's unsent copy,
#: and for /ijson the parser's buffers besides (5.6 copies at 1 MiB).
HELD_COPIES = 6


def message_bytes(endpoint: Endpoint, params: StreamParams) -> int:
    """An upper bound of one message's size, known before any is made."""
    widest_index = len(str(params.count))
    return len(endpoint.example(stamp=False)) + widest_index + params.size + 1 + _STAMP_BYTES


def body_bytes(endpoint: Endpoint, params: StreamParams) -> int:
    """An upper bound of a buffered body's size."""
    return params.count * message_bytes(endpoint, params)


def streaming_reservation(endpoint: Endpoint, params: StreamParams) -> int:
    """A stream holds the message being written (in several forms) and what its socket
    has not sent yet; through a culprit, what the relay holds besides (its compressor's
    state, a block, or the whole body)."""
    relay = held_bytes(params.via)
    if holds_whole(params.via, endpoint.content_type):
        relay += body_bytes(endpoint, params)
    return HELD_COPIES * (message_bytes(endpoint, params) + _FRAMING_BYTES) + WRITE_BUFFER_BYTES + relay


def over_cap(endpoint: Endpoint, params: StreamParams, held_by: str) -> tuple[str, str] | None:
    """(param, message) when a body held whole would be over MAX_BUFFERED_BYTES."""
    size = body_bytes(endpoint, params)
    if size <= MAX_BUFFERED_BYTES:
        return None
    return (
        "size" if params.size else "count",
        f"the body {held_by} would be about {size} bytes, over the {MAX_BUFFERED_BYTES} byte cap "
        "(count x message size); lower count or size",
    )


def held_whole_over_cap(endpoint: Endpoint, params: StreamParams) -> tuple[str, str] | None:
    """(param, message) when a culprit that holds the whole body (cdn, middleware) would
    hold more than a buffered response may."""
    if not holds_whole(params.via, endpoint.content_type):
        return None
    return over_cap(endpoint, params, f"held whole by via={params.via}")


def buffered_reservation(endpoint: Endpoint, params: StreamParams) -> int:
    """A buffered response holds its whole body until the last byte is written, besides
    what any stream holds while it makes its messages."""
    return body_bytes(endpoint, params) + streaming_reservation(endpoint, params)
