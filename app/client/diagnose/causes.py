"""Why a stream did not stream: causes claimed from measured evidence, each with its fix, and
warnings for what would bite in a browser though not in a terminal. Pure: an exchange and
its verdict in, findings out.

Each cause rests on what was measured, and says it: when the head came against the body (a
buffering proxy sends the head with its first block; a hop that does not buffer passes it
at once), the sizes of the blocks (a power of two is a buffer's size, not a message's), and
the headers that proxies, caches and CDNs add. A `Server` header alone convicts nothing: it
names the origin as often as a proxy. When two explanations fit, both are claimed, each
saying what tells them apart. The ids are stable and documented in the README.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from itertools import pairwise

from ..compare.model import counted
from .exchange import Exchange
from .verdict import Arrival, Judgement, Verdict

HELD = (Verdict.BUFFERED, Verdict.BURSTY)
#: The one type many CDNs and tunnels stream (they hold the others whole).
STREAMED_TYPE = "text/event-stream"
#: Headers that proxies, caches and CDNs add (`Server` is not one: origins send it too).
HOP_HEADERS = (
    "Via",
    "X-Cache",
    "X-Cache-Hits",
    "X-Varnish",
    "Age",
    "CF-Cache-Status",
    "CF-Ray",
    "X-Served-By",
    "X-Proxy-Cache",
    "Cache-Status",
    "X-Amz-Cf-Id",
    "X-Fastly-Request-Id",
    "X-Akamai-Transformed",
)
#: Headers that only a CDN adds (for the no-transform warning).
CDN_HEADERS = ("cf-ray", "x-amz-cf-id", "x-served-by", "x-fastly-request-id", "x-akamai-transformed", "x-cache")
#: Cache statuses of an answer served from a stored copy (CF-Cache-Status, nginx's
#: $upstream_cache_status sent as X-Proxy-Cache, X-Cache); any `...HIT` token counts too.
STORED = ("hit", "stale", "updating", "revalidated")
#: nginx holds output shorter than this (postpone_output), so a buffering nginx sends a
#: smaller head only with its first block, and a larger one at once.
POSTPONE_BYTES = 1460
#: A head and content this close together came together (one write, one or two reads).
TOGETHER_MS = 50.0
#: A head this much earlier than the content was passed on at once...
APART_MS = 100.0
#: ...and a head that came with the content waited for it if it came this late.
HEAD_WAIT_MS = 100.0
#: Buffer sizes: powers of two from 64 KiB down to 2 KiB (nginx 4/8 KiB, stdio and Python 8 KiB).
BUFFER_SIZES = tuple(1 << bits for bits in range(16, 10, -1))
#: A first block may be a buffer less the upstream head that shared it (nginx, a CGI).
HEAD_ROOM = 512
#: Reads closer than this (or than a tenth of the longest silence) are one block.
JOIN_MS = 10.0


@dataclass(frozen=True)
class Finding:
    id: str
    evidence: str
    fix: str

    def as_json(self) -> dict[str, str]:
        return {"id": self.id, "evidence": self.evidence, "fix": self.fix}


class Head(Enum):
    """When the response head came against the content."""

    HELD = "held"  # late, with the first content: whatever held the body held the head too
    AT_ONCE = "at once"  # well before the content: the last hop passed it without waiting
    UNCLEAR = "unclear"  # too close and too early to tell, or too large for its timing to matter


@dataclass(frozen=True)
class Block:
    t_ms: float
    size: int


@dataclass(frozen=True)
class Evidence:
    """What the rules rest on, measured once from an exchange."""

    hops: tuple[str, ...]
    blocks: tuple[Block, ...]
    head: Head
    buffer: int | None

    @classmethod
    def of(cls, exchange: Exchange) -> Evidence:
        blocks = blocks_of(exchange.arrivals)
        head = head_timing(exchange, blocks)
        return cls(hop_signs(exchange), blocks, head, buffer_size(blocks, head is Head.HELD))


def hop_signs(exchange: Exchange) -> tuple[str, ...]:
    """The headers by which a proxy, cache or CDN shows itself, as `Name: value`."""
    return tuple(f"{name}: {value}" for name in HOP_HEADERS if (value := exchange.header(name.lower())))


def blocks_of(arrivals: Sequence[Arrival]) -> tuple[Block, ...]:
    """The content's reads joined into the blocks they were sent as: reads closer than
    JOIN_MS, or than a tenth of the longest silence between reads, are one block that the
    network split."""
    content = [arrival for arrival in arrivals if arrival.decoded_bytes]
    gaps = [later.t_ms - earlier.t_ms for earlier, later in pairwise(content)]
    join = max(JOIN_MS, 0.1 * max(gaps, default=0.0))
    blocks: list[Block] = []
    for arrival, gap in zip(content, [join, *gaps], strict=True):
        if blocks and gap < join:
            blocks[-1] = Block(blocks[-1].t_ms, blocks[-1].size + arrival.decoded_bytes)
        else:
            blocks.append(Block(arrival.t_ms, arrival.decoded_bytes))
    return tuple(blocks)


def buffer_size(blocks: Sequence[Block], head_in_first: bool) -> int | None:
    """The power-of-two buffer that cut the blocks, or None: every block but the last is a
    multiple of it (blocks sent back to back join), except that a first block that came
    with the head may fall short by the upstream head that shared its buffer."""
    if len(blocks) < 2:
        return None
    first, inner = blocks[0].size, [block.size for block in blocks[1:-1]]
    for size in BUFFER_SIZES:
        short = head_in_first and size - HEAD_ROOM <= first < size
        if (first % size == 0 or short) and all(block % size == 0 for block in inner):
            return size
    return None


def head_bytes(exchange: Exchange) -> int:
    """The head's size on the wire, near enough (repeated fields were joined)."""
    status = len(f"{exchange.http_version} {exchange.status} {exchange.reason}\r\n")
    return status + sum(len(name) + len(value) + 4 for name, value in exchange.headers.items()) + 2


