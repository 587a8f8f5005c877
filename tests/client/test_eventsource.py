"""EventSource's reconnection rules as pure state: what each answer means, how long to
wait, which Last-Event-ID to send, and a whole dropped stream replayed without a socket."""

from __future__ import annotations

import pytest

from app.client.compare.reconnection import (
    DEFAULT_RETRY_MS,
    MAX_FRUITLESS_CONNECTIONS,
    Answer,
    GaveUp,
    Reconnection,
    classify,
)
from app.wire.sse import SSEEvent, SSEParser


@pytest.mark.parametrize(
    ("status", "content_type", "answer"),
    [
        (200, "text/event-stream", Answer.STREAM),
        (200, "text/event-stream; charset=utf-8", Answer.STREAM),
        (200, "Text/Event-Stream", Answer.STREAM),
        (204, "", Answer.DONE),
        (200, "text/plain", Answer.REFUSED),
        (400, "application/json", Answer.REFUSED),
        (503, "text/event-stream", Answer.REFUSED),
    ],
)
def test_classify_follows_eventsource(status: int, content_type: str, answer: Answer) -> None:
    assert classify(status, content_type) is answer


def test_the_first_request_has_no_last_event_id_and_the_default_wait_is_3_s() -> None:
    state = Reconnection()
    assert state.request_headers() == {}
    parser = state.parser()
    assert parser.feed(b"data: no id\n\n") == [SSEEvent("no id")]
    assert state.ended(parser, events=1) == DEFAULT_RETRY_MS / 1000 == 3.0
    assert state.request_headers() == {}
    assert state.connections == 2


def test_retry_and_the_last_event_id_carry_over_to_the_next_connection() -> None:
    state = Reconnection()
    state.request_headers()
    parser = state.parser()
    parser.feed(b"retry: 500\n\nid: 0\ndata: a\n\nid: 1\ndata: b\n\nid: 2\ndata: cut off")
    assert state.ended(parser, events=2) == 0.5
    assert state.request_headers() == {"Last-Event-ID": "1"}
    # a connection that sends no retry: keeps the last one
    parser = state.parser()
    assert parser.feed(b"data: c\n\n") == [SSEEvent("c", last_event_id="1")]
    assert state.ended(parser, events=1) == 0.5


def test_a_connection_without_an_answer_keeps_the_state() -> None:
    state = Reconnection(last_event_id="3", retry_ms=500)
    assert state.ended(None, events=0) == 0.5
    assert state.request_headers() == {"Last-Event-ID": "3"}


def test_it_gives_up_after_connections_in_a_row_without_an_event() -> None:
    state = Reconnection()
    for _ in range(MAX_FRUITLESS_CONNECTIONS - 1):
        state.ended(None, events=0)
    state.ended(None, events=1)  # an event resets the count
    for _ in range(MAX_FRUITLESS_CONNECTIONS - 1):
        state.ended(None, events=0)
    with pytest.raises(GaveUp, match=f"{MAX_FRUITLESS_CONNECTIONS} connections in a row"):
        state.ended(None, events=0)


def dropping_server(count: int, drop: int, headers: dict[str, str]) -> tuple[int, bytes]:
    """The contract of `/sse?drop=N`: `retry: 500`, then at most N events after Last-Event-ID
    before the cut; 204 once nothing is left."""
    start = int(headers["Last-Event-ID"]) + 1 if "Last-Event-ID" in headers else 0
    if start >= count:
        return 204, b""
    events = b"".join(f"id: {i}\ndata: SSE message {i}\n\n".encode() for i in range(start, min(start + drop, count)))
    return 200, b"retry: 500\n\n" + events


@pytest.mark.parametrize(("count", "drop"), [(5, 2), (5, 1), (4, 2), (3, 5)])
def test_a_dropped_stream_is_delivered_once_across_connections(count: int, drop: int) -> None:
    state, delivered, waits = Reconnection(), [], []
    for _ in range(count + 2):  # a reader that does not resume would go round for ever
        status, body = dropping_server(count, drop, state.request_headers())
        if classify(status, "text/event-stream") is Answer.DONE:
            break
        parser = state.parser()
        events = parser.feed(body)
        delivered += [event.data for event in events]
        waits.append(state.ended(parser, len(events)))
    assert delivered == [f"SSE message {i}" for i in range(count)]
    streams = -(-count // drop)  # each connection brings `drop` events, the last one the rest
    assert state.connections == streams + 1  # and one more for the 204
    assert waits == [0.5] * streams


def test_parser_is_new_for_each_connection_so_a_half_event_is_dropped() -> None:
    state = Reconnection()
    first = state.parser()
    first.feed(b"id: 0\ndata: whole\n\nid: 1\ndata: half")
    state.ended(first, events=1)
    second = state.parser()
    assert isinstance(second, SSEParser) and second is not first
    assert second.feed(b"id: 1\ndata: again\n\n") == [SSEEvent("again", last_event_id="1")]
