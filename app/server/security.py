"""Headers that every response gets: a strict CSP for pages, CORS only for the dashboard."""

from __future__ import annotations

from aiohttp import web

from .keys import settings_key
from .origins import is_dashboard_origin

CORS_EXPOSED = "Content-Type, Content-Length"


def content_security_policy(request: web.Request) -> str:
    """Nothing inline, nothing from other hosts; streams may be read from this
    server's `*.localhost` lane names (one connection pool each) and its WebSocket.
    """
    port = request.url.port
    return "; ".join(
        (
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            f"connect-src 'self' http://*.localhost:{port} ws://{request.host}",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


async def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: runs just before headers go out, streams included."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    if response.content_type == "text/html":
        response.headers["Content-Security-Policy"] = content_security_policy(request)
    origin = request.headers.get("Origin")
    if origin and is_dashboard_origin(origin, request, request.app[settings_key].host):
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = CORS_EXPOSED
        response.headers["Vary"] = "Origin"
