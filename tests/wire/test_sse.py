"""Server-Sent Events: the parser follows the EventSource rules at every split, the counting
decoder counts the same dispatches, and the encoder writes what both read back."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.wire.errors import Limit, TooLarge
from app.wire.sse import EventCounter, SSEEvent, SSEParser, encode_comment, encode_event, encode_retry, event_bytes
from tests.wire.splits import cut_at, examples, fed, splits

SSE_CASES = [
    (b"id: 0\ndata: SSE message 0\n\n", [SSEEvent("SSE message 0", last_event_id="0")]),
    (b"data: a\r\ndata: b\r\n\r\n", [SSEEvent("a\nb")]),
    (b"data: a\rdata: b\r\r", [SSEEvent("a\nb")]),
    (b": comment\ndata:no space\n\n", [SSEEvent("no space")]),
    (b"data:  two spaces\n\n", [SSEEvent(" two spaces")]),
    (b"event: tick\ndata: x\n\ndata: y\n\n", [SSEEvent("x", event="tick"), SSEEvent("y")]),
    (b"id: 7\n\ndata: later\n\n", [SSEEvent("later", last_event_id="7")]),
    (b"id: 1\ndata: x\n\nid\ndata: y\n\n", [SSEEvent("x", last_event_id="1"), SSEEvent("y")]),
    (b"retry: 2500\ndata: x\n\nretry: soon\ndata: y\n\n", [SSEEvent("x", retry=2500), SSEEvent("y", retry=2500)]),
    (b"data\n\n", [SSEEvent("")]),
    (b"data: no blank line yet\n", []),
    (b"\xef\xbb\xbfdata: bom\n\n", [SSEEvent("bom")]),
    (b"id: a\x00b\ndata: x\n\n", [SSEEvent("x")]),
    ("data: \u2603\n\n".encode(), [SSEEvent("\u2603")]),
    (b"unknown: field\ndata: x\n\n", [SSEEvent("x")]),
    (b"\n\ndata: x\r\n\r\n\r\n:data\n\ndata : no\n\n", [SSEEvent("x")]),
    (b"data: x\r\n\n", [SSEEvent("x")]),
]


@pytest.mark.parametrize(("data", "events"), SSE_CASES)
def test_the_parser_follows_eventsource_rules_across_every_split(data: bytes, events: list[SSEEvent]) -> None:
    for reads in splits(data):
        assert fed(SSEParser().feed, reads) == events, reads


@pytest.mark.parametrize(("data", "events"), SSE_CASES)
def test_the_counter_counts_the_same_events_across_every_split(data: bytes, events: list[SSEEvent]) -> None:
    for reads in splits(data):
        counter = EventCounter()
        for read in reads:
            counter.feed(read)
        assert (counter.messages, counter.received) == (len(events), len(data)), reads


def test_a_cr_at_the_end_of_a_read_and_an_lf_at_the_start_of_the_next_are_one_line_end() -> None:
    parser, counter = SSEParser(), EventCounter()
    for read, events in (
        (b"data: x\r", []),
        (b"", []),
        (b"\n\r", [SSEEvent("x")]),
        (b"\ndata: y\n\n", [SSEEvent("y")]),
    ):
        assert parser.feed(read) == events
        counter.feed(read)
    assert counter.messages == 2


def test_the_last_event_id_moves_only_when_an_event_is_dispatched() -> None:
    # A connection cut inside event 2: a reconnect must resume after 1, not after 2.
    for reads in splits(b"id: 1\ndata: x\n\nid: 2\ndata: y\n"):
        parser = SSEParser()
        assert fed(parser.feed, reads) == [SSEEvent("x", last_event_id="1")], reads
        assert parser.last_event_id == "1"


def test_an_id_without_data_still_sets_the_last_event_id() -> None:
    parser = SSEParser()
    assert parser.feed(b"id: 5\n\n") == []
    assert parser.last_event_id == "5"


def test_a_parser_seeded_with_the_last_event_id_keeps_it_across_a_reconnection() -> None:
    parser = SSEParser(last_event_id="4")
    assert parser.last_event_id == "4"
    assert parser.feed(b"data: x\n\nid: 5\ndata: y\n\n") == [
        SSEEvent("x", last_event_id="4"),
        SSEEvent("y", last_event_id="5"),
    ]


def test_retry_takes_effect_without_an_event() -> None:
    for reads in splits(encode_retry(500) + encode_comment("keep-alive")):
        parser, counter = SSEParser(), EventCounter()
        assert fed(parser.feed, reads) == []
        for read in reads:
            counter.feed(read)
        assert (parser.retry, counter.messages) == (500, 0)


def test_the_encoder_writes_one_data_line_per_line_of_the_payload() -> None:
    assert encode_event(3, "a") == "id: 3\ndata: a\n\n"
    assert encode_event(4, "a\nb") == "id: 4\ndata: a\ndata: b\n\n"


payload_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r"), max_size=40)
stream_items = st.lists(
    st.one_of(
        st.tuples(st.integers(min_value=0, max_value=10**6), payload_text),
        st.sampled_from([encode_comment("keep-alive"), encode_retry(250)]),
    ),
    max_size=6,
)


@examples(80)
@given(items=stream_items, crlf=st.booleans(), cuts=st.lists(st.integers(min_value=1, max_value=600), max_size=8))
def test_what_the_encoder_writes_the_parser_reads_back_and_the_counter_counts(
    items: list[tuple[int, str] | bytes], crlf: bool, cuts: list[int]
) -> None:
    written = [item if isinstance(item, bytes) else encode_event(*item).encode() for item in items]
    stream = b"".join(written)
    if crlf:
        stream = stream.replace(b"\n", b"\r\n")
    parser, counter = SSEParser(), EventCounter()
    events = []
    for read in cut_at(stream, cuts):
        events += parser.feed(read)
        counter.feed(read)
    sent = [item for item in items if not isinstance(item, bytes)]
    assert [(e.last_event_id, e.data) for e in events] == [(str(i), data) for i, data in sent]
    assert counter.messages == len(events)
    assert [event_bytes(i, data) for i, data in sent] == [len(w) for w in written if not w.startswith((b":", b"r"))]


LINES = ["data: x", "data", "data:", "id: 1", ": data", "", "event: e", "datax: y", " data: z", "retry: 5", "é✓"]
line_soup = st.lists(st.tuples(st.sampled_from(LINES), st.sampled_from(["\n", "\r", "\r\n"])), max_size=12)


@examples(150)
@given(lines=line_soup, bom=st.booleans(), cuts=st.lists(st.integers(min_value=1, max_value=200), max_size=6))
def test_the_counter_and_the_parser_agree_on_any_mix_of_fields_and_line_ends(
    lines: list[tuple[str, str]], bom: bool, cuts: list[int]
) -> None:
    stream = (("\ufeff" if bom else "") + "".join(line + end for line, end in lines)).encode()
    parser, counter = SSEParser(), EventCounter()
    events = []
    for read in cut_at(stream, cuts):
        events += parser.feed(read)
        counter.feed(read)
    assert counter.messages == len(events)


def test_a_line_without_end_past_the_bound_is_refused_as_it_grows() -> None:
    parser = SSEParser(max_line=16)
    assert parser.feed(b"data: 0123456789") == []
    with pytest.raises(TooLarge, match="line over 16 bytes") as raised:
        parser.feed(b"x")
    assert raised.value.limit is Limit.LINE


def test_an_event_of_many_short_lines_past_the_bound_is_refused_before_its_blank_line() -> None:
    parser = SSEParser(max_line=16, max_event=10)
    assert parser.feed(b"data: 01234\ndata: 5678\n\n") == [SSEEvent("01234\n5678")]
    with pytest.raises(TooLarge, match="event over 10 bytes") as raised:
        parser.feed(b"data: 01234\ndata: 56789\n")
    assert raised.value.limit is Limit.EVENT


def test_the_bounds_count_bytes_not_characters() -> None:
    four = "\U0001f600".encode()  # one character, four bytes
    parser = SSEParser(max_line=16, max_event=10)
    assert parser.feed(b"data: " + four * 2 + b"\n\n") == [SSEEvent("\U0001f600" * 2)]
    with pytest.raises(TooLarge, match="line over 16 bytes"):
        parser.feed(b"data: " + four * 3)  # 9 characters, 18 bytes
    with pytest.raises(TooLarge, match="event over 10 bytes"):
        SSEParser(max_line=16, max_event=10).feed(b"data: " + four * 2 + b"\ndata: " + four + b"\n")


def line_read() -> bytes:
    return b"x" * 65536


def event_read() -> bytes:
    return b"data: " + b"x" * 65529 + b"\n"


@pytest.mark.parametrize(("opening", "read"), [(b"data: ", line_read), (b"", event_read)], ids=["line", "event"])
def test_the_counter_holds_nothing_of_a_line_or_an_event_without_end(opening: bytes, read: Callable[[], bytes]) -> None:
    counter = EventCounter()
    tracemalloc.start()
    try:
        counter.feed(opening)
        for _ in range(256):  # 16 MiB, each read a new one, as a socket gives them
            counter.feed(read())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # A read and the few bytes before it, copied once: before, the event was held whole.
    assert peak < 4 * 65536, peak
    counter.feed(b"\n\n")
    assert counter.messages == 1
