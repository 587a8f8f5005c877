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

from .errors import WireError

__all__ = ["DECODABLE", "ContentDecoder", "ContentEncoder"]

#: zlib's window bits for each framing of the deflate stream: gzip's header and trailer,
#: zlib's, or (decoding) whichever of the two the stream's header says.
_GZIP_WBITS = zlib.MAX_WBITS | 16
_ZLIB_WBITS = zlib.MAX_WBITS
_EITHER_WBITS = zlib.MAX_WBITS | 32
#: The Content-Encodings the decoder undoes (what a reader may ask for in Accept-Encoding).
DECODABLE = ("gzip", "x-gzip", "deflate")


class ContentEncoder:
    """A body compressed as it is written: `gzip` or `deflate` (zlib-wrapped, as HTTP means it)."""

    def __init__(self, encoding: str = "gzip") -> None:
        if encoding not in ("gzip", "deflate"):
            raise ValueError(f"cannot encode {encoding!r}")
        self.encoding = encoding
        self._zlib = zlib.compressobj(wbits=_GZIP_WBITS if encoding == "gzip" else _ZLIB_WBITS)

    def feed(self, data: bytes, flush: bool = False) -> bytes:
        """What the compressor lets out for `data`: little or nothing until its buffer fills,
        unless `flush` (a sync flush) puts everything so far on the wire, still compressed."""
        out = self._zlib.compress(data)
        return out + self._zlib.flush(zlib.Z_SYNC_FLUSH) if flush else out

    def end(self) -> bytes:
        """The rest of the compressed stream and its trailer."""
        return self._zlib.flush()


class ContentDecoder:
    """A body's Content-Encoding undone read by read: `gzip` (or `deflate`), or none.
    WireError for an encoding it cannot undo, or bytes that are not that encoding."""

    def __init__(self, content_encoding: str = "") -> None:
        self.encoding = content_encoding.strip().lower()
        if self.encoding in ("", "identity"):
            self.encoding, self._zlib = "", None
        elif self.encoding in DECODABLE:
            self._zlib = zlib.decompressobj(wbits=_EITHER_WBITS)
        else:
            raise WireError(f"cannot decode Content-Encoding {content_encoding!r}")

    def feed(self, data: bytes) -> bytes:
        if self._zlib is None:
            return data
        try:
            return self._zlib.decompress(data)
        except zlib.error as error:
            raise WireError(f"bad {self.encoding} body: {error}") from None

    def flush(self) -> bytes:
        """At the end of the body: whatever the decompressor still holds."""
        return b"" if self._zlib is None else self._zlib.flush()
