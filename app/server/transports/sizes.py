"""How many bytes of message data a stream may hold at once: what the memory budget
reserves for it before it starts, and the buffered body's cap."""

from __future__ import annotations

from ...culprits import PROXY_BLOCK_BYTES
from ...endpoints import Endpoint
from ...params import StreamParams
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
#: What a culprit's relay holds besides: zlib's deflate state at its defaults (by zlib's
#: own formula, (1 << (15 + 2)) + (1 << (8 + 9)) bytes = 256 KiB), or one proxy block.
RELAY_BYTES = {"gzip": 256 * 1024, "gzip-flush": 256 * 1024, "proxy": PROXY_BLOCK_BYTES}


def message_bytes(endpoint: Endpoint, params: StreamParams) -> int:
    """An upper bound of one message's size, known before any is made."""
    widest_index = len(str(params.count))
    return len(endpoint.example(stamp=False)) + widest_index + params.size + 1 + _STAMP_BYTES


def body_bytes(endpoint: Endpoint, params: StreamParams) -> int:
    """An upper bound of a buffered body's size."""
    return params.count * message_bytes(endpoint, params)


def streaming_reservation(endpoint: Endpoint, params: StreamParams) -> int:
    """A stream holds the message being written (in several forms) and what its socket
    has not sent yet."""
    relay = RELAY_BYTES[params.via] if params.via is not None else 0
    return HELD_COPIES * (message_bytes(endpoint, params) + _FRAMING_BYTES) + WRITE_BUFFER_BYTES + relay


def buffered_reservation(endpoint: Endpoint, params: StreamParams) -> int:
    """A buffered response holds its whole body until the last byte is written, besides
    what any stream holds while it makes its messages."""
    return body_bytes(endpoint, params) + streaming_reservation(endpoint, params)
