"""Transport Lab: the same data over chunked HTTP, buffered HTTP, JSON streams, SSE and WebSocket."""

from app.main import create_app
from app.settings import Settings

__all__ = ["Settings", "create_app"]
