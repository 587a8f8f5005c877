"""Ground truth of what arrives when, told by clients that owe nothing to `diagnose`: curl
with `--trace --trace-time` (every read curl made, with its bytes and the wall-clock time),
and a raw socket reader written here. Both give the same `Trace`.

Times are milliseconds from the moment the request was written. Body sizes are content
sizes: HTTP/1.1 chunk framing is taken off here by a small decoder of our own, so a block
of 4096 B means 4096 B of (possibly compressed) content.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

#: Reads closer together than this are one arrival (one write seen in several reads).
JOIN_MS = 5.0

_EVENT = re.compile(r"^(\d\d):(\d\d):(\d\d\.\d+) (=>|<=|==) ([^,]*)")


@dataclass(frozen=True)
class Read:
    """One read of body data: when, its bytes on the wire, the content they carried."""

    t_ms: float
    wire_bytes: int
    body_bytes: int


@dataclass(frozen=True)
class Burst:
    """Reads that came together (within JOIN_MS of each other)."""

    t_ms: float
    body_bytes: int
    reads: int


class Dechunker:
    """HTTP/1.1 chunked framing taken off incrementally: `feed` returns the content bytes."""

    def __init__(self) -> None:
        self.pending = b""
        self.left = 0  # content bytes still due in the current chunk
        self.crlf = 0  # bytes of the CRLF after a chunk still due
        self.done = False

    def feed(self, data: bytes) -> int:
        content = 0
        data = self.pending + data
        self.pending = b""
        while data and not self.done:
            if self.left:
                take = min(self.left, len(data))
                content, self.left, data = content + take, self.left - take, data[take:]
                self.crlf = 2 if not self.left else 0
            elif self.crlf:
                skip = min(self.crlf, len(data))
                self.crlf, data = self.crlf - skip, data[skip:]
            elif b"\r\n" in data:
                line, data = data.split(b"\r\n", 1)
                size = int(line.split(b";")[0].strip(), 16)
                self.left, self.done = size, size == 0
            else:
                self.pending = data
                break
        return content


@dataclass
class Trace:
    """What one independent client saw of one exchange."""

    tool: str
    status: int = 0
    #: Header names lower-cased; repeated fields joined with ", ".
    headers: dict[str, str] = field(default_factory=dict)
    headers_ms: float = 0.0
    reads: list[Read] = field(default_factory=list)
    end_ms: float = 0.0

    @property
    def body_bytes(self) -> int:
        return sum(read.body_bytes for read in self.reads)

    @property
    def first_body_ms(self) -> float | None:
        return next((read.t_ms for read in self.reads if read.body_bytes), None)

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")

    def bursts(self, join_ms: float = JOIN_MS) -> list[Burst]:
        """Body arrivals: reads of content within `join_ms` of the previous one are joined."""
        bursts: list[Burst] = []
        last = -1e9
        for read in (r for r in self.reads if r.body_bytes):
            if bursts and read.t_ms - last <= join_ms:
                b = bursts[-1]
                bursts[-1] = Burst(b.t_ms, b.body_bytes + read.body_bytes, b.reads + 1)
            else:
                bursts.append(Burst(read.t_ms, read.body_bytes, 1))
            last = read.t_ms
        return bursts

    def silences_ms(self, join_ms: float = JOIN_MS) -> list[float]:
        """The gaps between consecutive bursts."""
        times = [burst.t_ms for burst in self.bursts(join_ms)]
        return [later - earlier for earlier, later in itertools.pairwise(times)]

    def describe(self, join_ms: float = JOIN_MS, shown: int = 8) -> str:
        """One line to put in an assertion message: the head's time and the bursts."""
        bursts = self.bursts(join_ms)
        listed = ", ".join(f"{b.body_bytes} B @{b.t_ms:.0f}" for b in bursts[:shown])
        more = f", … ({len(bursts)} bursts)" if len(bursts) > shown else ""
        head = f"HTTP {self.status}, head @{self.headers_ms:.0f} ms"
        return f"{self.tool}: {head}, body {listed}{more}, end @{self.end_ms:.0f} ms"


def _parse_head(trace: Trace, head: bytes) -> None:
    lines = head.decode("latin-1").split("\r\n")
    trace.status = int(lines[0].split()[1])
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            key = name.strip().lower()
            value = value.strip()
            trace.headers[key] = f"{trace.headers[key]}, {value}" if key in trace.headers else value


def _body_counter(trace: Trace) -> Dechunker | None:
    return Dechunker() if "chunked" in trace.header("transfer-encoding").lower() else None


