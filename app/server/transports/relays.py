"""What stands between the server and the reader, imitated inside the app: pure byte
relays (bytes in per message, bytes out whenever the relay lets them go; no I/O)."""

from __future__ import annotations

from typing import ClassVar, Protocol

from ...culprits import PROXY_BLOCK_BYTES, STREAMED_TYPE, Via
from ...wire.coding import ContentEncoder


class Relay(Protocol):
    #: The Content-Encoding the relay puts on the response, if any.
    content_encoding: str | None
    #: The Via header a relay that stands for a proxy adds, as real proxies do.
    via: str | None
    #: It keeps X-Accel-Buffering to itself, as nginx does (other proxies pass it on).
    takes_accel_buffering: bool
    #: The response's head waits for the first bytes the relay lets go, as a buffering
    #: proxy's does (nginx sends a head under 1460 bytes only with its first block).
    holds_head: bool
    #: The head goes only at the end, with a Content-Length: the body was read whole (such a
    #: relay holds the head too).
    whole_response: bool

    def feed(self, data: bytes | memoryview, whole: bool = True) -> bytes:
        """Take one message's bytes (or a piece of them: `whole` is False for all but its
        last); return what goes on to the reader now."""
        ...

    def end(self) -> bytes | bytearray:
        """The stream is over: return everything still held."""
        ...


class Compressor:
    """A compression middleware: compresses as it goes, flushes only when its buffer fills,
    or (`flush`) after every message."""

    via: str | None = None
    takes_accel_buffering = False
    whole_response = False
    #: What each encoder holds at most, measured here with 1 MiB through it: zlib's deflate
    #: state at its defaults (by zlib's own formula 256 KiB), Brotli at quality 4 and
    #: Zstandard at level 3, each in a 256 KiB window (945 KiB each).
    HELD_BYTES: ClassVar[dict[str, int]] = {"gzip": 256 * 1024, "br": 1024 * 1024, "zstd": 1024 * 1024}

    def __init__(self, encoding: str, flush: bool) -> None:
        self.content_encoding: str | None = encoding
        # A middleware's head goes with the first compressed bytes, as Node's does: at once
        # for gzip (its 10-byte header), at the first flush or the end for Brotli, which
        # writes nothing before (measured against Express `compression`). A Zstandard
        # encoder in a proxy (Caddy) sends the head at once.
        self.holds_head = encoding == "br"
        self._flush = flush
        self._encoder = ContentEncoder(encoding)

    def feed(self, data: bytes | memoryview, whole: bool = True) -> bytes:
        return self._encoder.feed(data, self._flush and whole)

    def end(self) -> bytes:
        return self._encoder.end()


class BufferingProxy:
    """A reverse proxy with buffering on: passes the body on in whole blocks, the rest at the end."""

    content_encoding: str | None = None
    via: str | None = "1.1 transport-lab (emulated buffering proxy)"
    takes_accel_buffering = True
    holds_head = True
    whole_response = False

    def __init__(self, block: int = PROXY_BLOCK_BYTES) -> None:
        self._block = block
        self._held = bytearray()

    def feed(self, data: bytes | memoryview, whole: bool = True) -> bytes:
        self._held += data
        blocks = len(self._held) - len(self._held) % self._block
        if not blocks:
            return b""
        out = bytes(self._held[:blocks])
        del self._held[:blocks]
        return out

    def end(self) -> bytes:
        out = bytes(self._held)
        self._held.clear()
        return out


class SizeProxy(BufferingProxy):
    """A proxy whose write buffer holds output until it fills (Go's net/http behind Traefik):
    no Via, and X-Accel-Buffering passes through it untouched, unheeded."""

    via: str | None = None
    takes_accel_buffering = False


class Hold:
    """Holds the whole body and lets it go at the end."""

    content_encoding: str | None = None
    takes_accel_buffering = False
    holds_head = True

    def __init__(self, via: str | None, whole_response: bool) -> None:
        self.via = via
        self.whole_response = whole_response
        self._held = bytearray()

    def feed(self, data: bytes | memoryview, whole: bool = True) -> bytes:
        self._held += data
        return b""

    def end(self) -> bytearray:
        # Handed over, not copied: a body held whole may be the buffered cap's 16 MiB.
        out, self._held = self._held, bytearray()
        return out


class Pass:
    """Lets everything through as it comes, head included (a CDN with a type it streams)."""

    content_encoding: str | None = None
    takes_accel_buffering = False
    holds_head = False
    whole_response = False

    def __init__(self, via: str | None) -> None:
        self.via = via

    def feed(self, data: bytes | memoryview, whole: bool = True) -> bytes:
        return bytes(data)

    def end(self) -> bytes:
        return b""


CDN_VIA = "1.1 transport-lab (emulated CDN)"
_COMPRESSORS = {
    Via.GZIP: ("gzip", False),
    Via.GZIP_FLUSH: ("gzip", True),
    Via.BR: ("br", False),
    Via.BR_FLUSH: ("br", True),
    Via.ZSTD: ("zstd", False),
    Via.ZSTD_FLUSH: ("zstd", True),
}


def streams_type(content_type: str) -> bool:
    """Whether the emulated CDN passes a response of this type at once."""
    return content_type.split(";", 1)[0].strip().lower() == STREAMED_TYPE


def holds_whole(via: str | None, content_type: str) -> bool:
    """Whether the relay holds the whole body (so its memory is the body's)."""
    return via == Via.MIDDLEWARE or (via == Via.CDN and not streams_type(content_type))


def held_bytes(via: str | None) -> int:
    """What a relay holds besides the body it may hold whole: a compressor's state, or a block."""
    if via is None:
        return 0
    if via in _COMPRESSORS:
        return Compressor.HELD_BYTES[_COMPRESSORS[Via(via)][0]]
    return PROXY_BLOCK_BYTES if via in (Via.PROXY, Via.SIZE_PROXY) else 0


def relay_for(via: str | None, content_type: str) -> Relay | None:
    """A fresh relay for one stream of this type, or None for the healthy stream."""
    if via is None:
        return None
    chosen = Via(via)
    if chosen in _COMPRESSORS:
        return Compressor(*_COMPRESSORS[chosen])
    if chosen is Via.PROXY:
        return BufferingProxy()
    if chosen is Via.SIZE_PROXY:
        return SizeProxy()
    if chosen is Via.CDN:
        return Pass(CDN_VIA) if streams_type(content_type) else Hold(CDN_VIA, whole_response=False)
    return Hold(None, whole_response=True)
