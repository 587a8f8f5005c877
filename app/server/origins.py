"""Which browser origins are the dashboard's own: the only ones given CORS or a WebSocket."""

from __future__ import annotations

from urllib.parse import urlsplit

from aiohttp import web

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


def _split(origin: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an Origin header, or None when it is not a URL."""
    try:
        parts = urlsplit(origin)
        return parts.scheme, (parts.hostname or ""), parts.port or _default_port(parts.scheme)
    except ValueError:
        return None


def _request_port(request: web.Request) -> int | None:
    try:
        return urlsplit(f"//{request.host}").port or _default_port(request.scheme)
    except ValueError:
        return None


def is_same_origin(origin: str, request: web.Request) -> bool:
    """True when `origin` names the host (and port) the request was sent to.

    The scheme is not compared: behind a TLS-terminating proxy the page is https while
    the app sees http. A cross-site page cannot choose the host its Origin names.
    """
    try:
        parts = urlsplit(origin)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and parts.netloc.lower() == request.host.lower()


def is_dashboard_origin(origin: str, request: web.Request, bound_host: str) -> bool:
    """True for a page of this server opened by a loopback name or the bound host.

    Lane names (`lane3.localhost`) are where streams go, not where the page lives, so
    they are not dashboard origins.
    """
    split = _split(origin)
    if split is None:
        return False
    scheme, host, port = split
    if scheme != request.scheme or host not in LOOPBACK_NAMES | {bound_host}:
        return False
    return port == _request_port(request)