def head_timing(exchange: Exchange, blocks: Sequence[Block]) -> Head:
    """Held when the head came late and with the first content (as late as the silences
    between blocks); at once when it came APART_MS or more before it, unless it is so
    large that even a buffering nginx sends it at once."""
    if not blocks:
        return Head.UNCLEAR
    apart = blocks[0].t_ms - exchange.headers_ms
    if apart >= APART_MS:
        return Head.AT_ONCE if head_bytes(exchange) < POSTPONE_BYTES else Head.UNCLEAR
    cadence = max((later.t_ms - earlier.t_ms for earlier, later in pairwise(blocks)), default=0.0)
    if apart <= TOGETHER_MS and exchange.headers_ms >= max(HEAD_WAIT_MS, 0.5 * cadence):
        return Head.HELD
    return Head.UNCLEAR


def head_story(exchange: Exchange, head: Head) -> str:
    first = exchange.first_content_ms or exchange.end_ms
    if head is Head.HELD:
        return f"the head came only at {exchange.headers_ms:.0f} ms, with the first content"
    told = f"the head came at {exchange.headers_ms:.0f} ms and the content from {first:.0f} ms"
    if head is Head.AT_ONCE or first - exchange.headers_ms < APART_MS:
        return told
    return (
        f"{told}, but the head is about {head_bytes(exchange)} bytes, and nginx sends a head of "
        f"{POSTPONE_BYTES} bytes or more at once even when it buffers the body"
    )


def blocks_story(evidence: Evidence) -> str:
    sizes = [f"{block.size} B at {block.t_ms:.0f} ms" for block in evidence.blocks]
    listed = ", ".join(sizes[:4]) + (f" and {len(sizes) - 4} more" if len(sizes) > 4 else "")
    short = " (the first less the head that shared it)" if evidence.blocks[0].size % (evidence.buffer or 1) else ""
    return (
        f"the content came in {counted(len(sizes), 'block')} ({listed}): blocks cut by a buffer of {evidence.buffer} "
        f"bytes{short}, not messages"
    )


def shown(hops: Sequence[str]) -> str:
    return f"{', '.join(hops[:3])} show{'s' if len(hops) == 1 else ''}"


def no_hop(exchange: Exchange) -> str:
    server = exchange.header("server")
    named = f" (Server: {server} may name a proxy in front or the origin itself)" if server else ""
    return f"no Via, cache or CDN header shows a proxy{named}"


def length_known(exchange: Exchange, judgement: Judgement) -> bool:
    """Buffered with a Content-Length (not chunked): the body was whole before it was sent."""
    chunked = "chunked" in exchange.header("transfer-encoding").lower()
    return judgement.verdict is Verdict.BUFFERED and bool(exchange.header("content-length")) and not chunked


def stored_status(value: str) -> bool:
    return any(token.endswith("hit") or token in STORED for token in re.split(r"[\s,;]+", value.lower()) if token)


def cache_status_hit(value: str) -> bool:
    """RFC 9211 `Cache-Status`: one member per cache, a hit marked by its `hit` parameter."""
    return any(
        param.strip().lower() in ("hit", "hit=?1") for member in value.split(",") for param in member.split(";")[1:]
    )


