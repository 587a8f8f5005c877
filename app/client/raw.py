"""`transport-lab raw ENDPOINT`: the bytes of one HTTP response, exactly as they arrive.

A plain TCP socket (diagnose's connection) and a request built by the wire codec, no HTTP
library in between, so what is shown (hex chunk sizes, CRLFs, the zero-length last chunk)
is what crossed the wire; the codec's body reader says what each element is.
Exit status: 0 the whole body arrived, 1 the server refused or closed early, 2 bad usage
(a WebSocket or unknown endpoint, a URL that is not http://), 3 the server could not be
reached, 5 the body was not over within --timeout, 7 more than --max-bytes came, 130
interrupted (Ctrl-C).
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

from ..endpoints import ENDPOINTS
from ..exits import EXIT_FAILED, EXIT_OK, EXIT_TIMEOUT, EXIT_TOO_LARGE
from ..transport import Transport
from ..wire.chunked import Part, PartKind
from ..wire.errors import Limit, TooLarge, WireError
from ..wire.escape import escape_bytes
from ..wire.http import BodyReader, Head, body_reader, encode_request, parse_head, request_target
from .diagnose.connection import READ_SIZE, Failure, connect
from .options import (
    EXIT_HELP,
    Unreachable,
    UsageError,
    add_size_options,
    add_stream_options,
    add_timeout_option,
    check_url,
    endpoint_named,
    query_of,
    run_command,
    run_timeout,
    stopped,
    stream_url,
    timed_out,
)
from .terminal import say

#: Data longer than this is cut in the listing; the byte counts stay exact.
SHOWN_BYTES = 60
INDENT = " " * 14
CRLF = b"\r\n"

Write = Callable[[str], None]


def raw_request(url: str) -> bytes:
    """A minimal HTTP/1.1 GET that asks the server to close when it is done."""
    host, target = request_target(url)
    fields = [("User-Agent", "transport-lab-raw"), ("Accept", "*/*"), ("Connection", "close")]
    return encode_request("GET", target, host, fields)


def describe_part(part: Part, chunked: bool) -> str:
    """One wire element and what it means."""
    if not chunked:
        return f"{escape_bytes(part.raw, SHOWN_BYTES):<40}  <- body, {part.size} bytes (no chunk framing)"
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
        self.body: BodyReader | None = None
        self.totals = RawTotals()
        #: Bytes read, the head's included.
        self.received = 0
        #: What stopped the reading before the body's end: a line naming the bound, and the exit status.
        self.stopped = ""
        self.stopped_status = EXIT_OK

    def stop(self, line: str, status: int) -> None:
        self.stopped, self.stopped_status = line, status

    def feed(self, data: bytes) -> None:
        self.received += len(data)
        self.write(f"{(time.perf_counter() - self.start) * 1000:9.1f} ms  read {len(data)} bytes")
        if self.head is None:
            parsed = parse_head(self.pending + data)
            if parsed is None:
                self.pending += data
                return
            self.head, data = parsed
            self.body = body_reader(self.head)
            self.pending = b""
            for line in self.head.raw.split(b"\r\n")[:-1]:
                self.write(INDENT + escape_bytes(line + CRLF))
        if data:
            self._body(data)

    def _body(self, data: bytes) -> None:
        assert self.head is not None and self.body is not None
        for part in self.body.feed(data):
            self._count(part)
            self.write(f"{INDENT}{describe_part(part, self.head.chunked)}")

    def _count(self, part: Part) -> None:
        if part.kind is PartKind.DATA:
            self.totals.data_bytes += part.size
            self.totals.body += part.raw[: 4096 - len(self.totals.body)]
        else:
            self.totals.framing_bytes += len(part.raw)
            self.totals.chunks += part.kind is PartKind.SIZE

    def complete(self) -> bool:
        return self.body is not None and self.body.done

    def footer(self) -> str:
        t = self.totals
        framing = f"{t.framing_bytes} framing bytes" if self.head and self.head.chunked else "no chunk framing"
        return f"total: {t.chunks} chunks, {t.data_bytes} data bytes, {framing}"


def refusal_text(body: bytes) -> str:
    try:
        return str(json.loads(body)["error"])
    except (ValueError, KeyError, TypeError):
        return body[:200].decode(errors="replace")


async def show_raw(url: str, write: Write, seconds: float, max_bytes: int) -> RawView:
    """Connect, send the request, and write every element as it arrives, until the body ends,
    `seconds` pass, or more than `max_bytes` came (the view says which stopped it)."""
    parts = urlsplit(url)
    deadline = time.monotonic() + seconds
    connection = await connect(parts.hostname or "", parts.port or 80, tls=False, insecure=False, deadline=deadline)
    try:
        await connection.send(raw_request(url))
        write(f"GET {url} (request sent; every byte of the answer follows)")
        view = RawView(write)
        while not view.complete():
            if view.received >= max_bytes:
                view.stop(stopped(TooLarge(Limit.BODY, max_bytes)), EXIT_TOO_LARGE)
                break
            try:
                data = await connection.read(min(READ_SIZE, max_bytes - view.received))
            except TimeoutError:
                view.stop(timed_out(seconds), EXIT_TIMEOUT)
                break
            if not data:
                break
            view.feed(data)
        write(view.footer())
        return view
    finally:
        await connection.close()


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
    add_timeout_option(parser)
    add_size_options(parser, "bytes of the answer read at most, its head included", decoding=False)
    return parser


def raw(args: argparse.Namespace) -> int:
    # A plain socket, so plain http:// only: over TLS the framing is not what crossed the wire.
    base = check_url(args.url, schemes=("http",))
    endpoint = endpoint_named(args.endpoint)
    if endpoint.transport is Transport.WEBSOCKET:
        raise UsageError(f"{endpoint.name} is a WebSocket; raw shows HTTP bodies (chunked or buffered) only")
    try:
        url, timeout = stream_url(base, endpoint, query_of(args)), run_timeout(args, [endpoint])
        view = asyncio.run(show_raw(url, say, timeout, args.max_bytes))
    except Failure as failure:
        raise Unreachable(base, str(failure)) from None
    except OSError as error:
        raise Unreachable(base, error.strerror or str(error)) from None
    except WireError as error:
        say(f"{PROG}: the answer is not HTTP/1.1 that can be followed: {error}", file=sys.stderr)
        return EXIT_FAILED
    if view.stopped:
        say(f"{PROG}: {view.stopped}", file=sys.stderr)
        return view.stopped_status
    if view.head is None:
        say(f"{PROG}: the server closed the connection without an answer", file=sys.stderr)
        return EXIT_FAILED
    if view.head.status != 200:
        say(f"{PROG}: HTTP {view.head.status}: {refusal_text(view.totals.body)}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_command(PROG, lambda: raw(args))


if __name__ == "__main__":
    sys.exit(main())
