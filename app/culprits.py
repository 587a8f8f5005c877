"""What can stand between the server and the reader (`via`), and the faults a stream can be
asked to suffer (`drop`, `idle`) or to survive (`heartbeat`): the culprits lab's registry,
read by the server, the page, the client and the tests alike.

Sources say what is sent and transports how; a culprit says what it passes through on the
way. Each one reproduces a common reason a stream "arrives all at once" (the field's most
reported, in issue trackers of 2025-2026), beside the healthy stream, with its cause, its
fix, and what `diagnose` says of it: the lab is also the diagnosis's test bench.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .transport import Transport


class Via(StrEnum):
    GZIP = "gzip"
    GZIP_FLUSH = "gzip-flush"
    BR = "br"
    BR_FLUSH = "br-flush"
    ZSTD = "zstd"
    ZSTD_FLUSH = "zstd-flush"
    PROXY = "proxy"
    SIZE_PROXY = "size-proxy"
    CDN = "cdn"
    MIDDLEWARE = "middleware"


#: Transports a culprit stands in front of: the HTTP streams (a buffered body is held by
#: design, and a WebSocket's frames are not relayed this way).
VIA_TRANSPORTS = (Transport.CHUNKED, Transport.SSE)
#: Transports whose connection `drop` can cut.
DROP_TRANSPORTS = (Transport.CHUNKED, Transport.SSE, Transport.WEBSOCKET)
#: Transports an idle timeout can cut: every one (a buffered body is the classic case: a
#: response that takes longer to build than the timeout is answered 504).
IDLE_TRANSPORTS = (Transport.CHUNKED, Transport.BUFFERED, Transport.SSE, Transport.WEBSOCKET)
#: Transports with a heartbeat a reader ignores: an SSE comment, a WebSocket ping. A text,
#: JSON or NDJSON body has none (anything sent would be content, or break the document),
#: and a buffered response sends nothing before its body.
HEARTBEAT_TRANSPORTS = (Transport.SSE, Transport.WEBSOCKET)
#: The block an emulated buffering proxy relays: nginx's default buffers are one memory
#: page each (proxy_buffer_size, proxy_buffers 8 x 4k here), and measured here it passes a
#: buffered response on 4096 bytes at a time (the first block less its headers). Go's
#: net/http writes a response through a 4096-byte bufio.Writer too.
PROXY_BLOCK_BYTES = 4096
#: With `drop` or `idle`, SSE asks EventSource to reconnect after this many milliseconds
#: (browsers wait about 3 s by default), so the recovery is quick to watch.
DROP_RETRY_MS = 500
#: The content type the emulated CDN passes at once (cloudflared, Azure Front Door).
STREAMED_TYPE = "text/event-stream"


@dataclass(frozen=True)
class Diagnosed:
    """What `diagnose` says of a culprit's lane at the lab's defaults (5 messages, 1 s
    apart): the verdict and the cause id it names (None: no cause, the stream streams)."""

    verdict: str
    cause: str | None = None

    def describe(self) -> dict[str, str | None]:
        return {"verdict": self.verdict, "cause": self.cause}


@dataclass(frozen=True)
class Culprit:
    via: Via
    label: str
    cause: str
    fix: str
    diagnosed: Diagnosed
    #: Where the behaviour comes from: the software that does it, and the reports of it.
    source: str = ""
    #: The culprit lane that shows the fix, if the fix is another culprit (`gzip-flush`
    #: for `gzip`); None when the fix is the healthy stream itself.
    fixed_by: str | None = None
    #: True when the app imitates the culprit rather than running the real thing.
    emulated: bool = False

    @property
    def name(self) -> str:
        return self.via.value

    def describe(self, applies_to: list[str]) -> dict[str, object]:
        return {
            "name": self.name,
            "label": self.label,
            "cause": self.cause,
            "fix": self.fix,
            "fixed_by": self.fixed_by,
            "source": self.source,
            "diagnosed": self.diagnosed.describe(),
            "emulated": self.emulated,
            "applies_to": applies_to,
        }


HELD_BY_COMPRESSION = Diagnosed("buffered", "compression")
STREAMED = Diagnosed("progressive")


def _compressor(via: Via, fix: Via, name: str, source: str) -> tuple[Culprit, Culprit]:
    """A compression middleware without a flush per message, and the same one flushed."""
    return (
        Culprit(
            via,
            f"via {via.value}",
            f"compressed with {name} the way a compression middleware does it, without a flush per message: "
            "the compressor holds everything until its buffer fills or the stream ends",
            f"exempt streams from compression (text/event-stream, application/x-ndjson), or flush the compressor "
            f"after every message ({fix.value})",
            HELD_BY_COMPRESSION,
            source,
            fixed_by=fix.value,
        ),
        Culprit(
            fix,
            f"via {fix.value}",
            f"compressed with {name} and flushed after every message: compressed and still progressive",
            f"this is the fix for {via.value}: flush per message",
            STREAMED,
            source,
        ),
    )


CULPRITS: tuple[Culprit, ...] = (
    *_compressor(
        Via.GZIP,
        Via.GZIP_FLUSH,
        "gzip",
        "compression middlewares (Express `compression`, Starlette GZipMiddleware, nginx gzip); "
        "the flush is zlib's Z_SYNC_FLUSH (Express's res.flush() is Node's Z_FULL_FLUSH: the same timing, "
        "about twice the bytes per message)",
    ),
    *_compressor(
        Via.BR,
        Via.BR_FLUSH,
        "Brotli",
        "Brotli middlewares (Express `compression` 1.8, Bun, Cloudflare: oven-sh/bun#41439, "
        "cloudflare-docs#12084); the flush is BROTLI_OPERATION_FLUSH (Express: res.flush()); like "
        "Express's, the head goes only with the first compressed bytes (Brotli writes none before a flush)",
    ),
    *_compressor(
        Via.ZSTD,
        Via.ZSTD_FLUSH,
        "Zstandard",
        "zstd-capable proxies and CDNs (Caddy `encode zstd`, which never flushes its encoder and leaves a "
        "response whose first write is under 512 B uncompressed; Cloudflare); the flush is ZSTD_e_flush",
    ),
    Culprit(
        Via.PROXY,
        "via proxy",
        f"relayed as a reverse proxy with default buffering does (nginx's proxy_buffering on): "
        f"in {PROXY_BLOCK_BYTES}-byte blocks, small messages only at the end. "
        "Emulated inside this app, and checked against real nginx by the tests",
        "send X-Accel-Buffering: no from the app, or set proxy_buffering off for the stream's location",
        Diagnosed("buffered", "proxy-buffering"),
        "nginx's proxy_buffering, on by default",
        emulated=True,
    ),
    Culprit(
        Via.SIZE_PROXY,
        "via size-proxy",
        f"relayed by a proxy that buffers by size and ignores X-Accel-Buffering (it is nginx's alone): "
        f"output waits in a {PROXY_BLOCK_BYTES}-byte write buffer, head included, until it fills or the "
        "stream ends; no Via. Emulated inside this app",
        "set the proxy's own flush setting (Traefik responseForwarding.flushInterval, Caddy flush_interval -1, "
        "http-proxy-middleware without a buffering layer); where the proxy is not yours, pad each message to "
        f"the buffer's size (size={PROXY_BLOCK_BYTES} here) or end it with a {PROXY_BLOCK_BYTES}-byte SSE comment",
        Diagnosed("buffered", "proxy-buffering"),
        "Go's net/http response writer (4096-byte bufio) behind Traefik and other Go proxies without a flush "
        "interval (traefik/traefik#11333, gptme/gptme#3317), webpack-dev-server's proxy (#5449), APISIX (#11706)",
        emulated=True,
    ),
    Culprit(
        Via.CDN,
        "via cdn",
        f"relayed by a CDN or tunnel that streams only {STREAMED_TYPE}: any other type is held whole, head "
        "included, and sent when it ends; SSE passes at once. Emulated inside this app",
        f"serve the stream as {STREAMED_TYPE} (the sse lane through the same CDN streams)",
        Diagnosed("buffered", "content-type-buffering"),
        "Cloudflare Tunnel (cloudflare/cloudflared#1095, #1496), Azure front ends (microsoft/azurechat#305, "
        "fixed by changing the Content-Type)",
        emulated=True,
    ),
    Culprit(
        Via.MIDDLEWARE,
        "via middleware",
        "passed through a middleware that reads the whole response body before passing it on: the head "
        "waits too and leaves with a Content-Length instead of chunked framing, as a response built whole "
        "does (a proxy that buffers keeps the chunked framing). Emulated inside this app",
        "use middleware that passes the body through as it comes (pure ASGI middleware instead of "
        "Starlette's BaseHTTPMiddleware reading response bodies; no response-rewriting middleware on streams)",
        Diagnosed("buffered", "content-length"),
        "body-reading middlewares (modelcontextprotocol/python-sdk#2702 with Starlette's "
        "BaseHTTPMiddleware, zulip/zulip#26047)",
        emulated=True,
    ),
)
CULPRITS_BY_NAME = {culprit.name: culprit for culprit in CULPRITS}
VIA_NAMES = tuple(CULPRITS_BY_NAME)


@dataclass(frozen=True)
class Fault:
    """A parameter that makes the server misbehave on purpose (or survive misbehaviour)."""

    name: str
    doc: str
    transports: tuple[Transport, ...]
    diagnosed: Diagnosed | None
    #: Why the other transports cannot take it, for the 400.
    why_not: str

    def describe(self, applies_to: list[str]) -> dict[str, object]:
        return {
            "name": self.name,
            "doc": self.doc,
            "diagnosed": None if self.diagnosed is None else self.diagnosed.describe(),
            "applies_to": applies_to,
        }


FAULTS: tuple[Fault, ...] = (
    Fault(
        "drop",
        "cut the connection abruptly after N messages of that connection (no last chunk, no close frame): "
        "fetch fails, a WebSocket closes with 1006, EventSource reconnects with Last-Event-ID and resumes",
        DROP_TRANSPORTS,
        Diagnosed("progressive", "connection-cut"),
        "a buffered response has no messages to cut between",
    ),
    Fault(
        "idle",
        "cut the connection once the server has sent nothing for S seconds, as an idle timeout on the way "
        "does (AWS ALB 60 s, Heroku 55 s, Cloudflare 100 s, CloudFront 30 s, scaled down here); a response "
        "whose head was not sent yet is answered 504, as those proxies do",
        IDLE_TRANSPORTS,
        Diagnosed("progressive", "idle-timeout"),
        "",
    ),
    Fault(
        "heartbeat",
        "after S seconds without a message, send a heartbeat the reader ignores: an SSE comment line, a "
        "WebSocket ping; it keeps a quiet stream alive through an idle timeout (try it with idle)",
        HEARTBEAT_TRANSPORTS,
        None,
        "only SSE (a comment) and a WebSocket (a ping) have a heartbeat a reader ignores: "
        "in a text, JSON or NDJSON body anything sent is content",
    ),
)
FAULTS_BY_NAME = {fault.name: fault for fault in FAULTS}
DROP_DOC = FAULTS_BY_NAME["drop"].doc


def misapplied(transport: Transport, via: str | None, **faults: object) -> tuple[str, str] | None:
    """(param, message) when `via` or a fault is asked of a transport it does not apply to."""
    if via is not None and transport not in VIA_TRANSPORTS:
        return "via", f"via applies to the HTTP streams ({', '.join(VIA_TRANSPORTS)}), not to a {transport} response"
    for name, value in faults.items():
        fault = FAULTS_BY_NAME[name]
        if value is not None and transport not in fault.transports:
            why = f": {fault.why_not}" if fault.why_not else ""
            return name, f"{name} applies to {', '.join(fault.transports)}, not to a {transport} response{why}"
    return None
