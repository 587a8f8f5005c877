"""A response body as the readers pull it: decoded, with what crossed the wire counted."""

from __future__ import annotations

import aiohttp

from ...wire.chunked import chunk_framing_bytes
from ...wire.coding import MAX_DECODED, ContentDecoder
from ...wire.errors import Limit, TooLarge
from .model import Context, StreamResult


class CountingBody:
    """An async `read()` over a response body that notes HTTP chunk boundaries as it goes.

    ijson.items_async and the line readers pull from this, so one pass both parses and
    counts what chunked encoding put on the wire. A Content-Encoding (gzip) is undone here,
    not by aiohttp, so the compressed bytes are counted as they arrive. TooLarge once more
    than `max_bytes` came (or the decoder's own bound is passed).
    """

    def __init__(
        self,
        content: aiohttp.StreamReader,
        result: StreamResult,
        decoder: ContentDecoder,
        max_bytes: int | None = None,
    ) -> None:
        self._content = content
        self._result = result
        self._decoder = decoder
        self._chunk = 0
        self._received = 0
        self._max_bytes = max_bytes
        if decoder.encoding and result.encoded_bytes is None:
            result.encoded_bytes = 0

    async def read_chunk(self) -> tuple[bytes, bool]:
        """`(data, ends_a_chunk)` as aiohttp reports it, decoded; `(b"", False)` at the end.

        Compressed bytes that decode to nothing yet are read past, unless they end a chunk.
        """
        while True:
            raw, chunk_end = await self._content.readchunk()
            self._count(raw, chunk_end)
            at_end = not raw and not chunk_end
            data = self._decoder.flush() if at_end else self._decoder.feed(raw)
            self._result.body_bytes += len(data)
            if data or chunk_end or at_end:
                return data, chunk_end

    def _count(self, raw: bytes, chunk_end: bool) -> None:
        self._received += len(raw)
        if self._max_bytes is not None and self._received > self._max_bytes:
            raise TooLarge(Limit.BODY, self._max_bytes)
        self._chunk += len(raw)
        if self._result.encoded_bytes is not None and self._decoder.encoding:
            self._result.encoded_bytes += len(raw)
        # aiohttp also reports the zero-size last chunk; that one is counted once, at the end.
        if chunk_end and self._chunk:
            self._result.chunks += 1
            self._result.transfer_bytes += chunk_framing_bytes(self._chunk)
            self._chunk = 0

    async def read(self, size: int = -1) -> bytes:
        """The next bytes that arrived, whatever `size` asks (b"" only at the end)."""
        if size == 0:
            # ijson reads 0 bytes first to learn whether it gets bytes or text.
            return b""
        while True:
            data, chunk_end = await self.read_chunk()
            if data or not chunk_end:
                return data


def open_body(response: aiohttp.ClientResponse, result: StreamResult, ctx: Context | None = None) -> CountingBody:
    """The body of a response requested with `auto_decompress=False`, within `ctx`'s bounds."""
    max_bytes, max_decoded = (ctx.max_bytes, ctx.max_decoded) if ctx is not None else (None, MAX_DECODED)
    decoder = ContentDecoder(response.headers.get("Content-Encoding", ""), max_decoded)
    return CountingBody(response.content, result, decoder, max_bytes)