def _count(text: str) -> int:
    """A header's count, 0 unless it is ASCII digits (`str.isdigit` also takes `²`)."""
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() else 0


def replay_signs(exchange: Exchange) -> list[str]:
    """The headers that say a cache answered from a stored copy, each with what it means."""
    signs = []
    age = exchange.header("age").strip()
    if _count(age) > 0:
        signs.append(f"Age: {age} (the stored copy is {age} s old)")
    if len(varnish := exchange.header("x-varnish").split()) >= 2:
        signs.append(f"X-Varnish: {' '.join(varnish)} (two ids: this request's and the one that stored the copy)")
    for name in ("X-Cache", "CF-Cache-Status", "X-Proxy-Cache"):
        if stored_status(value := exchange.header(name.lower())):
            signs.append(f"{name}: {value}")
    hits = exchange.header("x-cache-hits")
    if any(_count(count) > 0 for count in hits.split(",")):
        signs.append(f"X-Cache-Hits: {hits}")
    if cache_status_hit(status := exchange.header("cache-status")):
        signs.append(f"Cache-Status: {status}")
    return signs


def cached(exchange: Exchange, judgement: Judgement) -> Finding | None:
    """A cache replayed a stored copy, whatever the verdict. Rests on the headers a hit
    carries: Age above 0, two ids in X-Varnish, a HIT (or stale, updating, revalidated) in
    X-Cache, CF-Cache-Status or X-Proxy-Cache, X-Cache-Hits above 0, an RFC 9211
    Cache-Status member marked `hit`. One X-Varnish id, Age: 0 or a MISS are no hit."""
    signs = replay_signs(exchange)
    if not signs:
        return None
    return Finding(
        "cached",
        f"a cache answered from a stored copy: {'; '.join(signs)}. The timing is the cache's, not the app's, "
        "so whether the app streams cannot be judged from a hit, and nothing else is concluded from it",
        "judge the stream past the cache: add a query string the cache has not seen (?nocache=RANDOM: caches key "
        "on the whole URL), or try diagnose -H 'Cache-Control: no-cache' (Varnish, nginx proxy_cache and most "
        "CDNs ignore it by default); keep streams out of shared caches: send Cache-Control: no-store (or "
        "private) with the stream",
    )


def content_length(exchange: Exchange, judgement: Judgement) -> Finding | None:
    """The body was built whole before it was sent. Rests on a buffered verdict and a
    Content-Length in the head without chunked framing: the length, so the body, was known
    before its first byte went out."""
    if not length_known(exchange, judgement):
        return None
    length = exchange.header("content-length")
    waited = f", after {exchange.headers_ms:.0f} ms of silence" if exchange.headers_ms >= 0.5 * exchange.end_ms else ""
    return Finding(
        "content-length",
        f"the headers came with Content-Length: {length}{waited}: the body's length was known before its first "
        "byte was sent, so the whole body was built before sending",
        "stream the body instead of building it: leave Content-Length out and write each message as it is ready "
        "(HTTP/1.1 then frames it as chunks): aiohttp web.StreamResponse, Starlette/FastAPI StreamingResponse, "
        "Express res.write(), Flask a generator response",
    )


def compression(exchange: Exchange, judgement: Judgement) -> Finding | None:
    """A compressor held the content. Rests on a held verdict with a Content-Encoding, best on
    compressed bytes that came early but decoded to nothing until late."""
    encoding = exchange.header("content-encoding")
    if judgement.verdict not in HELD or encoding.lower() in ("", "identity"):
        return None
    first = exchange.first_content_ms
    early = [a for a in exchange.arrivals if a.wire_bytes and not a.decoded_bytes and (first is None or a.t_ms < first)]
    if early:
        encoded, reads = sum(a.wire_bytes for a in early), counted(len(early), "read")
        evidence = (
            f"{encoded} bytes of {encoding} arrived in {reads} from {early[0].t_ms:.0f} ms on, but "
            f"decoded to nothing until {first:.0f} ms: the body was compressed as it went and the compressor held "
            "the content"
        )
    else:
        evidence = f"the body is {encoding}-compressed and its content came only at the end"
    return Finding(
        "compression",
        evidence,
        "do not compress streams (exempt text/event-stream and application/x-ndjson from the compression "
        "middleware or nginx gzip_types), or flush the compressor after every message (zlib Z_SYNC_FLUSH)",
    )


