"""What the benchmark runs: the servers, and every throughput run derived from the registry.

Message sizes are calibrated from the endpoints' own pure sources, so "64-byte messages"
means the same thing for every endpoint and every baseline (which send the same text).
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from urllib.parse import urlencode

from ..endpoints import ENDPOINTS, ENDPOINTS_BY_NAME, Endpoint, Framing
from ..params import BOUNDS, StreamParams
from ..transport import Transport

OURS = "transport-lab"
#: Ours again on asyncio's own loop: `OURS` runs on uvloop when it is installed (the default).
OURS_ASYNCIO = "transport-lab (asyncio loop)"
BARE = "aiohttp (bare)"
#: Bare aiohttp writing one precomputed bytes object per message: the framework's own ceiling.
CEILING = "aiohttp (ceiling)"
AIOHTTP_SSE = "aiohttp-sse"
#: What users pick for speed: uvicorn takes httptools and uvloop when they are installed.
STARLETTE = "starlette on uvicorn"

#: How the load generator counts the messages of each framing.
COUNT_BY = {
    Framing.LINES: "lines",
    Framing.NDJSON: "lines",
    Framing.SSE: "sse",
    Framing.JSON_ITEMS: "json",
    Framing.CHUNKS: "chunks",
    Framing.WEBSOCKET: "ws",
}
MAX_SIZE = int(BOUNDS["size"].maximum)
MAX_COUNT = int(BOUNDS["count"].maximum)


@dataclass(frozen=True)
class ServerSpec:
    label: str
    module: str
    requires: tuple[str, ...] = ()
    args: tuple[str, ...] = ()

    def argv(self, max_streams: int) -> list[str]:
        extra = ["--max-streams", str(max_streams)] if self.label in (OURS, OURS_ASYNCIO) else []
        return [sys.executable, "-m", self.module, *extra, *self.args]

    def missing(self) -> list[str]:
        return [name for name in self.requires if importlib.util.find_spec(name) is None]


#: Modules are named from this package's own name, so an installed benchmark runs the
#: installed servers (`transport_lab...`) and a checkout its own (`app...`).
BASELINE_SERVERS = f"{__package__}.servers"
SERVERS = {
    OURS: ServerSpec(OURS, __package__.rpartition(".")[0]),
    OURS_ASYNCIO: ServerSpec(OURS_ASYNCIO, __package__.rpartition(".")[0], args=("--loop", "asyncio")),
    BARE: ServerSpec(BARE, f"{BASELINE_SERVERS}.aiohttp_bare"),
    CEILING: ServerSpec(CEILING, f"{BASELINE_SERVERS}.aiohttp_ceiling"),
    AIOHTTP_SSE: ServerSpec(AIOHTTP_SSE, f"{BASELINE_SERVERS}.aiohttp_sse_lib", ("aiohttp_sse",)),
    STARLETTE: ServerSpec(STARLETTE, f"{BASELINE_SERVERS}.starlette_app", ("starlette", "uvicorn")),
}

#: The registry endpoint whose messages (and path) a baseline server repeats, per transport.
BASELINE_ENDPOINTS = {Transport.CHUNKED: "chunked", Transport.SSE: "sse", Transport.WEBSOCKET: "ws"}
ALL_BASELINE_TRANSPORTS = tuple(BASELINE_ENDPOINTS)
#: The transports each baseline server is measured on.
BASELINES: tuple[tuple[str, tuple[Transport, ...]], ...] = (
    (OURS_ASYNCIO, ALL_BASELINE_TRANSPORTS),
    (BARE, ALL_BASELINE_TRANSPORTS),
    (CEILING, ALL_BASELINE_TRANSPORTS),
    (AIOHTTP_SSE, (Transport.SSE,)),
    (STARLETTE, (Transport.CHUNKED,)),
)


def baseline_endpoint(transport: Transport) -> Endpoint:
    """The registry endpoint the baselines repeat on `transport`."""
    return ENDPOINTS_BY_NAME[BASELINE_ENDPOINTS[transport]]


@dataclass(frozen=True)
class SizeClass:
    label: str
    message_bytes: int
    messages: int


@dataclass(frozen=True)
class Run:
    """One throughput run: a server's endpoint, read to its end as fast as possible."""

    size_class: str
    server: str
    endpoint: str
    transport: Transport
    path: str
    count_by: str
    count: int
    size: int
    expected: int  # messages the endpoint's own source yields at this count and size

    @property
    def id(self) -> str:
        return f"{self.size_class} {self.server} {self.endpoint}"

    def query(self) -> str:
        return urlencode({"count": self.count, "interval": 0, "size": self.size})


def _average(endpoint: Endpoint, count: int, size: int) -> tuple[float, float]:
    """(mean message bytes, messages per unit of `count`) of the endpoint's own source."""
    lengths = [len(message.encode()) for message in endpoint.source(StreamParams(count, 0, size), None).messages]
    return sum(lengths) / len(lengths), len(lengths) / count


def calibrate(endpoint: Endpoint, message_bytes: int, messages: int) -> tuple[int, int, int]:
    """(size, count, messages expected) for about `messages` messages of about `message_bytes`.

    Past the fixed cost of having any padding (a JSON member's name, a space), padding
    grows a message linearly: two padded probes give the slope, and the padded base is
    measured at the real count, because indexes get wider as the count grows.
    """
    _, per_unit = _average(endpoint, 200, 1)
    count = max(1, min(MAX_COUNT, round(messages / per_unit)))
    small, _ = _average(endpoint, 200, 1)
    large, _ = _average(endpoint, 200, 101)
    slope = (large - small) / 100
    base, padded_per_unit = _average(endpoint, count, 1)
    size = 1 + round((message_bytes - base) / slope) if slope > 0 else 0
    size = max(0, min(MAX_SIZE, size))
    # How many messages there are depends on whether there is padding, not on its length.
    expected = round(count * padded_per_unit) if size else round(count * _average(endpoint, count, 0)[1])
    return size, count, expected


def throughput_runs(size_class: SizeClass, servers: set[str]) -> list[Run]:
    """Every endpoint of ours, then each available baseline, with calibrated sizes."""
    sizes = {e.name: calibrate(e, size_class.message_bytes, size_class.messages) for e in ENDPOINTS}

    def run(server: str, like: Endpoint) -> Run:
        size, count, expected = sizes[like.name]
        count_by = COUNT_BY[like.framing]
        return Run(size_class.label, server, like.name, like.transport, like.path, count_by, count, size, expected)

    runs = [run(OURS, e) for e in ENDPOINTS] if OURS in servers else []
    runs += [run(s, baseline_endpoint(t)) for s, transports in BASELINES if s in servers for t in transports]
    return runs
