"""What stands between the server and the reader, imitated inside the app: pure byte
relays (bytes in per message, bytes out whenever the relay lets them go; no I/O)."""

from __future__ import annotations

from typing import Protocol

from ...culprits import PROXY_BLOCK_BYTES, Via
from ...wire.coding import ContentEncoder


class Relay(Protocol):
    #: The Content-Encoding the relay puts on the response, if any.
    content_encoding: str | None
    #: The Via header a relay that stands for a proxy adds, as real proxies do.
    via: str | None
    #: The response's head waits for the first bytes the relay lets go, as a buffering
    #: proxy's does (nginx sends a head under 1460 bytes only with its first block).
    holds_head: bool

    def feed(self, data: bytes | memoryview, whole: bool = True) -> bytes:
        """Take one message's bytes (or a piece of them: `whole` is False for all but its
        last); return what goes on to the reader now."""
        ...

    def end(self) -> bytes:
        """The stream is over: return everything still held."""
        ...


class Gzip:
    """A compression middleware: compresses as it goes, flushes only when its buffer fills."""

    content_encoding: str | None = "gzip"
    via: str | None = None
    #: A compression middleware sends the head at once (its gzip header follows it).
    holds_head = False

    #: Flushed after every message, or only when the compressor's buffer fills.
    flush = False

    def __init__(self) -> None:
        self._encoder = ContentEncoder("gzip")

    def feed(self, data: bytes | memoryview, whole: bool = True) -> bytes:
        return self._encoder.feed(data, self.flush and whole)

    def end(self) -> bytes:
        return self._encoder.end()


class GzipFlush(Gzip):
    """The fix: a sync flush after every message puts it on the wire, still compressed."""

    flush = True


class BufferingProxy:
    """A reverse proxy with buffering on: passes the body on in whole blocks, the rest at the end."""

    content_encoding: str | None = None
    via: str | None = "1.1 transport-lab (emulated buffering proxy)"
    holds_head = True

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


RELAYS: dict[Via, type[Gzip] | type[BufferingProxy]] = {
    Via.GZIP: Gzip,
    Via.GZIP_FLUSH: GzipFlush,
    Via.PROXY: BufferingProxy,
}


def relay_for(via: str | None) -> Relay | None:
    """A fresh relay for one stream, or None for the healthy stream."""
    return None if via is None else RELAYS[Via(via)]()
