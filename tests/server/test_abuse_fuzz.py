"""Fuzzed query strings on every endpoint: the answer is always a well-formed stream or a
400 with a JSON error, never a 500 and never a traceback in the log.
"""

from __future__ import annotations

import http.client
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from app.endpoints import ENDPOINTS, Endpoint
from app.params import BOUNDS, CHOICES
from app.transport import Transport
from app.wire.coding import ContentDecoder
from tests.helpers import ids
from tests.processes import ServerProcess, app_server

EXAMPLES_PER_ENDPOINT = 150
#: A stream that happens to be valid and long is read this long, then left.
READ_BUDGET_SECONDS = 1.0

ODD_VALUES = [
    "", " 1", "1 ", "+1", "-0", "0x10", "1_0", "1e3", "1e-3", ".5", "5.", "0.0", "1,5", "\u0661", "NaN", "nan",
    "inf", "-inf", "Infinity", "1e308", "1e309", "-1e-320", "9" * 40, "0" * 31 + "1", "\x00", "%", "&", "=",
]  # fmt: skip
NUMERIC = re.compile(r"\s*[-+0-9.eE_]+\s*")
#: The culprits whose head waits for the body (or its first block, or first compressed bytes).
HOLDS_HEAD = re.compile(r"via=(br|br-flush|proxy|size-proxy|cdn|middleware)(&|$)")

# Per parameter: values in range are small (so a fuzzed stream is quick), the rest are
# anything out of range. Free text never looks numeric, so it cannot make a long stream.
in_range_or_not = {
    "count": st.one_of(st.integers(-5, 30), st.integers(max_value=0), st.integers(min_value=1_000_001)),
    "interval": st.one_of(st.floats(max_value=0.001), st.floats(min_value=60.0001)),
    "size": st.one_of(st.integers(-5, 2000), st.integers(max_value=-1), st.integers(min_value=1_048_577)),
    "stamp": st.integers(-2, 3),
    "drop": st.one_of(st.integers(-5, 30), st.integers(max_value=0), st.integers(min_value=1_000_001)),
    "idle": st.one_of(st.floats(max_value=0.0999), st.floats(min_value=3600.001)),
    "heartbeat": st.one_of(st.floats(max_value=0.0499), st.floats(min_value=3600.001)),
}
free_text = st.text(max_size=40).filter(lambda text: not NUMERIC.fullmatch(text))
odd_or_free = st.one_of(st.sampled_from(ODD_VALUES), free_text)


#: Values in range, in the spellings the parser accepts.
valid_values = {
    "count": st.one_of(st.integers(1, 30).map(str), st.sampled_from(["01", "007"])),
    "interval": st.sampled_from(["0", "0.0", "0.000", "0.001", ".001", "1e-3", "0e0", "0E+0", "-0"]),
    "size": st.one_of(st.integers(0, 2000).map(str), st.just("0")),
    "stamp": st.sampled_from(["0", "1"]),
    "drop": st.integers(1, 30).map(str),
    # Long enough not to cut or beat within a fuzzed stream's read budget.
    "idle": st.sampled_from(["5", "30.5", "3600"]),
    "heartbeat": st.sampled_from(["5", "0.5e1", "3600"]),
    "via": st.sampled_from(CHOICES["via"]),
}
#: Every parameter a stream endpoint knows.
KNOWN = sorted([*BOUNDS, *CHOICES])


@st.composite
def valid_pairs(draw: st.DrawFn) -> list[tuple[str, str | None]]:
    """A query the server accepts: distinct known keys, values in range."""
    chosen = draw(st.lists(st.sampled_from(KNOWN), unique=True, max_size=4))
    return [(key, draw(valid_values[key])) for key in chosen]


@st.composite
def any_pairs(draw: st.DrawFn) -> list[tuple[str, str | None]]:
    """Up to five `key=value` pairs: known keys with numbers in and out of range, odd and
    free-form values, unknown keys, keys without a value, repeats."""
    query: list[tuple[str, str | None]] = []
    for _ in range(draw(st.integers(0, 5))):
        key = draw(st.one_of(st.sampled_from(KNOWN), free_text))
        numbers = in_range_or_not.get(key)
        value = draw(st.one_of(st.none(), odd_or_free, *([numbers.map(str)] if numbers is not None else [])))
        query.append((key, value))
    return query


def pairs() -> st.SearchStrategy[list[tuple[str, str | None]]]:
    return st.one_of(valid_pairs(), any_pairs())


