"""The page's "your stream" lanes: the URLs a user asked the page to read, checked.

One URL, or several places of one stream (`?stream=origin=URL&stream=edge=URL`, at most
`MAX_HOPS`, named as `diagnose` names hops). The page may then connect to exactly those
URLs' origins (its Content-Security-Policy says so), and only on the page that asked:
nothing is fetched by the server.
"""

from __future__ import annotations

import ipaddress
import re
from typing import NamedTuple
from urllib.parse import urlsplit

from ..targets import MAX_HOPS, hop_names, split_target

#: Longer than any URL a person pastes; past it the value is refused, not cut.
MAX_STREAM_URL = 2048
#: A DNS name: dot-separated labels of letters, digits and hyphens (no `*`, no quotes).
_HOST_NAME = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*$")
#: The page reads the stream with fetch: HTTP only (a WebSocket is for `diagnose`).
SCHEMES = ("http", "https")
#: A port the scheme implies is left out, as browsers leave it out of an origin.
DEFAULT_PORTS = {"http": 80, "https": 443}


class Stream(NamedTuple):
    """One URL the page reads: its name (the one given, else as diagnose names a hop), the
    URL, and the `[NAME=]URL` text it was asked with."""

    name: str
    url: str
    text: str


def page_streams(asked: list[str]) -> tuple[Stream, ...] | None:
    """The streams `?stream=` values ask for, in order (empty values ask for nothing), or
    None when any of them is refused, or there are more than `MAX_HOPS`: a link is read
    whole or not at all, so no lane of it goes missing unnoticed."""
    asked = [text for text in asked if text]
    if len(asked) > MAX_HOPS:
        return None
    targets = [split_target(text) for text in asked]
    if any(stream_url(url) is None for _, url in targets):
        return None
    names = hop_names(targets)
    return tuple(Stream(name, url, text) for name, (_, url), text in zip(names, targets, asked, strict=True))


def stream_origins(streams: tuple[Stream, ...]) -> tuple[str, ...]:
    """Each stream's origin once, in order: what the page's policy adds to connect-src."""
    return tuple(dict.fromkeys(origin for s in streams if (origin := stream_origin(s.url)) is not None))


def stream_url(text: str) -> str | None:
    """`text` when it is an absolute http(s) URL the page may read, else None."""
    if not text or len(text) > MAX_STREAM_URL or any(c.isspace() or ord(c) < 32 for c in text):
        return None
    return text if stream_origin(text) is not None else None


def stream_origin(text: str) -> str | None:
    """The URL's origin as a CSP source (`scheme://host[:port]`), or None for anything that
    is not a plain absolute http(s) URL: user-info, wildcards and CSP syntax never pass."""
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return None
    host = canonical_host(parts.hostname or "")
    if parts.scheme not in SCHEMES or "@" in parts.netloc or host is None or port == 0:
        return None
    shown = f"[{host}]" if ":" in host else host
    implied = port is None or port == DEFAULT_PORTS[parts.scheme]
    return f"{parts.scheme}://{shown}" + ("" if implied else f":{port}")


def canonical_host(host: str) -> str | None:
    """A DNS name as it is (already lower-cased), an IP address as browsers write it, else None.
    An IPv6 zone (`%eth0`) is refused: no CSP source can name one."""
    if "%" in host:
        return None
    try:
        return ipaddress.ip_address(host).compressed
    except ValueError:
        return host if _HOST_NAME.match(host) else None
