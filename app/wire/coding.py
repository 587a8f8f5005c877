"""Content codings (RFC 9110, section 8.4.1): gzip, deflate, Brotli and Zstandard, both
ways, one read or one message at a time.

`ContentEncoder` is what the server's culprit relays compress with (as a compression
middleware would, flushed after each message or not); `ContentDecoder` undoes a body's
Content-Encoding for the terminal, so a reader counts the compressed bytes that crossed the
wire and still parses the decoded ones. Decoded bytes come out as soon as the compressor
flushed them: a flush per message gives each message at once, an unflushed stream gives
nothing until its compressor's buffer fills or the stream ends.

Brotli is Google's own binding (`Brotli`); Zstandard is the standard library's
`compression.zstd` (Python 3.14), or its backport before that: neither format is one to
write again, and both decompress to a bounded length per call, which the bounds need.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import Protocol

import brotli

try:
    from compression import zstd  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # before Python 3.14
    from backports import zstd  # type: ignore[no-redef,unused-ignore]

from .errors import Limit, TooLarge, WireError

__all__ = ["DECODABLE", "ENCODINGS", "INFLATE_STEP", "MAX_DECODED", "ContentDecoder", "ContentEncoder"]

#: zlib's window bits for each framing of the deflate stream: gzip's header and trailer,
#: zlib's, or (decoding) whichever of the two the stream's header says.
_GZIP_WBITS = zlib.MAX_WBITS | 16
_ZLIB_WBITS = zlib.MAX_WBITS
_EITHER_WBITS = zlib.MAX_WBITS | 32
#: The Content-Encodings the encoder writes.
ENCODINGS = ("gzip", "deflate", "br", "zstd")
#: The Content-Encodings the decoder undoes (what a reader may ask for in Accept-Encoding).
DECODABLE = ("gzip", "x-gzip", "deflate", "br", "zstd")
#: The most one call to the decompressor may inflate, so a bound is checked every step.
INFLATE_STEP = 1024 * 1024
#: What a body may decode to unless its reader says otherwise (a gzip bomb inflates a
#: thousandfold: 1 MB on the wire, 1 GB decoded).
MAX_DECODED = 64 * 1024 * 1024
#: Brotli as compression middlewares set it for dynamic content (Node's `compression`,
#: nginx's brotli module: quality 4-6), not its default 11, which is for files compressed
#: once; a 256 KiB window keeps each stream's compressor under a megabyte.
BROTLI_QUALITY = 4
BROTLI_WINDOW_BITS = 18
#: Zstandard's default level, in a 256 KiB window for the same reason.
ZSTD_LEVEL = 3
ZSTD_WINDOW_LOG = 18


class _Compressor(Protocol):
    def feed(self, data: bytes | memoryview, flush: bool) -> bytes: ...
    def end(self) -> bytes: ...


class _Deflate:
    def __init__(self, wbits: int) -> None:
        self._zlib = zlib.compressobj(wbits=wbits)

    def feed(self, data: bytes | memoryview, flush: bool) -> bytes:
        out = self._zlib.compress(data)
        return out + self._zlib.flush(zlib.Z_SYNC_FLUSH) if flush else out

    def end(self) -> bytes:
        return self._zlib.flush()


class _Brotli:
    def __init__(self) -> None:
        self._brotli = brotli.Compressor(quality=BROTLI_QUALITY, lgwin=BROTLI_WINDOW_BITS)

    def feed(self, data: bytes | memoryview, flush: bool) -> bytes:
        out: bytes = self._brotli.process(bytes(data))
        return out + self._brotli.flush() if flush else out

    def end(self) -> bytes:
        out: bytes = self._brotli.finish()
        return out


class _Zstd:
    def __init__(self) -> None:
        options = {zstd.CompressionParameter.compression_level: ZSTD_LEVEL}
        options[zstd.CompressionParameter.window_log] = ZSTD_WINDOW_LOG
        self._zstd = zstd.ZstdCompressor(options=options)

    def feed(self, data: bytes | memoryview, flush: bool) -> bytes:
        mode = zstd.ZstdCompressor.FLUSH_BLOCK if flush else zstd.ZstdCompressor.CONTINUE
        out: bytes = self._zstd.compress(data, mode)
        return out

    def end(self) -> bytes:
        out: bytes = self._zstd.flush(zstd.ZstdCompressor.FLUSH_FRAME)
        return out


class ContentEncoder:
    """A body compressed as it is written: `gzip`, `deflate` (zlib-wrapped, as HTTP means
    it), `br` or `zstd`."""

    def __init__(self, encoding: str = "gzip") -> None:
        self.encoding = encoding
        self._compressor: _Compressor
        if encoding in ("gzip", "deflate"):
            self._compressor = _Deflate(_GZIP_WBITS if encoding == "gzip" else _ZLIB_WBITS)
        elif encoding == "br":
            self._compressor = _Brotli()
        elif encoding == "zstd":
            self._compressor = _Zstd()
        else:
            raise ValueError(f"cannot encode {encoding!r}")

    def feed(self, data: bytes | memoryview, flush: bool = False) -> bytes:
        """What the compressor lets out for `data`: little or nothing until its buffer fills,
        unless `flush` (zlib's sync flush, Brotli's flush, a Zstandard block flush) puts
        everything so far on the wire, still compressed."""
        return self._compressor.feed(data, flush)

    def end(self) -> bytes:
        """The rest of the compressed stream and its trailer."""
        return self._compressor.end()


class _Inflater(Protocol):
    def steps(self, data: bytes) -> Iterator[bytes]: ...
    def flush(self) -> bytes: ...


class _Inflate:
    """gzip or deflate, whichever the stream's header says; gzip members one after another."""

    def __init__(self) -> None:
        self._zlib = zlib.decompressobj(wbits=_EITHER_WBITS)

    def steps(self, data: bytes) -> Iterator[bytes]:
        while True:
            if self._zlib.eof and data:
                # A gzip body may be several members one after another (RFC 1952, 2.2), as
                # a server that compresses each write on its own sends it: each is inflated.
                self._zlib = zlib.decompressobj(wbits=_EITHER_WBITS)
            try:
                piece = self._zlib.decompress(data, INFLATE_STEP)
            except zlib.error as error:
                raise WireError(str(error)) from None
            if piece:
                yield piece
            data = self._zlib.unused_data if self._zlib.eof else self._zlib.unconsumed_tail
            # A full step may leave output inside zlib even with no input left.
            if not data and len(piece) < INFLATE_STEP:
                return

    def flush(self) -> bytes:
        return self._zlib.flush()


