"""How a stream is put on the wire: the transports every room names (the registry, the
culprits, the differences, the benchmark). A `StrEnum`, so documents and output carry the
same words as before."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Transport"]


class Transport(StrEnum):
    """How a stream is put on the wire."""

    CHUNKED = "chunked"
    BUFFERED = "buffered"
    SSE = "sse"
    WEBSOCKET = "websocket"
