"""The dashboard page, rendered once per distinct set of `?stream=` and served from memory.

The page is the same for everyone who asks with the same `?stream=` values: the rest of what it
shows is the registry, fixed for the life of the process. Rendering it took ~2.4 ms of
CPU for ~110 KB, so a crowd asking for it, or 2,000 clients pipelining requests for it
and never reading, held the server for tens of seconds; from memory an answer costs what
aiohttp's own handling of a request costs (~0.13 ms), and answers take turns with the
streams, so a flood of them is spread over passes of the loop.

Only bodies are kept, never headers: the Content-Security-Policy names the port the
request came to and the `?stream=` origins, and security.py adds it to this page as to
every other. A template edited while the server runs shows after a restart."""

from __future__ import annotations

import gzip
import hashlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import aiohttp_jinja2
from aiohttp import hdrs, web
from aiohttp.helpers import ETAG_ANY, ETag

from ..differences import differences_document
from ..endpoints import ENDPOINTS, culprits_document
from ..params import MAX_DURATION_SECONDS, bounds_document
from ..targets import MAX_HOPS
from .keys import turns_key
from .yours import Stream, page_streams

#: Pages for distinct `?stream=` sets kept at once (each coding counts as one). Anyone may
#: ask for any number of distinct URLs: past the bound the least recently served goes.
MAX_STREAM_PAGES = 32
#: What those pages may hold together; one page is ~80 KB, its gzip ~12 KB. It stays that
#: small however many culprits the registry has: their lanes share one <template> that the
#: page script clones when a lane is chosen (templates/_column.html culprit_column).
MAX_STREAM_PAGE_BYTES = 4 * 1024 * 1024
#: zlib's default: nine tenths smaller for ~1 ms, paid once per page.
GZIP_LEVEL = 6
GZIP = "gzip"


class PageKey(NamedTuple):
    """All a request changes on the page: the streams it may read, or that it asked for
    some the page refuses (every refused set gives the same page)."""

    streams: tuple[Stream, ...]
    refused: bool


def page_key(asked: list[str]) -> PageKey:
    streams = page_streams(asked)
    return PageKey(streams or (), streams is None)


@dataclass(frozen=True, slots=True)
class Representation:
    """One coding of one page: its bytes, and a strong ETag of them."""

    body: bytes
    etag: str
    coding: str | None

    @classmethod
    def of(cls, body: bytes, coding: str | None = None) -> Representation:
        return cls(body, f'"{hashlib.blake2b(body, digest_size=16).hexdigest()}"', coding)

    @property
    def size(self) -> int:
        return len(self.body)


class BoundedCache:
    """Least recently used first out, past `max_entries` or `max_bytes`."""

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.bytes = 0
        self._entries: OrderedDict[tuple[PageKey, str | None], Representation] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: tuple[PageKey, str | None]) -> Representation | None:
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
        return found

    def put(self, key: tuple[PageKey, str | None], page: Representation) -> None:
        if page.size > self.max_bytes or key in self._entries:
            return
        self._entries[key] = page
        self.bytes += page.size
        while len(self._entries) > self.max_entries or self.bytes > self.max_bytes:
            _, gone = self._entries.popitem(last=False)
            self.bytes -= gone.size


class Pages:
    """Every representation of the page served so far. The two pages without a stream URL
    (none asked, one refused) are kept for good; pages for a URL, within the bounds."""

    def __init__(self, render: Callable[[PageKey], bytes]) -> None:
        self._render = render
        self.fixed: dict[tuple[PageKey, str | None], Representation] = {}
        self.streams = BoundedCache(MAX_STREAM_PAGES, MAX_STREAM_PAGE_BYTES)

    def get(self, key: PageKey, coding: str | None) -> Representation:
        # Nothing here awaits, so a crowd asking at once still renders each page once.
        fixed = not key.streams
        found = self.fixed.get((key, coding)) if fixed else self.streams.get((key, coding))
        if found is None:
            found = self._make(key, coding)
            if fixed:
                self.fixed[(key, coding)] = found
            else:
                self.streams.put((key, coding), found)
        return found

    def _make(self, key: PageKey, coding: str | None) -> Representation:
        if coding is None:
            return Representation.of(self._render(key))
        # mtime=0: the same page compresses to the same bytes, so its ETag holds across restarts.
        return Representation.of(gzip.compress(self.get(key, None).body, GZIP_LEVEL, mtime=0), GZIP)


def page_context(key: PageKey) -> dict[str, object]:
    return {
        "endpoints": [endpoint.describe() for endpoint in ENDPOINTS],
        "params": bounds_document(),
        "max_duration": MAX_DURATION_SECONDS,
        "differences": differences_document(list(dict.fromkeys(e.transport for e in ENDPOINTS))),
        **culprits_document(),
        "streams": key.streams,
        "stream_text": " ".join(stream.text for stream in key.streams),
        "stream_refused": key.refused,
        "max_hops": MAX_HOPS,
    }


def renderer(app: web.Application) -> Callable[[PageKey], bytes]:
    """The page as aiohttp_jinja2 rendered it per request, in UTF-8 (its default)."""

    def render(key: PageKey) -> bytes:
        template = aiohttp_jinja2.get_env(app).get_template("index.html")
        return template.render(page_context(key)).encode("utf-8")

    return render


pages_key = web.AppKey("pages", Pages)


def install(app: web.Application) -> None:
    app[pages_key] = Pages(renderer(app))


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether `Accept-Encoding` takes gzip: named, or covered by `*`, with a q above 0."""
    weights: dict[str, float] = {}
    for item in accept_encoding.lower().split(","):
        coding, *params = item.split(";")
        weights.setdefault(coding.strip(), _weight(params))
    return weights.get(GZIP, weights.get("*", 0.0)) > 0


def _weight(params: list[str]) -> float:
    for param in params:
        name, _, value = param.partition("=")
        if name.strip() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0


def unchanged(if_none_match: tuple[ETag, ...] | None, etag: str) -> bool:
    """If-None-Match compares weakly (RFC 9110 13.1.2): `W/"x"` matches `"x"`."""
    return any(tag.value in (ETAG_ANY, etag.strip('"')) for tag in if_none_match or ())


async def serve_page(request: web.Request, pages: Pages) -> web.StreamResponse:
    # In turn with the streams (fairness.py): a thousand clients that each pipelined
    # requests for the page would otherwise all be answered in one pass of the loop.
    await request.app[turns_key].next()
    coding = GZIP if accepts_gzip(request.headers.get(hdrs.ACCEPT_ENCODING, "")) else None
    page = pages.get(page_key(request.query.getall("stream", [])), coding)
    # no-cache: a browser may keep the page but asks each time, and gets a 304 if unchanged.
    headers = {hdrs.ETAG: page.etag, hdrs.VARY: hdrs.ACCEPT_ENCODING, hdrs.CACHE_CONTROL: "no-cache"}
    if unchanged(request.if_none_match, page.etag):
        return web.Response(status=304, headers=headers)
    if page.coding is not None:
        headers[hdrs.CONTENT_ENCODING] = page.coding
    response = web.StreamResponse(headers=headers)
    response.content_type = "text/html"
    response.charset = "utf-8"
    response.content_length = page.size
    await response.prepare(request)
    # One body shared by every response: uvloop queues a reference to it, not a copy, for
    # a client that does not read. write_eof, unlike write, then waits for that client, so
    # the next request it pipelined is not answered while this answer is still queued.
    await response.write_eof(b"" if request.method == hdrs.METH_HEAD else page.body)
    return response
