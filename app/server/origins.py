"""Which browser origins are the dashboard's own: the only ones given CORS or a WebSocket."""

from __future__ import annotations

from urllib.parse import urlsplit

from aiohttp import hdrs, web

from .hosts import AllowedHosts, is_loopback, parse_host


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


def is_allowed_origin(origin: str, request: web.Request, allowed: AllowedHosts) -> bool:
    """True when `origin` is a page of a host this server answers to, on the port the
    request was sent to.

    Checked against the served names, not against `Host`: after a DNS rebinding both
    carry the attacker's name. The scheme is not compared: behind a TLS-terminating
    proxy the page is https while the app sees http.
    """
    try:
        parts = urlsplit(origin)
    except ValueError:
        return False
    page = parse_host(parts.netloc)
    target = parse_host(request.headers.get(hdrs.HOST, ""))
    if parts.scheme not in ("http", "https") or page is None or target is None:
        return False
    return allowed.allows(page.name) and page.port == target.port


def is_dashboard_origin(origin: str, request: web.Request, bound_host: str) -> bool:
    """True for a page of this server opened by a loopback name or the bound host.

    Lane names (`lane3.localhost`) are where streams go, not where the page lives, so
    they are not dashboard origins.
    """
    split = _split(origin)
    if split is None:
        return False
    scheme, host, port = split
    if scheme != request.scheme or not (is_loopback(host) or host == bound_host):
        return False
    return port == _request_port(request)
