"""`transport-lab raw ENDPOINT`: the bytes of one HTTP response, exactly as they arrive.

A plain TCP socket and a hand-written request, no HTTP library in between, so what is
shown (hex chunk sizes, CRLFs, the zero-length last chunk) is what crossed the wire.
Exit status: 0 the whole body arrived, 1 the server refused or closed early, 2 bad usage
(a WebSocket or unknown endpoint, a URL that is not http://), 3 the server could not be
reached, 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..endpoints import ENDPOINTS, Transport
from ..exits import EXIT_FAILED, EXIT_OK
from .options import (
    EXIT_HELP,
    Unreachable,
    UsageError,
    add_stream_options,
    check_url,
    endpoint_named,
    query_of,
    run_command,
    stream_url,
)
from .wire import ChunkDecoder, ChunkPart, Head, PartKind, escape_bytes, parse_head

#: Data longer than this is cut in the listing; the byte counts stay exact.
SHOWN_BYTES = 60
READ_SIZE = 65536
INDENT = " " * 14
CRLF = b"\r\n"

Write = Callable[[str], None]


def raw_request(url: str) -> bytes:
    """A minimal HTTP/1.1 GET that asks the server to close when it is done."""
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    return (
        f"GET {target} HTTP/1.1\r\nHost: {parts.netloc}\r\nUser-Agent: transport-lab-raw\r\n"
        "Accept: */*\r\nConnection: close\r\n\r\n"
    ).encode("ascii")


def describe_part(part: ChunkPart) -> str:
    """One wire element and what it means."""
    notes = {
        PartKind.SIZE: f"chunk size 0x{part.size:x} = {part.size} bytes",
        PartKind.DATA: f"data, {part.size} bytes",
        PartKind.END: "end of chunk data",
        PartKind.LAST: "last chunk: size 0",
        PartKind.TRAILER: "end of body" if part.raw == b"\r\n" else "trailer field",
    }
    return f"{escape_bytes(part.raw, SHOWN_BYTES):<40}  <- {notes[part.kind]}"


@dataclass
class RawTotals:
    chunks: int = 0
    data_bytes: int = 0
    framing_bytes: int = 0
    body: bytes = b""


class RawView:
    """Feeds what arrives to the head parser, then to the body's framing, writing each element."""

    def __init__(self, write: Write) -> None:
        self.write = write
        self.start = time.perf_counter()
        self.pending = b""
        self.head: Head | None = None
        self.decoder = ChunkDecoder()
        self.totals = RawTotals()

    def feed(self, data: bytes) -> None:
        self.write(f"{(time.perf_counter() - self.start) * 1000:9.1f} ms  read {len(data)} bytes")
        if self.head is None:
            parsed = parse_head(self.pending + data)
            if parsed is None:
                self.pending += data
                return
            self.head, data = parsed
            self.pending = b""
            for line in self.head.raw.split(b"\r\n")[:-1]:
                self.write(INDENT + escape_bytes(line + CRLF))
        if data:
            self._body(data)

    def _body(self, data: bytes) -> None:
        assert self.head is not None
        if not self.head.chunked:
            self.totals.data_bytes += len(data)
            self.totals.body += data[: 4096 - len(self.totals.body)]
            self.write(f"{INDENT}{escape_bytes(data, SHOWN_BYTES):<40}  <- body, {len(data)} bytes (no chunk framing)")
            return
        for part in self.decoder.feed(data):
            self._count(part)
            self.write(f"{INDENT}{describe_part(part)}")

    def _count(self, part: ChunkPart) -> None:
        if part.kind is PartKind.DATA:
            self.totals.data_bytes += part.size
            self.totals.body += part.raw[: 4096 - len(self.totals.body)]
        else:
            self.totals.framing_bytes += len(part.raw)
            self.totals.chunks += part.kind is PartKind.SIZE

    def complete(self) -> bool:
        if self.head is None:
            return False
        if self.head.chunked:
            return self.decoder.done
        length = self.head.content_length
        return length is not None and self.totals.data_bytes >= length

    def footer(self) -> str:
        t = self.totals
        framing = f"{t.framing_bytes} framing bytes" if self.head and self.head.chunked else "no chunk framing"
        return f"total: {t.chunks} chunks, {t.data_bytes} data bytes, {framing}"


def refusal_text(body: bytes) -> str:
    try:
        return str(json.loads(body)["error"])
    except (ValueError, KeyError, TypeError):
        return body[:200].decode(errors="replace")


async def show_raw(url: str, write: Write) -> RawView:
    """Connect, send the request, and write every element as it arrives, until the body ends."""
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port or 80)
    try:
        writer.write(raw_request(url))
        await writer.drain()
        write(f"GET {url} (request sent; every byte of the answer follows)")
        view = RawView(write)
        while not view.complete():
            data = await reader.read(READ_SIZE)
            if not data:
                break
            view.feed(data)
        write(view.footer())
        return view
    finally:
        writer.close()


PROG = "transport-lab raw"


def build_parser() -> argparse.ArgumentParser:
    names = ", ".join(e.name for e in ENDPOINTS if e.transport is not Transport.WEBSOCKET)
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Show the bytes of one HTTP endpoint's response as they cross the wire.",
        epilog=EXIT_HELP,
    )
    parser.add_argument("endpoint", metavar="ENDPOINT", help=f"one HTTP endpoint: {names}")
    add_stream_options(parser, stamp=False)
    return parser


def raw(args: argparse.Namespace) -> int:
    # A plain socket, so plain http:// only: over TLS the framing is not what crossed the wire.
    base = check_url(args.url, schemes=("http",))
    endpoint = endpoint_named(args.endpoint)
    if endpoint.transport is Transport.WEBSOCKET:
        raise UsageError(f"{endpoint.name} is a WebSocket; raw shows HTTP bodies (chunked or buffered) only")
    try:
        view = asyncio.run(show_raw(stream_url(base, endpoint, query_of(args)), lambda line: print(line, flush=True)))
    except OSError as error:
        raise Unreachable(f"cannot reach the server at {base}: {error.strerror or error}") from None
    if view.head is None:
        print(f"{PROG}: the server closed the connection without an answer", file=sys.stderr)
        return EXIT_FAILED
    if view.head.status != 200:
        print(f"{PROG}: HTTP {view.head.status}: {refusal_text(view.totals.body)}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_command(PROG, lambda: raw(args))


if __name__ == "__main__":
    sys.exit(main())
