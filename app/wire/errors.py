"""What every decoder raises for bytes that are not the format they should be."""

from __future__ import annotations

__all__ = ["WireError"]


class WireError(ValueError):
    """The bytes are not valid framing of their wire format (an HTTP head, chunked coding,
    a WebSocket frame, a content coding), or go past one of its bounds."""
