"""Content codings (RFC 9110, section 8.4.1): gzip and deflate, both ways, one read or one
message at a time.

`ContentEncoder` is what the server's culprit relays compress with (as a compression
middleware would, flushed after each message or not); `ContentDecoder` undoes a body's
Content-Encoding for the terminal, so a reader counts the compressed bytes that crossed the
wire and still parses the decoded ones. Decoded bytes come out as soon as the compressor
flushed them: a sync flush per message gives each message at once, an unflushed stream
gives nothing until its end.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

from .errors import Limit, TooLarge, WireError

__all__ = ["DECODABLE", "INFLATE_STEP", "MAX_DECODED", "ContentDecoder", "ContentEncoder"]

#: zlib's window bits for each framing of the deflate stream: gzip's header and trailer,
#: zlib's, or (decoding) whichever of the two the stream's header says.
_GZIP_WBITS = zlib.MAX_WBITS | 16
_ZLIB_WBITS = zlib.MAX_WBITS
_EITHER_WBITS = zlib.MAX_WBITS | 32
#: The Content-Encodings the decoder undoes (what a reader may ask for in Accept-Encoding).
DECODABLE = ("gzip", "x-gzip", "deflate")
#: The most one call to the decompressor may inflate, so a bound is checked every step.
INFLATE_STEP = 1024 * 1024
#: What a body may decode to unless its reader says otherwise (a gzip bomb inflates a
#: thousandfold: 1 MB on the wire, 1 GB decoded).
MAX_DECODED = 64 * 1024 * 1024


class ContentEncoder:
    """A body compressed as it is written: `gzip` or `deflate` (zlib-wrapped, as HTTP means it)."""

    def __init__(self, encoding: str = "gzip") -> None:
        if encoding not in ("gzip", "deflate"):
            raise ValueError(f"cannot encode {encoding!r}")
        self.encoding = encoding
        self._zlib = zlib.compressobj(wbits=_GZIP_WBITS if encoding == "gzip" else _ZLIB_WBITS)

    def feed(self, data: bytes | memoryview, flush: bool = False) -> bytes:
        """What the compressor lets out for `data`: little or nothing until its buffer fills,
        unless `flush` (a sync flush) puts everything so far on the wire, still compressed."""
        out = self._zlib.compress(data)
        return out + self._zlib.flush(zlib.Z_SYNC_FLUSH) if flush else out

    def end(self) -> bytes:
        """The rest of the compressed stream and its trailer."""
        return self._zlib.flush()


class ContentDecoder:
    """A body's Content-Encoding undone read by read: `gzip` (or `deflate`), or none.
    WireError for an encoding it cannot undo, or bytes that are not that encoding;
    TooLarge once a compressed body decodes to more than `max_decoded` bytes (None: no bound).

    A few hundred compressed bytes may inflate to megabytes (a thousand to one for a run of
    zeros), so the decompressor is drained in steps of at most INFLATE_STEP bytes, and the
    bound is checked after each: one read never inflates more than the bound and a step.
    `steps` hands each step over before the next is inflated, so a reader that is done with
    one before it takes the next holds a step, not a read's worth, however far it inflates.
    """

    def __init__(self, content_encoding: str = "", max_decoded: int | None = MAX_DECODED) -> None:
        self.encoding = content_encoding.strip().lower()
        self.max_decoded = max_decoded
        #: Bytes decoded so far.
        self.decoded = 0
        if self.encoding in ("", "identity"):
            self.encoding, self._zlib = "", None
        elif self.encoding in DECODABLE:
            self._zlib = zlib.decompressobj(wbits=_EITHER_WBITS)
        else:
            raise WireError(f"cannot decode Content-Encoding {content_encoding!r}")

    def feed(self, data: bytes) -> bytes:
        """All that `data` decodes to, at once (a read's worth: see `steps`)."""
        return b"".join(self.steps(data))

    def steps(self, data: bytes) -> Iterator[bytes]:
        """What `data` decodes to, in pieces of at most INFLATE_STEP bytes (none empty), each
        inflated only when the one before has been taken. Take them all: what `data` still
        held when a caller stops taking is lost."""
        if self._zlib is None:
            self.decoded += len(data)  # no more than crossed the wire: the reader bounds that
            if data:
                yield data
            return
        while True:
            if self._zlib.eof and data:
                # A gzip body may be several members one after another (RFC 1952, 2.2), as
                # a server that compresses each write on its own sends it: each is inflated.
                self._zlib = zlib.decompressobj(wbits=_EITHER_WBITS)
            try:
                piece = self._zlib.decompress(data, INFLATE_STEP)
            except zlib.error as error:
                raise WireError(f"bad {self.encoding} body: {error}") from None
            if piece:
                yield self._counted(piece)
            data = self._zlib.unused_data if self._zlib.eof else self._zlib.unconsumed_tail
            # A full step may leave output inside zlib even with no input left.
            if not data and len(piece) < INFLATE_STEP:
                return

    def flush(self) -> bytes:
        """At the end of the body: whatever the decompressor still holds."""
        return b"" if self._zlib is None else self._counted(self._zlib.flush())

    def _counted(self, data: bytes) -> bytes:
        self.decoded += len(data)
        if self.max_decoded is not None and self.decoded > self.max_decoded:
            raise TooLarge(Limit.DECODED, self.max_decoded)
        return data
