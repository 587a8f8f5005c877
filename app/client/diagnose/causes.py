"""Why a stream did not stream: causes claimed from measured evidence, each with its fix, and
warnings for what would bite in a browser though not in a terminal. Pure: an exchange and
its verdict in, findings out.

A cause is claimed only when the content was held (buffered or bursty) and something
measured points at it; a header alone never convicts (a compressed body that arrived
progressively is progressive). The ids are stable and documented in the README.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..compare.model import counted
from .exchange import Exchange
from .verdict import Judgement, Verdict

#: `Server` values of software that stands between an app and its readers.
PROXY_PRODUCTS = (
    "nginx",
    "openresty",
    "apache",
    "envoy",
    "haproxy",
    "traefik",
    "caddy",
    "varnish",
    "squid",
    "cloudflare",
    "akamaighost",
    "awselb",
    "cloudfront",
)
#: Headers that only a CDN adds.
CDN_HEADERS = ("cf-ray", "x-amz-cf-id", "x-served-by", "x-fastly-request-id", "x-akamai-transformed", "x-cache")
HELD = (Verdict.BUFFERED, Verdict.BURSTY)


@dataclass(frozen=True)
class Finding:
    id: str
    evidence: str
    fix: str

    def as_json(self) -> dict[str, str]:
        return {"id": self.id, "evidence": self.evidence, "fix": self.fix}


def proxy_named(exchange: Exchange) -> str:
    """The header by which a proxy names itself (`Via: ...`, `Server: nginx`), or ""."""
    if via := exchange.header("via"):
        return f"Via: {via}"
    server = exchange.header("server")
    if any(product in server.lower() for product in PROXY_PRODUCTS):
        return f"Server: {server}"
    return ""


def content_length(exchange: Exchange, judgement: Judgement) -> Finding | None:
    length = exchange.header("content-length")
    if judgement.verdict is not Verdict.BUFFERED or not length or "chunked" in exchange.header("transfer-encoding"):
        return None
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
    """Held, and a proxy named itself (or the content came in a buffer's blocks). Real nginx
    holds the headers too until its first buffer goes out, so late headers do not clear it;
    a Content-Length does (the body was whole before any proxy saw it)."""
    if judgement.verdict not in HELD:
        return None
    named = proxy_named(exchange)
    if judgement.verdict is Verdict.BUFFERED and (not named or exchange.header("content-length")):
        return None
    first = exchange.first_content_ms or exchange.end_ms
    if judgement.verdict is Verdict.BURSTY:
        shape = f"the content came in {judgement.content_arrivals} blocks, {blocks(exchange)}"
    elif first - exchange.headers_ms >= max(100.0, 0.25 * exchange.end_ms):
        shape = f"the headers came at {exchange.headers_ms:.0f} ms but the content only at {first:.0f} ms"
    else:
        shape = f"nothing came until {exchange.headers_ms:.0f} ms, headers included, and no Content-Length was sent"
    who = f"{named} names a proxy on the way" if named else "no proxy named itself, yet something buffered"
    unasked = "" if exchange.header("x-accel-buffering").lower() == "no" else "; no X-Accel-Buffering: no was seen"
    return Finding(
        "proxy-buffering",
        f"{who}; {shape}{unasked}",
        "send X-Accel-Buffering: no with the stream (nginx honours it per response), or set proxy_buffering off "
        "for the stream's location; for another proxy or CDN, its streaming or no-buffering setting",
    )


def blocks(exchange: Exchange) -> str:
    sizes = [f"{a.decoded_bytes} B at {a.t_ms:.0f} ms" for a in exchange.arrivals if a.decoded_bytes]
    return ", ".join(sizes[:4]) + (f" and {len(sizes) - 4} more" if len(sizes) > 4 else "")


def held_by_server(exchange: Exchange, judgement: Judgement, claimed: list[Finding]) -> Finding | None:
    """Held, and nothing above explains it: the app itself (or an unnamed hop) wrote it late."""
    if judgement.verdict not in HELD or claimed:
        return None
    framing = f" as {exchange.chunks} chunk{'s' if exchange.chunks > 1 else ''}" if exchange.chunks else ""
    return Finding(
        "held-by-server",
        f"no Content-Length, compression or proxy explains it: the content came{framing} only at "
        f"{exchange.first_content_ms or 0:.0f} ms of {exchange.end_ms:.0f} ms",
        "make the handler write (and flush) each message when it is ready, not collect them first; "
        "look for a middleware or an unnamed hop that buffers responses",
    )


CAUSES: tuple[Callable[[Exchange, Judgement], Finding | None], ...] = (content_length, compression, proxy_buffering)


def causes(exchange: Exchange, judgement: Judgement) -> list[Finding]:
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
