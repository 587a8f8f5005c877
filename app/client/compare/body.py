"""A response body as the readers pull it: decoded, with what crossed the wire counted."""

from __future__ import annotations

from collections.abc import Iterator

import aiohttp

from ...wire.chunked import chunk_framing_bytes
from ...wire.coding import MAX_DECODED, ContentDecoder
from ...wire.errors import Limit, TooLarge
from .model import Context, StreamResult


class WireBudget:
    """The bytes one stream may read from the wire (--max-bytes), over all its responses:
    SSE's reconnections draw on one budget, so a server that cuts each connection and is
    asked again cannot make the bound start over."""

    def __init__(self, max_bytes: int | None) -> None:
        self.max_bytes = max_bytes
        #: Bytes read so far, every response of the stream together.
        self.received = 0

    def spend(self, size: int) -> None:
        """`size` more bytes read; TooLarge once the budget is passed."""
        self.received += size
        if self.max_bytes is not None and self.received > self.max_bytes:
            raise TooLarge(Limit.BODY, self.max_bytes)


class CountingBody:
    """An async `read()` over a response body that notes HTTP chunk boundaries as it goes.

    ijson.items_async and the line readers pull from this, so one pass both parses and
    counts what chunked encoding put on the wire. A Content-Encoding (gzip, deflate, br,
    zstd) is undone here, not by aiohttp, so the compressed bytes are counted as they
    arrive; a read is handed on a step (INFLATE_STEP) at a time, so a reader holds a step
    or two of what it inflates to, not the whole read's worth. TooLarge once the stream's
    `budget` is spent (or the decoder's own bound is passed).
    """

    def __init__(
        self,
        content: aiohttp.StreamReader,
        result: StreamResult,
        decoder: ContentDecoder,
        budget: WireBudget | None = None,
    ) -> None:
        self._content = content
        self._result = result
        self._decoder = decoder
        self._chunk = 0
        self._budget = budget if budget is not None else WireBudget(None)
        # The read being handed on: its steps, the one taken ahead, whether it ends a chunk.
        self._steps: Iterator[bytes] = iter(())
        self._ahead: bytes | None = None
        self._chunk_end = False
        if decoder.encoding and result.encoded_bytes is None:
            result.encoded_bytes = 0

    async def read_chunk(self) -> tuple[bytes, bool]:
        """`(data, ends_a_chunk)` as aiohttp reports it, decoded; `(b"", False)` at the end.

        Compressed bytes that decode to nothing yet are read past, unless they end a chunk.
        """
        while True:
            step = self._next_step()
            if step is not None:
                return step
            raw, chunk_end = await self._content.readchunk()
            self._count(raw, chunk_end)
            if not raw and not chunk_end:
                data = self._decoder.flush()
                self._result.body_bytes += len(data)
                return data, False
            self._steps, self._chunk_end = self._decoder.steps(raw), chunk_end
            self._ahead = next(self._steps, b"")

    def _next_step(self) -> tuple[bytes, bool] | None:
        """The next step of the read being handed on, with the chunk's end on its last one
        (known by taking the one after it ahead); None once the read has no more."""
        if self._ahead is None:
            return None
        data, self._ahead = self._ahead, next(self._steps, None)
        chunk_end = self._ahead is None and self._chunk_end
        if not data and not chunk_end:
            return None
        self._result.body_bytes += len(data)
        return data, chunk_end

    def _count(self, raw: bytes, chunk_end: bool) -> None:
        self._budget.spend(len(raw))
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


def open_body(
    response: aiohttp.ClientResponse, result: StreamResult, ctx: Context | None = None, budget: WireBudget | None = None
) -> CountingBody:
    """The body of a response requested with `auto_decompress=False`, within `ctx`'s bounds:
    its bytes drawn from `budget` (the stream's, when it has more than one response)."""
    max_bytes, max_decoded = (ctx.max_bytes, ctx.max_decoded) if ctx is not None else (None, MAX_DECODED)
    decoder = ContentDecoder(response.headers.get("Content-Encoding", ""), max_decoded)
    return CountingBody(response.content, result, decoder, budget if budget is not None else WireBudget(max_bytes))
