"""Headers that every response gets: a strict CSP for pages, CORS only for the dashboard."""

from __future__ import annotations

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler

from .errors import json_error
from .hosts import parse_host
from .keys import allowed_hosts_key, settings_key
from .origins import is_dashboard_origin

CORS_EXPOSED = "Content-Type, Content-Length"


def content_security_policy(port: int) -> str:
    """Nothing inline, nothing from other hosts; streams may be read from this server's
    `*.localhost` lane names (one connection pool each) on its port. `'self'` covers the
    page's own WebSocket. Built from the validated port only: never from raw `Host`.
    """
    return "; ".join(
        (
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            f"connect-src 'self' http://*.localhost:{port}",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


@web.middleware
async def served_hosts_only(request: web.Request, handler: Handler) -> web.StreamResponse:
    """400 for a `Host` that is malformed or not a name this server answers to."""
    host = request.headers.get(hdrs.HOST)
    # A request without Host (HTTP/1.0) cannot carry a rebinding attacker's name.
    if host is not None and not request.app[allowed_hosts_key].allows_header(host):
        return json_error(
            400,
            f"Host {host[:100]!r} is not a name this server answers to; an operator can add names with --allowed-hosts",
            "Host",
        )
    return await handler(request)


async def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: runs just before headers go out, streams included."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    if response.content_type == "text/html":
        host = parse_host(request.headers.get(hdrs.HOST, ""))
        port = host.port if host is not None and host.port else (443 if request.scheme == "https" else 80)
        response.headers["Content-Security-Policy"] = content_security_policy(port)
    origin = request.headers.get("Origin")
    if origin and is_dashboard_origin(origin, request, request.app[settings_key].host):
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = CORS_EXPOSED
        response.headers["Vary"] = "Origin"