def encode(query: list[tuple[str, str | None]]) -> str:
    """A query string; a key without `=` when its value is None. Absent an interval, 0."""
    if not any(key == "interval" for key, _ in query):
        query = [*query, ("interval", "0")]
    return "&".join(
        quote(key, safe="") + ("" if value is None else "=" + quote(value, safe="")) for key, value in query
    )


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@pytest.fixture(scope="module")
def fuzz_server(fuzz_dir: Path) -> Iterator[ServerProcess]:
    with app_server(fuzz_dir) as server:
        yield server


def assert_json_400(status: int, content_type: str, body: bytes) -> None:
    assert status == 400, (status, body[:200])
    assert content_type.startswith("application/json")
    error = json.loads(body)
    assert isinstance(error["error"], str) and error["error"]
    assert "param" in error


def _read_within_budget(response: http.client.HTTPResponse) -> tuple[bytes, bool]:
    """The (decoded) body, and whether it was complete within READ_BUDGET_SECONDS; a
    stream cut on purpose (`drop`) is read as far as it went."""
    coding = response.getheader("Content-Encoding") or ""
    decoder = ContentDecoder(coding)
    parts: list[bytes] = []
    deadline = time.monotonic() + READ_BUDGET_SECONDS
    while time.monotonic() < deadline:
        try:
            data = response.read1(65536)
        except TimeoutError:
            break
        except http.client.IncompleteRead as cut:
            parts.append(decoder.feed(cut.partial))
            return b"".join(parts), False
        if not data:
            return b"".join(parts), True
        parts.append(decoder.feed(data))
    return b"".join(parts), False


def assert_well_formed(endpoint: Endpoint, body: bytes, complete: bool) -> None:
    text = body.decode()
    lines = text.split("\n")
    whole = lines if complete else lines[:-1]
    if endpoint.content_type == "application/json" and complete:
        json.loads(text)
    elif endpoint.content_type == "application/x-ndjson":
        assert all(json.loads(line) is not None for line in whole if line)
    elif endpoint.content_type == "text/event-stream":
        assert all(line.startswith(("id: ", "data: ", ":", "retry: ")) for line in whole if line), text[:200]
    if complete and endpoint.transport is not Transport.BUFFERED:
        assert text.endswith("\n") or endpoint.content_type == "application/json"


def check_http(server: ServerProcess, endpoint: Endpoint, query: str) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        connection.request("GET", f"{endpoint.path}?{query}")
        try:
            response = connection.getresponse()
        except http.client.RemoteDisconnected:
            # Dropped on purpose before a culprit that holds the head (a buffering proxy,
            # Brotli's middleware) let it go: nothing at all came back, as from the real ones.
            assert "drop=" in query and HOLDS_HEAD.search(query), query
            event("cut before the head")
            return
        content_type = response.getheader("Content-Type", "")
        event(f"HTTP {response.status}")
        if response.status != 200:
            assert_json_400(response.status, content_type, response.read())
            return
        assert content_type == endpoint.content_type
        assert response.getheader("Cache-Control") == "no-cache"
        assert connection.sock is not None
        connection.sock.settimeout(READ_BUDGET_SECONDS)
        body, complete = _read_within_budget(response)
        assert_well_formed(endpoint, body, complete)
    finally:
        connection.close()


def check_websocket(server: ServerProcess, endpoint: Endpoint, query: str) -> None:
    try:
        websocket = connect(f"ws://127.0.0.1:{server.port}{endpoint.path}?{query}", open_timeout=5)
    except InvalidStatus as refused:
        response = refused.response
        event(f"HTTP {response.status_code}")
        assert_json_400(response.status_code, response.headers.get("Content-Type", ""), response.body or b"")
        return
    event("HTTP 101")
    deadline = time.monotonic() + READ_BUDGET_SECONDS
    with websocket:
        try:
            while time.monotonic() < deadline:
                message = websocket.recv(timeout=max(deadline - time.monotonic(), 0.01))
                assert isinstance(message, str) and message.startswith("WebSocket message")
        except TimeoutError:
            return  # a valid, longer stream: well-formed so far
        except ConnectionClosed as closed:
            # A stream dropped on purpose ends without a close frame (1006).
            assert (closed.rcvd is not None and closed.rcvd.code == 1000) or "drop=" in query


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=ids)
def test_fuzzed_query_gets_a_stream_or_a_json_400(endpoint: Endpoint, fuzz_server, fuzz_dir: Path) -> None:
    check = check_websocket if endpoint.transport is Transport.WEBSOCKET else check_http

    @settings(
        max_examples=EXAMPLES_PER_ENDPOINT,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(query=pairs())
    def answers_well(query: list[tuple[str, str | None]]) -> None:
        check(fuzz_server, endpoint, encode(query))

    answers_well()
    log = (fuzz_dir / "server.log").read_text(errors="replace")
    assert "Traceback" not in log and " ERROR " not in log and "status=500" not in log
