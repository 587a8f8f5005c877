"""Headers that every response gets: a strict CSP for pages, CORS only for the dashboard."""

from __future__ import annotations

from collections.abc import Awaitable

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler

from .errors import answered, json_error
from .hosts import parse_host
from .keys import allowed_hosts_key, settings_key
from .origins import is_dashboard_origin
from .yours import page_streams, stream_origins

#: Every header, to the dashboard's own origins only: a lane's causes rest on what diagnose
#: reads (Content-Encoding, Via, X-Accel-Buffering, Cache-Control, …), as the terminal sees them.
CORS_EXPOSED = "*"
#: A worker obeys the policy its own script came with, not its page's: scripts get one too
#: (a page's module scripts ignore it), so the stream worker's fetches are policed as well.
POLICED_TYPES = ("text/html", "text/javascript", "application/javascript")
#: Where `?stream=` may add the user's own origins: the page, and the worker that reads them.
STREAM_PAGES = ("/", "/static/js/stream-worker.js")


def content_security_policy(port: int, stream_origins: tuple[str, ...] = ()) -> str:
    """Nothing inline, nothing from other hosts; streams may be read from this server's
    `*.localhost` lane names (one connection pool each) on its port. `'self'` covers the
    page's own WebSocket. Built from the validated port only: never from raw `Host`. With
    `stream_origins` (already checked by `yours.stream_origin`), the page may read those
    origins too: the user's own streams.
    """
    extra = "".join(f" {origin}" for origin in stream_origins)
    return "; ".join(
        (
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            f"connect-src 'self' http://*.localhost:{port}{extra}",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


@web.middleware
def served_hosts_only(request: web.Request, handler: Handler) -> Awaitable[web.StreamResponse]:
    """400 for a `Host` that is malformed or not a name this server answers to (a plain
    function, as errors.py says why)."""
    host = request.headers.get(hdrs.HOST)
    # A request without Host (HTTP/1.0) cannot carry a rebinding attacker's name.
    if host is not None and not request.app[allowed_hosts_key].allows_header(host):
        return answered(
            json_error(
                400,
                f"Host {host[:100]!r} is not a name this server answers to; "
                "an operator can add names with --allowed-hosts",
                "Host",
            )
        )
    return handler(request)


def _media_type(response: web.StreamResponse) -> str:
    """The response's media type, read off its header: `response.content_type` would
    parse it into a dict the response keeps for its whole life (every stream's too)."""
    return response.headers.get(hdrs.CONTENT_TYPE, "").partition(";")[0].strip().lower()


async def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: runs just before headers go out, streams included."""
    response.headers.setdefault(hdrs.X_CONTENT_TYPE_OPTIONS, "nosniff")
    response.headers.setdefault(hdrs.REFERRER_POLICY, "no-referrer")
    if _media_type(response) in POLICED_TYPES:
        host = parse_host(request.headers.get(hdrs.HOST, ""))
        port = host.port if host is not None and host.port else (443 if request.scheme == "https" else 80)
        asked = page_streams(request.query.getall("stream", [])) if request.path in STREAM_PAGES else None
        response.headers[hdrs.CONTENT_SECURITY_POLICY] = content_security_policy(port, stream_origins(asked or ()))
    origin = request.headers.get("Origin")
    if origin and is_dashboard_origin(origin, request, request.app[settings_key].host):
        response.headers[hdrs.ACCESS_CONTROL_ALLOW_ORIGIN] = origin
        response.headers[hdrs.ACCESS_CONTROL_EXPOSE_HEADERS] = CORS_EXPOSED
        # Resource Timing of a lane's request (when it was sent, how long the browser queued
        # it, its encoded size) is zeros for a cross-origin page without this.
        response.headers[hdrs.TIMING_ALLOW_ORIGIN] = origin
        # Added to what the response varies on already (the page's Accept-Encoding), or a
        # shared cache could hand a gzip page to a client that does not take gzip.
        vary = response.headers.get(hdrs.VARY)
        response.headers[hdrs.VARY] = f"{vary}, Origin" if vary else "Origin"