def proxy_buffering(exchange: Exchange, judgement: Judgement) -> Finding | None:
    """A proxy held the body. Rests on a head that waited and came with the first content (a
    buffering nginx sends a head under 1460 bytes only with its first block), or on a
    proxy, cache or CDN header (Via, X-Cache, ...) with buffer-sized blocks or a head whose
    timing cannot clear it. Not claimed when a Content-Length shows the body was whole."""
    if judgement.verdict not in HELD or length_known(exchange, judgement):
        return None
    seen = Evidence.of(exchange)
    if not (seen.head is Head.HELD or (seen.hops and (seen.buffer or seen.head is Head.UNCLEAR))):
        return None
    told = [f"{shown(seen.hops)} a proxy or cache on the way" if seen.hops else no_hop(exchange)]
    if seen.head is Head.HELD:
        told.append(f"{head_story(exchange, seen.head)}, as a buffering proxy (nginx, proxy_buffering on) sends it")
    if seen.buffer:
        told.append(blocks_story(seen))
    others = [] if seen.hops else ["an app whose own buffer holds its head too (a CGI's stdout) looks the same"]
    if seen.head is not Head.HELD:
        others.append(f"{head_story(exchange, seen.head)}: the app may hold the body behind a proxy that passes it on")
    if exchange.header("x-accel-buffering").lower() == "no":
        told.append("X-Accel-Buffering: no reached this client, so no nginx on the way acted on it (nginx removes it)")
    if others:
        told += [
            *others,
            "to tell them apart, fetch the app directly, bypassing the proxy: if it streams there, the proxy holds it",
        ]
    return Finding(
        "proxy-buffering",
        "; ".join(told),
        "send X-Accel-Buffering: no with the stream (nginx honours it per response), or set proxy_buffering off "
        "for the stream's location; for another proxy or CDN, its streaming or no-buffering setting",
    )


def content_type_buffering(exchange: Exchange, judgement: Judgement) -> Finding | None:
    """A CDN or tunnel that streams only text/event-stream held the body whole. Rests on a
    held verdict, a hop that is no nginx (a CDN's header, or X-Accel-Buffering: no that
    reached the client: nginx acts on it and removes it), another type than
    text/event-stream, no buffer-sized blocks (those are a proxy's buffer), and a head that
    did not come at once (a hop that passed it at once did not hold the response)."""
    kind = exchange.header("content-type").split(";", 1)[0].strip().lower()
    if judgement.verdict not in HELD or kind == STREAMED_TYPE or length_known(exchange, judgement):
        return None
    seen = Evidence.of(exchange)
    cdn = [sign for sign in seen.hops if sign.split(":", 1)[0].lower() in CDN_HEADERS]
    passed = exchange.header("x-accel-buffering").lower() == "no"
    if not seen.hops or seen.buffer or seen.head is Head.AT_ONCE or not (cdn or passed):
        return None
    told = [f"{shown(seen.hops)} a proxy, CDN or tunnel on the way", f"the body is {kind or '(no type)'}"]
    if passed:
        told.append("X-Accel-Buffering: no reached this client: the hop is no nginx (nginx acts on it, removes it)")
    told.append(
        f"CDNs and tunnels that stream only {STREAMED_TYPE} (Cloudflare Tunnel, Azure front ends) hold any "
        "other type whole"
    )
    return Finding(
        "content-type-buffering",
        "; ".join(told),
        f"serve the stream as {STREAMED_TYPE} (as SSE, or the same body with that type), or turn the CDN's "
        "buffering off for the path where it can be",
    )


def write_buffer(exchange: Exchange, judgement: Judgement) -> Finding | None:
    """A write buffer let the content go a block at a time: in the server itself (a CGI's or
    a subprocess's block-buffered stdout, a buffered writer) or in a hop that names itself
    nowhere. Rests on blocks cut by a power-of-two buffer with no proxy, cache or CDN header."""
    if judgement.verdict not in HELD or length_known(exchange, judgement):
        return None
    seen = Evidence.of(exchange)
    if seen.buffer is None or seen.hops:
        return None
    told = [blocks_story(seen), no_hop(exchange)]
    if seen.head is Head.AT_ONCE:
        told.append(
            f"{head_story(exchange, seen.head)}: a buffering proxy like nginx would have held the head with its first "
            "block, so the buffer is behind the head, in the app's writing of the body"
        )
    else:
        alike = "would look the same (see proxy-buffering)" if seen.head is Head.HELD else "cannot be ruled out"
        told.append(
            f"{head_story(exchange, seen.head)}: a buffering proxy that adds no Via (nginx adds none) {alike}; "
            "fetch the app directly: blocks there too mean its own buffer"
        )
    return Finding(
        "write-buffer",
        "; ".join(told),
        "flush after every message: run a Python script or CGI unbuffered (python -u, PYTHONUNBUFFERED=1) or "
        "call sys.stdout.flush() after each message (C: fflush(stdout); Perl: $| = 1); flush a buffered writer "
        "per message (Express with compression: res.flush())",
    )


