"""The lab's emulations held to the real things they stand for: the lab itself (`python -m
app`, its healthy streams) as the upstream, the real software a culprit or fault imitates in
front of it, and the readers that say what each delivers, owing nothing to the lab or to
diagnose: curl (`--trace --trace-time` for the wire, its own decoding for the content, its
exit status for how the transfer ended) and the websockets library's client.

    with lab(tmp) as upstream, nginx_idle(binary, tmp, upstream.port) as proxy:
        real = await observe(proxy.url("default", "/sse?count=3&interval=1"))
        emulated = await observe(upstream.url(f"/sse?count=3&interval=1&idle={IDLE}"))
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from app.client.diagnose.command import exit_status
from app.client.diagnose.report import Diagnosis
from tests.nginx import main_config
from tests.processes import PROJECT_ROOT, app_command
from tests.stacks.harness import Running, diagnose_runs, foreground, free_port, locate, render, require
from tests.stacks.proxies import CONFIGS, TOOLS, Proxy, Starter, ports
from tests.stacks.trace import Trace, curl_decoded

#: The idle timeout, in seconds, the lab's `idle=` and the real proxies are given alike.
IDLE = 0.5
NODE = Path(__file__).resolve().parent / "frameworks" / "node"
NPM_CI = "npm ci --prefix tests/stacks/frameworks/node"
#: Decoded output pieces closer together than this are one arrival.
JOIN_MS = 20.0
#: curl's exit statuses for how a transfer ended: whole; closed (a FIN) before the end its
#: framing promised ("transfer closed with outstanding read data remaining"). A reset (RST)
#: would be 56.
CURL_WHOLE, CURL_CLOSED_EARLY = 0, 18


def require_present(present: bool, what: str, install: str) -> None:
    """A subject's package: skipped locally without it, a failure under CI=true."""
    if present:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is not installed, but CI must run this test ({install})")
    pytest.skip(f"{what} is not installed ({install})")


def express_installed() -> bool:
    return (NODE / "node_modules" / "compression").is_dir()


def packages_installed(*names: str) -> bool:
    return all(importlib.util.find_spec(name) is not None for name in names)


# --- the subjects --------------------------------------------------------------------------


@contextmanager
def lab(workdir: Path) -> Iterator[Running]:
    """The lab as users start it (`python -m app`), on a free loopback port."""
    port = free_port()
    env = {"PYTHONPATH": str(PROJECT_ROOT)}
    with foreground("lab", app_command(port), port, workdir, env=env) as running:
        yield running


@contextmanager
def express_relay(node: str, workdir: Path, upstream_port: int) -> Iterator[Proxy]:
    """frameworks/node/server.js relaying the upstream's streams through `compression`."""
    named = ports("default")
    program = [node, str(NODE / "server.js"), str(named["default"]), str(upstream_port)]
    with foreground("express", program, named["default"], workdir) as running:
        yield Proxy(running, named)


@contextmanager
def starlette_relay(python: str, workdir: Path, upstream_port: int) -> Iterator[Proxy]:
    """frameworks/relay_app.py on uvicorn: FastAPI relaying the upstream's streams, plainly and
    under a body-reading BaseHTTPMiddleware."""
    named = ports("default")
    program = [python, "-m", "uvicorn", "tests.stacks.frameworks.relay_app:app", "--host", "127.0.0.1"]
    program += ["--port", str(named["default"]), "--log-level", "warning"]
    env = {"PYTHONPATH": str(PROJECT_ROOT), "LAB_PORT": str(upstream_port)}
    with foreground("relay", program, named["default"], workdir, env=env) as running:
        yield Proxy(running, named)


@contextmanager
def nginx_idle(binary: str, workdir: Path, upstream_port: int) -> Iterator[Proxy]:
    """nginx with proxy_read_timeout cut to IDLE (proxies/nginx_idle.conf)."""
    named = ports("default")
    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (workdir / kind).mkdir(parents=True, exist_ok=True)
    values = {"port": named["default"], "upstream": upstream_port, "idle_ms": round(IDLE * 1000)}
    http = render(CONFIGS / "nginx_idle.conf", workdir / "http.conf", **values)
    conf = workdir / "nginx.conf"
    conf.write_text(main_config(workdir, http.read_text()))
    command = [binary, "-p", str(workdir), "-c", str(conf), "-e", str(workdir / "error.log"), "-g", "daemon off;"]
    with foreground("nginx", command, named["default"], workdir) as running:
        yield Proxy(running, named)


@contextmanager
def haproxy_idle(binary: str, workdir: Path, upstream_port: int) -> Iterator[Proxy]:
    """HAProxy with `timeout server` ("default") and `timeout tunnel` ("tunnel") cut to IDLE."""
    named = ports("default", "tunnel")
    values = {"port": named["default"], "tunnel_port": named["tunnel"], "upstream": upstream_port}
    conf = render(CONFIGS / "haproxy_idle.cfg", workdir / "haproxy.cfg", idle_ms=round(IDLE * 1000), **values)
    with foreground("haproxy", [binary, "-db", "-f", str(conf)], named["default"], workdir) as running:
        yield Proxy(running, named)


@contextmanager
def caddy_encode(binary: str, workdir: Path, upstream_port: int) -> Iterator[Proxy]:
    """Caddy with `encode zstd gzip` before reverse_proxy (proxies/Caddyfile-encode)."""
    named = ports("default")
    conf = render(CONFIGS / "Caddyfile-encode", workdir / "Caddyfile", port=named["default"], upstream=upstream_port)
    home = {"HOME": str(workdir), "XDG_DATA_HOME": str(workdir / "data"), "XDG_CONFIG_HOME": str(workdir / "config")}
    command = [binary, "run", "--config", str(conf), "--adapter", "caddyfile"]
    with foreground("caddy", command, named["default"], workdir, env=home) as running:
        yield Proxy(running, named)


