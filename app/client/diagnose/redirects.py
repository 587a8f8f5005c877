"""Where a redirect leads, and what of the request goes with it, as a browser decides.

Pure: a redirect's answer in, the next request out. Credentials stay with their origin
(Fetch's and curl's rule), a POST turned into a GET leaves its body behind, and a redirect
that changes the kind of URL (http to ws) is not followed at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urljoin, urlsplit

from ...exits import EXIT_BAD_RESPONSE
from .connection import Failure

__all__ = ["CREDENTIAL_HEADERS", "DEFAULT_PORTS", "SCHEMES", "Hop", "follow", "origin"]

DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
SCHEMES = tuple(DEFAULT_PORTS)
#: A redirect is followed within its kind only (http(s) to http(s), ws(s) to ws(s)): a browser
#: never turns a page's request into a WebSocket handshake, nor the other way round.
SCHEME_KINDS = {"http": "http", "https": "http", "ws": "ws", "wss": "ws"}
#: Request headers that carry credentials. Never sent on to another origin after a redirect,
#: as browsers (Fetch) and curl drop them: a server must not pass its visitors' keys around.
CREDENTIAL_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})
#: Headers that describe a request's body, dropped with it when a redirect turns a POST into a GET.
BODY_HEADERS = frozenset({"content-type", "content-encoding", "content-language", "content-location"})

#: What a URL may hold as it is (RFC 3986's reserved and unreserved characters, and `%`).
URL_CHARACTERS = "!#$%&'()*+,/:;=?@[]~"

Headers = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Hop:
    """One request of the exchange: the first, or the one a redirect asked for."""

    url: str
    method: str
    headers: Headers
    data: bytes | None


def follow(hop: Hop, status: int, location: str, sensitive: frozenset[str]) -> Hop:
    """The request a redirect asks for, made as a browser makes it: a 301, 302 or 303 turns a
    POST into a GET without its body, and another origin gets none of the `sensitive` headers
    (lower-cased names; once withheld, they stay withheld, even if a later redirect comes back).

    Raises:
        Failure: the redirect leads to another kind of URL, which a browser would not follow.
    """
    url, method, headers, data = redirect_target(hop.url, location), hop.method, hop.headers, hop.data
    if method == "POST" and status in (301, 302, 303):
        method, data, headers = "GET", None, without(headers, BODY_HEADERS)
    if origin(url) != origin(hop.url):
        headers = without(headers, sensitive)
    return Hop(url, method, headers, data)


def redirect_target(url: str, location: str) -> str:
    """The absolute URL `location` names, anything a URL may not hold (a space, a control, a
    byte past ASCII) percent-encoded as a browser does, so the next request line stays one line.
    The head was read as latin-1, so encoding it back gives the very bytes that were sent."""
    target = quote(urljoin(url, location), safe=URL_CHARACTERS, encoding="latin-1")
    scheme, new = urlsplit(url).scheme, urlsplit(target).scheme
    if new not in SCHEMES or not well_formed(target):
        raise Failure(EXIT_BAD_RESPONSE, f"redirected to {target[:200]}, which is not an http(s) or ws(s) URL")
    if SCHEME_KINDS[new] != SCHEME_KINDS[scheme]:
        raise Failure(
            EXIT_BAD_RESPONSE,
            f"redirected from {scheme}:// to {target[:200]}: a browser does not follow that, so diagnose does not",
        )
    return target


def well_formed(url: str) -> bool:
    """A host, and a port that is a number (reading any other raises)."""
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return False
    return bool(parts.hostname)


def origin(url: str) -> tuple[str, str, int]:
    """(scheme, host, port), the port spelled out: http://a and http://a:80 are one origin."""
    parts = urlsplit(url)
    return parts.scheme, parts.hostname or "", parts.port or DEFAULT_PORTS[parts.scheme]


def without(headers: Headers, names: frozenset[str]) -> Headers:
    return tuple((name, value) for name, value in headers if name.lower() not in names)
