"""diagnose held to real frameworks nobody here wrote: Express with `compression`, FastAPI and
Starlette middlewares on uvicorn, Flask and Django on gunicorn's sync worker, the `websockets`
library. Each is a real process on a free loopback port (its program in `frameworks/`), and
what it really sends is known from how it is built and checked with an independent client:
curl (`--trace --trace-time` for the wire, its decoded output for the content), or the
websockets library's own client. Never from diagnose.

Every subject is diagnosed RUNS times at once, and every run must give the same verdict and
the same causes: a verdict that flips on jitter is no verdict.
"""

from __future__ import annotations

import asyncio
import gzip
import http.client
import importlib.util
import itertools
import os
import re
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from websockets.asyncio.client import connect

import app.client.diagnose.command as command
from app.client.diagnose.report import Diagnosis
from tests.processes import PROJECT_ROOT
from tests.stacks.frameworks import tokens
from tests.stacks.harness import (
    RUNS,
    Running,
    Trace,
    assert_all,
    curl_trace,
    diagnose_runs,
    foreground,
    free_port,
    require,
)
from tests.stacks.trace import curl_decoded

pytestmark = pytest.mark.slow

FRAMEWORKS = Path(__file__).resolve().parent / "frameworks"
NODE = FRAMEWORKS / "node"
NPM_CI = "npm ci --prefix tests/stacks/frameworks/node"
#: The subjects are modules of this test suite, imported from the project's root.
PYTHONPATH = {"PYTHONPATH": str(PROJECT_ROOT)}
#: A sync worker serves one exchange at a time: one each for the runs and the ground truth, one spare.
SYNC_WORKERS = RUNS + 2
#: What curl and diagnose both ask for here, so both meet the same compression. diagnose
#: asks for br and zstd too by default, as browsers do; Express's compression then picks br,
#: whose held stream keeps the head back as well (test_emulations.py): gzip is what these
#: cases pin.
ACCEPT = ("Accept-Encoding", "gzip, deflate")
#: A WebSocket handshake as any client sends it.
UPGRADE = (
    ("Upgrade", "websocket"),
    ("Connection", "Upgrade"),
    ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
    ("Sec-WebSocket-Version", "13"),
)
#: Every paced stream: tokens.COUNT messages tokens.INTERVAL apart, the first at once.
STREAM_MS = (tokens.COUNT - 1) * tokens.INTERVAL * 1000
INTERVAL_MS = tokens.INTERVAL * 1000
#: The most compressed bytes a held gzip stream lets out early: its header (Django's names a
#: random file in it, up to 100 bytes, against BREACH), never content.
GZIP_HEADER_MAX = 128
#: The chat answer (frameworks/fastapi_app.py): comments for 2 s, then 50 tokens and [DONE].
COMMENT = b": PROCESSING\n\n"
THINKING_MS = 2000.0
CHAT_EVENTS = 50 + 1


def required(present: bool, what: str, install: str) -> None:
    """A subject's tool or package: skipped locally without it, a failure under CI=true."""
    if present:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is not installed, but CI must run this test ({install})")
    pytest.skip(f"{what} is not installed ({install})")


def require_packages(*names: str) -> None:
    for name in names:
        required(importlib.util.find_spec(name) is not None, name, "pip install -e '.[test]'")


# --- the subjects, each started once for the module --------------------------------------