@dataclass(frozen=True)
class Subject:
    """A real one to put in front of the lab: the program it runs, how CI installs it, its
    starter (program, workdir, the lab's port), and what it needs besides the program."""

    tool: str
    install: str
    start: Starter
    ready: Callable[[], bool] = lambda: True
    ready_install: str = ""

    def program(self) -> str | None:
        """The program's path when it and all it needs are here, else None."""
        binary = locate(self.tool)
        return binary if binary is not None and self.ready() else None

    def demand(self) -> None:
        """Skipped locally when missing, failed under CI=true."""
        require(self.tool, self.install)
        require_present(self.ready(), f"what {self.tool} runs", self.ready_install)


RELAY_PACKAGES = ("fastapi", "uvicorn", "aiohttp")
SUBJECTS = {
    "express": Subject("node", "apt-get install nodejs npm", express_relay, express_installed, NPM_CI),
    "starlette": Subject(
        sys.executable, "", starlette_relay, lambda: packages_installed(*RELAY_PACKAGES), "pip install -e '.[test]'"
    ),
    "nginx": Subject("nginx", TOOLS["nginx"], nginx_idle),
    "haproxy": Subject("haproxy", TOOLS["haproxy"], haproxy_idle),
    "caddy": Subject("caddy", TOOLS["caddy"], caddy_encode),
}


# --- what arrives: curl, and the websockets library ---------------------------------------


@dataclass(frozen=True)
class Seen:
    """What curl saw of one exchange: the wire read by read, the content it decoded with the
    time each piece came out (ms from curl's start, a few ms before its request), and how
    the transfer ended (its exit status)."""

    wire: Trace
    output: tuple[tuple[float, bytes], ...]
    exit_code: int
    stderr: str

    @property
    def decoded(self) -> bytes:
        return b"".join(piece for _, piece in self.output)

    def arrivals(self, join_ms: float = JOIN_MS) -> list[tuple[float, int]]:
        """(ms, decoded bytes) of each arrival of content: pieces within `join_ms` joined."""
        joined: list[tuple[float, int]] = []
        last = -1e9
        for at, piece in self.output:
            if joined and at - last <= join_ms:
                joined[-1] = (joined[-1][0], joined[-1][1] + len(piece))
            else:
                joined.append((at, len(piece)))
            last = at
        return joined

    def describe(self) -> str:
        shown = ", ".join(f"{size} B @{at:.0f}" for at, size in self.arrivals()[:8])
        coding = self.wire.header("content-encoding") or "identity"
        return f"{self.wire.describe()}; {coding} decoded by curl: {shown}; curl exit {self.exit_code}"


async def curl_seen(url: str, accept: str = "", within: float = 20.0) -> Seen:
    """curl's view of `url`, asking for `accept` (curl's own list when empty) and decoding it."""
    ran = await curl_decoded(url, ["-H", f"Accept-Encoding: {accept}"] if accept else [], within)
    return Seen(ran.trace, ran.output, ran.exit_code, ran.stderr)


@dataclass(frozen=True)
class WebSocketSeen:
    """What the websockets library's client saw: each message with its time (ms from the
    handshake's end), the close code (1006: the connection ended without a close frame)
    and when the connection ended."""

    messages: tuple[tuple[float, str], ...]
    close_code: int | None
    end_ms: float

    def describe(self) -> str:
        shown = ", ".join(f"{text!r} @{at:.0f}" for at, text in self.messages[:8])
        return f"websockets: {shown}; closed {self.close_code} @{self.end_ms:.0f} ms"


async def websocket_seen(url: str) -> WebSocketSeen:
    messages = []
    async with connect(url, ping_interval=None) as websocket:
        start = time.monotonic()
        try:
            async for message in websocket:
                messages.append(((time.monotonic() - start) * 1000, str(message)))
        except ConnectionClosed:
            pass
        return WebSocketSeen(tuple(messages), websocket.close_code, (time.monotonic() - start) * 1000)


@dataclass(frozen=True)
class Observed:
    """One lane observed: the independent client's view and diagnose's runs, at the same time."""

    seen: Seen | WebSocketSeen
    runs: list[Diagnosis]
    #: The longest the measuring event loop woke late meanwhile (measure_all sets it).
    loop_lag_ms: float = field(default=0.0)

    @property
    def curl(self) -> Seen:
        assert isinstance(self.seen, Seen), self.seen
        return self.seen

    @property
    def websocket(self) -> WebSocketSeen:
        assert isinstance(self.seen, WebSocketSeen), self.seen
        return self.seen

    def exit_statuses(self) -> set[int]:
        """What `transport-lab diagnose` exits with for each run (the command's own rule)."""
        return {exit_status(run, None) for run in self.runs}

    def describe(self) -> str:
        lag = f"diagnose's event loop woke up to {self.loop_lag_ms:.0f} ms late while it read"
        return f"{self.seen.describe()} ({lag})"


async def observe(url: str, accept: str = "") -> Observed:
    """The independent client's view of `url` and diagnose's runs, all at once; both ask for
    `accept` as Accept-Encoding when it is given (else each its own)."""
    headers: Sequence[tuple[str, str]] = (("Accept-Encoding", accept),) if accept else ()
    truth = websocket_seen(url) if url.startswith("ws") else curl_seen(url, accept)
    seen, runs = await asyncio.gather(truth, diagnose_runs(url, headers=tuple(headers)))
    return Observed(seen, runs)