class _Unbrotli:
    def __init__(self) -> None:
        self._brotli = brotli.Decompressor()

    def steps(self, data: bytes) -> Iterator[bytes]:
        try:
            piece = self._brotli.process(data, output_buffer_limit=INFLATE_STEP)
            while True:
                if piece:
                    yield piece
                # Until it can take more input, it still holds output for this input.
                if self._brotli.can_accept_more_data():
                    return
                piece = self._brotli.process(b"", output_buffer_limit=INFLATE_STEP)
        except brotli.error as error:
            raise WireError(str(error) or "not a valid stream") from None

    def flush(self) -> bytes:
        return b""


class _Unzstd:
    def __init__(self) -> None:
        self._zstd = zstd.ZstdDecompressor()

    def steps(self, data: bytes) -> Iterator[bytes]:
        while True:
            if self._zstd.eof:
                if not data:
                    return
                # Frames may follow one another (RFC 8878, section 3): each is decoded.
                self._zstd = zstd.ZstdDecompressor()
            try:
                piece = self._zstd.decompress(data, max_length=INFLATE_STEP)
            except zstd.ZstdError as error:
                raise WireError(str(error) or "not a valid stream") from None
            if piece:
                yield piece
            data = self._zstd.unused_data if self._zstd.eof else b""
            if not data and (self._zstd.eof or self._zstd.needs_input):
                return

    def flush(self) -> bytes:
        return b""


def _inflater(encoding: str) -> _Inflater:
    if encoding == "br":
        return _Unbrotli()
    if encoding == "zstd":
        return _Unzstd()
    return _Inflate()


class ContentDecoder:
    """A body's Content-Encoding undone read by read: `gzip` (or `deflate`), `br`, `zstd`,
    or none. WireError for an encoding it cannot undo, or bytes that are not that encoding;
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
        self._inflater: _Inflater | None
        if self.encoding in ("", "identity"):
            self.encoding, self._inflater = "", None
        elif self.encoding in DECODABLE:
            self._inflater = _inflater(self.encoding)
        else:
            raise WireError(f"cannot decode Content-Encoding {content_encoding!r}")

    def feed(self, data: bytes) -> bytes:
        """All that `data` decodes to, at once (a read's worth: see `steps`)."""
        return b"".join(self.steps(data))

    def steps(self, data: bytes) -> Iterator[bytes]:
        """What `data` decodes to, in pieces of at most INFLATE_STEP bytes (none empty), each
        inflated only when the one before has been taken. Take them all: what `data` still
        held when a caller stops taking is lost."""
        if self._inflater is None:
            self.decoded += len(data)  # no more than crossed the wire: the reader bounds that
            if data:
                yield data
            return
        pieces = self._inflater.steps(data)
        while True:
            try:
                piece = next(pieces, None)
            except WireError as error:
                raise WireError(f"bad {self.encoding} body: {error}") from None
            if piece is None:
                return
            yield self._counted(piece)

    def flush(self) -> bytes:
        """At the end of the body: whatever the decompressor still holds."""
        return b"" if self._inflater is None else self._counted(self._inflater.flush())

    def _counted(self, data: bytes) -> bytes:
        self.decoded += len(data)
        if self.max_decoded is not None and self.decoded > self.max_decoded:
            raise TooLarge(Limit.DECODED, self.max_decoded)
        return data
