"""diagnose's pure parts: response bodies taken apart at every split of their bytes, and the
timeline's report. (Its frames are the wire codec's: tests/wire; its causes: test_causes.py.)"""

from __future__ import annotations

import gzip

import pytest

from app.client.diagnose.body import BodyReading
from app.client.diagnose.exchange import Exchange
from app.client.diagnose.report import Diagnosis, timing_lines
from app.client.diagnose.verdict import Arrival
from app.wire.chunked import encode_chunked
from app.wire.coding import ContentEncoder
from app.wire.http import Head, parse_head


def head(*fields: str) -> Head:
    parsed = parse_head(("HTTP/1.1 200 OK\r\n" + "".join(f"{f}\r\n" for f in fields) + "\r\n").encode())
    assert parsed is not None
    return parsed[0]


def read_split(reading: BodyReading, data: bytes, cut: int) -> tuple[int, int]:
    """(bytes decoded, messages) of a body read in two."""
    pieces = [reading.feed(data[:cut]), reading.feed(data[cut:])]
    if not reading.done:
        pieces.append(reading.finish())
    return sum(p.decoded for p in pieces), sum(p.messages for p in pieces)


def test_a_chunked_gzip_event_stream_decodes_and_counts_its_events_at_every_split() -> None:
    events = [b"data: one\n\n", b"data: two\n\n", b"id: 3\ndata: three\n\n"]
    encoder = ContentEncoder("gzip")
    body = encode_chunked([*(encoder.feed(event, flush=True) for event in events), encoder.end()])
    fields = ("Content-Type: text/event-stream", "Transfer-Encoding: chunked", "Content-Encoding: gzip")
    for cut in range(len(body) + 1):
        reading = BodyReading(head(*fields))
        assert read_split(reading, body, cut) == (len(b"".join(events)), 3)
        assert reading.done and reading.chunk_count == 4


def test_a_length_delimited_ndjson_body_counts_its_lines_and_ignores_what_follows() -> None:
    body = b'{"a":1}\n{"a":2}\n{"a":3}'
    for cut in range(len(body) + 1):
        reading = BodyReading(head("Content-Type: application/x-ndjson", f"Content-Length: {len(body)}"))
        assert read_split(reading, body + b"junk", cut) == (len(body), 3)


def test_a_body_delimited_by_close_ends_with_finish() -> None:
    reading = BodyReading(head("Content-Type: text/plain", "Content-Encoding: gzip"))
    data = gzip.compress(b"all of it")
    assert reading.delimited_by_close
    assert read_split(reading, data, 3) == (len(b"all of it"), 0)


def exchange_of(*fields: str, arrivals: list[Arrival], end_ms: float, reading: str = "bytes") -> Exchange:
    headers = dict(field.lower().split(": ", 1) for field in fields)
    return Exchange(url="http://127.0.0.1/", headers=headers, arrivals=arrivals, end_ms=end_ms, reading=reading)


@pytest.mark.parametrize(
    ("arrivals", "said", "unsaid"),
    [
        ([Arrival(400, 20, 8, 1)], "1 arrival, 1 line ·", "1 arrivals"),
        ([Arrival(400, 20, 8, 1), Arrival(800, 20, 8, 1)], "2 arrivals, 2 lines ·", "2 arrival,"),
    ],
)
def test_the_timeline_says_one_arrival_and_two_arrivals(arrivals: list[Arrival], said: str, unsaid: str) -> None:
    exchange = exchange_of("Content-Type: text/plain", arrivals=arrivals, end_ms=1000, reading="lines")
    exchange.chunks, exchange.framing_bytes = 1, 5
    text = "\n".join(timing_lines(Diagnosis.of(exchange)))
    assert said in text and unsaid not in text
    assert "chunked: 1 chunk, 5 bytes of framing" in text
    # each arrival's own line, one line each
    assert sum(line.endswith("B decoded  1 line") for line in text.splitlines()) == len(arrivals)


@pytest.mark.parametrize(
    ("url", "status", "reason", "verdict", "said"),
    [
        ("http://127.0.0.1/", 404, "Not Found", "error", "the server answered 404 Not Found: an error, not a stream"),
        ("http://127.0.0.1/", 503, "", "error", "the server answered 503 Service Unavailable: an error, not a stream"),
        ("http://127.0.0.1/", 599, "", "error", "the server answered 599: an error, not a stream"),
        ("https://127.0.0.1/", 399, "Odd", "inconclusive", "no content arrived, so there is nothing to judge"),
        (
            "wss://127.0.0.1/",
            200,
            "OK",
            "not-upgraded",
            "the server answered HTTP 200 OK instead of switching protocols (101): not a WebSocket",
        ),
        (
            "ws://127.0.0.1/",
            404,
            "",
            "not-upgraded",
            "the server answered HTTP 404 Not Found instead of switching protocols (101): not a WebSocket",
        ),
        (
            "ws://127.0.0.1/",
            101,
            "Switching Protocols",
            "inconclusive",
            "no content arrived, so there is nothing to judge",
        ),
    ],
)
def test_an_answer_that_is_not_a_stream_gets_its_own_verdict(
    url: str, status: int, reason: str, verdict: str, said: str
) -> None:
    """An error status (the standard phrase when none was sent), a WebSocket URL not upgraded
    (whatever its status); anything else is for the timeline rules."""
    exchange = Exchange(url=url, status=status, reason=reason, end_ms=10)
    diagnosis = Diagnosis.of(exchange)
    assert (diagnosis.judgement.verdict, diagnosis.judgement.reason) == (verdict, said)
    assert diagnosis.judged == (verdict == "inconclusive")


@pytest.mark.parametrize(
    ("headers", "shown", "dropped"),
    [
        ({"upgrade": "websocket"}, " (Upgrade: websocket)", True),
        (
            {"upgrade": "WebSocket", "sec-websocket-version": "13, 8"},
            " (Upgrade: WebSocket, Sec-WebSocket-Version: 13, 8)",
            True,
        ),
        (
            {"upgrade": "websocket", "sec-websocket-version": "8, 7"},
            " (Upgrade: websocket, Sec-WebSocket-Version: 8, 7)",
            False,
        ),
        ({"upgrade": "h2c"}, " (Upgrade: h2c)", False),
        ({}, "", False),
    ],
)
def test_a_426_that_wants_the_handshake_it_was_sent_blames_a_hop(
    headers: dict[str, str], shown: str, dropped: bool
) -> None:
    """Upgrade: websocket on a 426 means the server never saw this request's Upgrade and
    Connection: a hop dropped them. Not when it lists versions without ours (13)."""
    exchange = Exchange(url="ws://127.0.0.1/", status=426, reason="Upgrade Required", headers=headers, end_ms=1)
    diagnosis = Diagnosis.of(exchange)
    assert diagnosis.judgement.reason.endswith(f"not a WebSocket{shown}")
    assert [cause.id for cause in diagnosis.causes] == (["upgrade-dropped"] if dropped else [])
    assert diagnosis.warnings == []