def held_by_server(exchange: Exchange, judgement: Judgement, claimed: Sequence[Finding]) -> Finding | None:
    """Held before any hop we can see. Rests on a head passed at once while the body came
    late (the hop that passed it does not buffer), or on nothing placing the hold in a hop
    or a buffer; also claimed beside proxy-buffering when a head that waited is all there
    is, since an app that holds its whole response, head included, looks the same."""
    if judgement.verdict not in HELD or any(f.id in ("content-length", "compression") for f in claimed):
        return None
    seen = Evidence.of(exchange)
    if seen.buffer or (seen.hops and seen.head is not Head.AT_ONCE):
        return None
    first = exchange.first_content_ms or exchange.end_ms
    return Finding(
        "held-by-server",
        f"{head_story(exchange, seen.head)}; {where_held(exchange, seen)}; no Content-Length, compression or "
        f"buffer-sized blocks explain the wait until {first:.0f} ms",
        "make the handler write (and flush) each message when it is ready, not collect them first; look for a "
        "middleware that buffers responses; fetch the app directly to confirm it is late there too",
    )


def where_held(exchange: Exchange, seen: Evidence) -> str:
    """What the head's timing and the headers say of where the body was held."""
    if seen.head is Head.AT_ONCE and seen.hops:
        return (
            f"{shown(seen.hops)} a proxy, but it passed the head at once, as a proxy that does not buffer does: "
            "the body was held before it, by the app, unless that proxy buffers bodies alone (fetch the app "
            "directly to tell)"
        )
    if seen.head is Head.AT_ONCE:
        return (
            f"a buffering proxy in front (nginx) would have held a head under {POSTPONE_BYTES} bytes with the body, "
            f"so the body was held before any hop, by the app; {no_hop(exchange)}"
        )
    if seen.head is Head.HELD:
        return (
            f"{no_hop(exchange)}, but one that adds no Via (nginx adds none) would look the same, holding head and "
            "body (see proxy-buffering)"
        )
    return f"{no_hop(exchange)}, though one in front cannot be ruled out: fetch the app directly to tell"


CAUSES: tuple[Callable[[Exchange, Judgement], Finding | None], ...] = (
    content_length,
    compression,
    # Before proxy-buffering: claimed only where the hop is no nginx, it says which hop.
    content_type_buffering,
    proxy_buffering,
    write_buffer,
)


def causes(exchange: Exchange, judgement: Judgement) -> list[Finding]:
    """The likely causes, most certain first. A cache hit is the only one when there is one:
    the timing is then the cache's, and says nothing of the app."""
    if (replayed := cached(exchange, judgement)) is not None:
        return [replayed]
    found = [finding for rule in CAUSES if (finding := rule(exchange, judgement)) is not None]
    unexplained = held_by_server(exchange, judgement, found)
    return found + ([unexplained] if unexplained else [])


def sniffing(exchange: Exchange) -> Finding | None:
    kind = exchange.header("content-type").split(";", 1)[0].strip().lower()
    if kind not in ("", "text/plain") or "nosniff" in exchange.header("x-content-type-options").lower():
        return None
    return Finding(
        "sniffing",
        f"Content-Type: {kind or '(none)'} without X-Content-Type-Options: nosniff: a browser may hold back "
        "the first KiB of such a body to sniff its type, so a slow stream shows nothing in a tab for a while",
        "send X-Content-Type-Options: nosniff (and a specific Content-Type)",
    )


def no_transform(exchange: Exchange) -> Finding | None:
    cdn = next((name for name in CDN_HEADERS if name in exchange.headers), "")
    if not cdn and not exchange.header("via"):
        return None
    if "no-transform" in exchange.header("cache-control").lower():
        return None
    seen = f"{cdn}: {exchange.header(cdn)}" if cdn else f"Via: {exchange.header('via')}"
    return Finding(
        "no-transform",
        f"a CDN or proxy is on the way ({seen}) and Cache-Control does not say no-transform: "
        "it may compress or rewrite the stream, and hold it to do so",
        "send Cache-Control: no-cache, no-transform",
    )


def warnings(exchange: Exchange) -> list[Finding]:
    if exchange.reading == "messages":
        return []  # a WebSocket's frames are neither sniffed nor transformed
    return [finding for rule in (sniffing, no_transform) if (finding := rule(exchange)) is not None]