@pytest.fixture(scope="module")
def express(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    node = require("node", "apt-get install nodejs npm")
    required((NODE / "node_modules" / "compression").is_dir(), "express and compression", NPM_CI)
    port = free_port()
    program = [node, str(NODE / "server.js"), str(port)]
    with foreground("express", program, port, tmp_path_factory.mktemp("express")) as running:
        yield running


@pytest.fixture(scope="module")
def fastapi(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    require_packages("fastapi", "uvicorn")
    port = free_port()
    program = [sys.executable, "-m", "uvicorn", "tests.stacks.frameworks.fastapi_app:app"]
    program += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    with foreground("uvicorn", program, port, tmp_path_factory.mktemp("uvicorn"), PYTHONPATH) as running:
        yield running


def all_workers_booted(running: Running, within: float = 15.0) -> Running:
    """gunicorn listens before its workers are forked: a stream asked for then waits for one."""
    deadline = time.monotonic() + within
    while running.log_text().count("Booting worker") < SYNC_WORKERS:
        assert time.monotonic() < deadline, f"{running.name}'s workers did not boot:\n{running.log_text()}"
        time.sleep(0.02)
    return running


def gunicorn(app: str, port: int) -> list[str]:
    """gunicorn's sync worker, as a WSGI app is deployed; the app loaded once, then forked."""
    options = ["--bind", f"127.0.0.1:{port}", "--worker-class", "sync", "--workers", str(SYNC_WORKERS)]
    return [sys.executable, "-m", "gunicorn", *options, "--preload", "--graceful-timeout", "1", app]


@pytest.fixture(scope="module")
def flask(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    require_packages("flask", "gunicorn")
    port = free_port()
    program = gunicorn("tests.stacks.frameworks.flask_app:app", port)
    with foreground("flask", program, port, tmp_path_factory.mktemp("flask"), PYTHONPATH) as running:
        yield all_workers_booted(running)


@pytest.fixture(scope="module")
def django(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    require_packages("django", "gunicorn")
    port = free_port()
    program = gunicorn("tests.stacks.frameworks.django_app:application", port)
    with foreground("django", program, port, tmp_path_factory.mktemp("django"), PYTHONPATH) as running:
        yield all_workers_booted(running)


@pytest.fixture(scope="module")
def django_asgi(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    require_packages("django", "uvicorn")
    port = free_port()
    program = [sys.executable, "-m", "uvicorn", "tests.stacks.frameworks.django_app:asgi_application"]
    program += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    with foreground("django-asgi", program, port, tmp_path_factory.mktemp("django-asgi"), PYTHONPATH) as running:
        yield running


@pytest.fixture(scope="module")
def websockets_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    require_packages("websockets")
    port = free_port()
    program = [sys.executable, "-m", "tests.stacks.frameworks.websockets_server", str(port)]
    with foreground("websockets", program, port, tmp_path_factory.mktemp("websockets"), PYTHONPATH) as running:
        yield running


# --- ground truth: curl's wire and curl's decoded output ----------------------------------


@dataclass(frozen=True)
class Truth:
    """What curl saw of one exchange: the wire read by read (`--trace --trace-time`), and
    what it wrote out once decoded (`--compressed -N`), each piece with its time."""

    wire: Trace
    output: tuple[tuple[float, bytes], ...]

    def output_before(self, t_ms: float) -> bytes:
        return b"".join(piece for at, piece in self.output if at < t_ms)

    def first(self, marker: bytes) -> float | None:
        """When the output first held `marker`."""
        seen = b""
        for at, piece in self.output:
            seen += piece
            if marker in seen:
                return at
        return None

    def describe(self) -> str:
        pieces = ", ".join(f"{len(piece)} B @{at:.0f}" for at, piece in self.output[:8])
        more = f", … ({len(self.output)} pieces)" if len(self.output) > 8 else ""
        return f"{self.wire.describe()}; decoded output {pieces}{more}"


async def curl_truth(url: str, data: bytes | None = None) -> Truth:
    """One exchange with curl: its trace of the wire, and its decoded output as it came
    (times from curl's start, a few ms before its request)."""
    require("curl", "apt-get install curl")
    argv = ["-H", f"{ACCEPT[0]}: {ACCEPT[1]}", *(["--data-binary", data.decode()] if data else [])]
    ran = await curl_decoded(url, argv)
    assert ran.exit_code == 0, f"curl {url}: {ran.stderr}"
    return Truth(ran.trace, ran.output)


# What each subject is built to send, as curl must see it.


def sent_as_written(truth: Truth) -> None:
    """Each message leaves when it is made: one burst per message, an interval apart."""
    silences = truth.wire.silences_ms()
    assert truth.wire.status == 200
    assert len(truth.wire.bursts()) == tokens.COUNT
    assert all(0.5 * INTERVAL_MS <= s <= 1.5 * INTERVAL_MS for s in silences), silences
    # The first message decoded long before the last (output times count from curl's start).
    assert (truth.first(b"\n") or 1e9) <= truth.output[-1][0] - 0.75 * STREAM_MS


def held_by_compression(truth: Truth) -> None:
    """The head at once, then only a gzip header until the end: the content held in the compressor."""
    wire = truth.wire
    early = sum(read.body_bytes for read in wire.reads if read.t_ms < 0.85 * STREAM_MS)
    assert (wire.status, wire.header("content-encoding"), wire.header("content-length")) == (200, "gzip", "")
    assert wire.headers_ms < 0.25 * STREAM_MS
    assert 0 < early <= GZIP_HEADER_MAX
    assert truth.output_before(0.85 * STREAM_MS) == b""  # nothing decodable before the end
    assert truth.output_before(1e9).count(b"\n") >= tokens.COUNT


def built_whole(truth: Truth) -> None:
    """The body built first: the head waits for it and says its length; it all comes at once."""
    wire = truth.wire
    assert (wire.status, wire.header("content-length")) == (200, str(wire.body_bytes))
    assert wire.headers_ms >= 0.9 * STREAM_MS
    assert (wire.first_body_ms or 0.0) - wire.headers_ms < 20 and len(wire.bursts()) == 1


def keep_alives_then_tokens(truth: Truth) -> None:
    """Only `: PROCESSING` comments for 2 s, then the tokens one by one, then [DONE]."""
    thinking = truth.output_before(0.95 * THINKING_MS)
    first_token = truth.first(b"data: ") or 0.0
    thought = first_token - (truth.first(COMMENT) or 0.0)
    assert truth.wire.status == 200
    assert thinking.replace(COMMENT, b"") == b"" and thinking.count(COMMENT) >= 6
    assert 0.97 * THINKING_MS <= thought <= THINKING_MS + 300, thought
    assert truth.output_before(1e9).count(b"data: ") == CHAT_EVENTS
    assert len([b for b in truth.wire.bursts() if b.t_ms >= first_token - 20]) >= 0.8 * CHAT_EVENTS


def status(code: int) -> Callable[[Truth], None]:
    def answered(truth: Truth) -> None:
        assert truth.wire.status == code

    answered.__name__ = f"answered_{code}"
    return answered


# --- the expectations ---------------------------------------------------------------------


def first_token_at_thinking_end(diagnosis: Diagnosis) -> None:
    """The LLM figures: the first token (not a comment) at 2 s, then 20 ms between tokens."""
    found = diagnosis.as_json()
    assert found["messages"] == CHAT_EVENTS
    first = found.get("first_message_ms")
    assert isinstance(first, float | int) and 0.97 * THINKING_MS <= first <= THINKING_MS + 300, first
    gaps = found.get("gaps_ms")
    assert isinstance(gaps, dict) and 5 <= gaps["p50"] <= 60, gaps


@dataclass(frozen=True)
class Case:
    """A subject's stream, what diagnose must say of it, and what curl must see of it."""

    subject: str
    path: str
    verdict: str
    causes: tuple[str, ...]
    truth: Callable[[Truth], None]
    data: bytes | None = None
    more: Callable[[Diagnosis], None] | None = field(default=None, repr=False)


CASES = {
    "express-compression-held": Case("express", "/held", "buffered", ("compression",), held_by_compression),
    "express-compression-flushed": Case("express", "/flushed", "progressive", (), sent_as_written),
    "fastapi-streaming-response": Case("fastapi", "/tokens", "progressive", (), sent_as_written),
    "starlette-middleware-reads-body": Case("fastapi", "/logged/tokens", "buffered", ("content-length",), built_whole),
    "starlette-middleware-passes-stream": Case("fastapi", "/relayed/tokens", "progressive", (), sent_as_written),
    "openai-style-sse": Case(
        "fastapi",
        "/v1/chat/completions",
        "progressive",
        (),
        keep_alives_then_tokens,
        data=b'{"model": "lab", "stream": true}',
        more=first_token_at_thinking_end,
    ),
    "flask-generator": Case("flask", "/tokens", "progressive", (), sent_as_written),
    "flask-built-body": Case("flask", "/report", "buffered", ("content-length",), built_whole),
    "django-streaming-response": Case("django", "/tokens", "progressive", (), sent_as_written),
    "django-gzip-page": Case("django", "/gzipped/tokens", "buffered", ("compression",), held_by_compression),
    "fastapi-404": Case("fastapi", "/v1/chat/completions?model=nope", "error", (), status(404)),
    "flask-500": Case("flask", "/boom", "error", (), status(500)),
    "websockets-426-to-http": Case("websockets_server", "/ticks", "error", (), status(426)),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
async def test_each_framework_gets_its_verdict_and_cause_every_time(case: Case, request: pytest.FixtureRequest) -> None:
    subject: Running = request.getfixturevalue(case.subject)
    url = subject.url(case.path)
    method = "POST" if case.data else "GET"
    diagnosing = diagnose_runs(url, method=method, data=case.data, headers=(ACCEPT,))
    truth, runs = await asyncio.gather(curl_truth(url, case.data), diagnosing)
    case.truth(truth)
    assert_all(runs, case.verdict, case.causes, truth.wire)
    if case.more is not None:
        for run in runs:
            case.more(run)


async def test_a_gzip_member_per_message_is_read_to_its_last_member(django_asgi: Running) -> None:
    """Django's GZipMiddleware on an async stream compresses each message as a whole gzip
    member, sent at once: compressed, and progressive, every message decodable on arrival.
    curl (7.88) decodes the first member only and fails, so the truth is the raw wire and
    the whole body decoded by Python's gzip, which reads every member."""
    url = django_asgi.url("/async/gzipped/tokens")
    wire, body, runs = await asyncio.gather(
        curl_trace(url, headers=[ACCEPT]), asyncio.to_thread(encoded_body, url), diagnose_runs(url)
    )
    assert (wire.status, wire.header("content-encoding"), len(wire.bursts())) == (200, "gzip", tokens.COUNT)
    assert all(0.5 * INTERVAL_MS <= s <= 1.5 * INTERVAL_MS for s in wire.silences_ms()), wire.describe()
    assert gzip.decompress(body).count(b"\n") == tokens.COUNT
    assert_all(runs, "progressive", [], wire)
    assert {(run.exchange.messages, run.exchange.decoded_bytes) for run in runs} == {
        (tokens.COUNT, len(gzip.decompress(body)))
    }


def encoded_body(url: str) -> bytes:
    """The body as sent (chunk framing undone by http.client, the gzip left as it is)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    try:
        connection.request("GET", f"{parts.path}?{parts.query}", headers=dict([ACCEPT]))
        return connection.getresponse().read()
    finally:
        connection.close()


async def test_a_websockets_library_stream_is_progressive_message_by_message(websockets_server: Running) -> None:
    url = "ws" + websockets_server.url("/ticks").removeprefix("http")
    arrivals, runs = await asyncio.gather(websocket_truth(url), diagnose_runs(url))
    gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
    assert len(arrivals) == tokens.COUNT and all(0.5 * INTERVAL_MS <= gap <= 1.5 * INTERVAL_MS for gap in gaps)
    assert_all(runs, "progressive", [])
    assert {(run.exchange.messages, run.exchange.close_code) for run in runs} == {(tokens.COUNT, 1000)}


async def websocket_truth(url: str) -> list[float]:
    """The websockets library's client: when each message came (ms from the handshake's end)."""
    async with connect(url) as websocket:
        start = time.monotonic()
        return [(time.monotonic() - start) * 1000 async for _ in websocket]


NOT_UPGRADED = {
    # Django streams its 200 as if no Upgrade was asked: the "progressive line stream".
    "django-200-streams": ("django", "/tokens", 200),
    # Starlette refuses a WebSocket no route takes; Werkzeug refuses one on an HTTP-only rule.
    "fastapi-403": ("fastapi", "/tokens", 403),
    "flask-400": ("flask", "/tokens", 400),
}


@pytest.mark.parametrize(("subject_name", "path", "answered"), NOT_UPGRADED.values(), ids=NOT_UPGRADED.keys())
async def test_a_websocket_url_that_is_not_upgraded_is_said_plainly(
    subject_name: str, path: str, answered: int, request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]
) -> None:
    subject: Running = request.getfixturevalue(subject_name)
    url = "ws" + subject.url(path).removeprefix("http")
    truth, runs = await asyncio.gather(curl_trace(subject.url(path), headers=UPGRADE), diagnose_runs(url))
    assert truth.status == answered
    assert_all(runs, "not-upgraded", [], truth)
    exit_code, said = await cli(capsys, url)
    assert exit_code != 0 and f"HTTP {answered}" in said, said


ERRORS = {"fastapi-404": ("fastapi", "/v1/chat/completions?model=nope", 404), "flask-500": ("flask", "/boom", 500)}


@pytest.mark.parametrize(("subject_name", "path", "code"), ERRORS.values(), ids=ERRORS.keys())
async def test_an_error_status_fails_the_command_and_is_named(
    subject_name: str, path: str, code: int, request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]
) -> None:
    subject: Running = request.getfixturevalue(subject_name)
    exit_code, said = await cli(capsys, subject.url(path))
    # Named where the outcome is told (the verdict, or the line on stderr), not only in the head shown.
    told = [line for line in said.splitlines() if line.startswith(("verdict:", command.PROG))]
    assert exit_code != 0, said
    assert any(re.search(rf"\b{code}\b", line) for line in told), said


async def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    """`transport-lab diagnose ARGV` (its own event loop, in a thread): its exit status and all it said."""
    exit_code = await asyncio.to_thread(command.main, list(argv))
    captured = capsys.readouterr()
    return exit_code, captured.out + captured.err
