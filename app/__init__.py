"""Transport Lab: the same data over chunked HTTP, buffered HTTP, JSON streams, SSE and WebSocket."""

from .server.factory import create_app
from .server.settings import Settings

__all__ = ["Settings", "create_app"]