def parse_curl_trace(text: str) -> Trace:
    """A Trace from curl's `--trace FILE --trace-time` output (hex dumps, HTTP/1.x)."""
    trace = Trace("curl")
    sent: float | None = None
    head = b""
    dechunker: Dechunker | None = None
    kind, t_ms, data = "", 0.0, bytearray()

    def finish() -> None:
        nonlocal head, dechunker
        if kind == "Recv header":
            if not head:
                trace.headers_ms = t_ms
            head += bytes(data)
            if head.endswith(b"\r\n\r\n") and not head.startswith(b"HTTP/1.1 1"):
                _parse_head(trace, head)
                dechunker = _body_counter(trace)
            elif head.endswith(b"\r\n\r\n"):
                head = b""  # an interim 1xx head: the real one follows
        elif kind == "Recv data":
            body = dechunker.feed(bytes(data)) if dechunker else len(data)
            trace.reads.append(Read(t_ms, len(data), body))

    for line in text.splitlines():
        event = _EVENT.match(line)
        if event is None:
            if kind and ": " in line:
                data.extend(bytes.fromhex(line.split(": ", 1)[1][:48]))
            continue
        finish()
        hours, minutes, seconds, direction, what = event.groups()
        now = (int(hours) * 3600 + int(minutes) * 60 + float(seconds)) * 1000
        if sent is None and direction == "=>":
            sent = now
        elapsed = now - (sent if sent is not None else now)
        t_ms = elapsed + 86_400_000 if elapsed < -43_200_000 else elapsed  # past midnight
        kind, data = what, bytearray()
        trace.end_ms = t_ms
    finish()
    return trace


@dataclass(frozen=True)
class Decoded:
    """A curl run that decoded the body (--compressed): its trace of the wire, the decoded
    output as it came (ms from curl's start, a few ms before its request), its exit code
    (18: the connection closed before the end its framing promised) and stderr."""

    trace: Trace
    output: tuple[tuple[float, bytes], ...]
    exit_code: int
    stderr: str


async def curl_decoded(url: str, argv: Sequence[str] = (), within: float = 20.0) -> Decoded:
    """curl --compressed on `url` with `argv` besides: the wire and the content as it came."""
    with tempfile.TemporaryDirectory(prefix="curl-decoded-") as tmp:
        trace = Path(tmp) / "trace"
        command = ["curl", "-sS", "-N", "--compressed", "--max-time", str(within), "--trace", str(trace)]
        start = time.monotonic()
        process = await asyncio.create_subprocess_exec(
            *command, "--trace-time", *argv, url, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        assert process.stdout is not None and process.stderr is not None
        output = []
        while piece := await process.stdout.read(65536):
            output.append(((time.monotonic() - start) * 1000, piece))
        stderr = (await process.stderr.read()).decode(errors="replace")
        exit_code = await process.wait()
        return Decoded(parse_curl_trace(trace.read_text()), tuple(output), exit_code, stderr)


async def curl_trace(
    url: str, headers: Sequence[tuple[str, str]] = (), method: str = "GET", within: float = 20.0, http10: bool = False
) -> Trace:
    """curl's own view of `url`: each read with its time (curl --trace --trace-time --raw)."""
    with tempfile.TemporaryDirectory(prefix="curl-trace-") as tmp:
        out = Path(tmp) / "trace"
        command = ["curl", "-sS", "--raw", "-o", "/dev/null", "--trace", str(out), "--trace-time"]
        command += ["-X", method, "--max-time", str(within), *(["-0"] if http10 else [])]
        for name, value in headers:
            command += ["-H", f"{name}: {value}"]
        process = await asyncio.create_subprocess_exec(*command, url, stderr=asyncio.subprocess.PIPE)
        _, stderr = await process.communicate()
        if process.returncode != 0:
            raise RuntimeError(f"curl {url} failed ({process.returncode}): {stderr.decode(errors='replace')}")
        return parse_curl_trace(out.read_text())


def _whole(trace: Trace, dechunker: Dechunker | None) -> bool:
    """Whether the body's framing says it is complete (a close-delimited one never does)."""
    if dechunker is not None:
        return dechunker.done
    length = trace.header("content-length")
    return bool(trace.status) and length.isdigit() and trace.body_bytes >= int(length)


def _request(url: str, method: str, headers: Sequence[tuple[str, str]]) -> tuple[str, int, bytes]:
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    lines = [f"{method} {target} HTTP/1.1", f"Host: {parts.netloc}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers]
    return parts.hostname or "127.0.0.1", parts.port or 80, ("\r\n".join(lines) + "\r\n\r\n").encode()


async def raw_trace(
    url: str, headers: Sequence[tuple[str, str]] = (), method: str = "GET", within: float = 20.0
) -> Trace:
    """A plain socket's view of `url` (HTTP/1.1, Connection: close): every recv() and its time."""
    host, port, request = _request(url, method, headers)
    reader, writer = await asyncio.open_connection(host, port)
    trace, buffer, dechunker = Trace("socket"), b"", None
    try:
        writer.write(request)
        await writer.drain()
        start = time.monotonic()
        deadline = start + within
        while not _whole(trace, dechunker):
            data = await asyncio.wait_for(reader.read(65536), timeout=max(0.01, deadline - time.monotonic()))
            t_ms = (time.monotonic() - start) * 1000
            trace.end_ms = t_ms
            if not data:
                break
            if not trace.status:
                buffer += data
                if b"\r\n\r\n" not in buffer:
                    continue
                head, data = buffer.split(b"\r\n\r\n", 1)
                trace.headers_ms = t_ms
                _parse_head(trace, head)
                dechunker = _body_counter(trace) or dechunker
                if not data:
                    continue
            trace.reads.append(Read(t_ms, len(data), dechunker.feed(data) if dechunker else len(data)))
    finally:
        writer.close()
    return trace
