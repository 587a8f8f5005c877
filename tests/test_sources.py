"""The sources as pure functions: what they render, without a server."""

from __future__ import annotations

import itertools
import json
import tracemalloc
from collections.abc import Iterator
from typing import Any

import pytest

from app.params import StreamParams
from app.sources import (
    TUTORIAL_PEOPLE,
    Source,
    _PieceReader,
    ijson_events,
    json_array,
    ndjson_lines,
    nested_json,
    split_stamp,
    text_stamp,
)
from tests import tutorial

FIXED_MS = 1764000000123.456
#: The (count, size) grid the fast sources are pinned on, against the references below.
REFERENCE_GRID = [*itertools.product((0, 1, 2, 3, 5, 50), (0, 1, 7, 300)), (3, 70_000), (5, 40_000), (2, 200_000)]


@pytest.mark.parametrize(("size", "stamp"), [(0, False), (3, False), (0, True), (5, True)])
def test_json_items_are_exactly_what_json_dumps_writes(size: int, stamp: bool) -> None:
    params = StreamParams(count=5, interval=0, size=size, stamp=stamp)
    clock = (lambda: FIXED_MS) if stamp else None
    people = [*TUTORIAL_PEOPLE, {"id": 4, "name": "Person 4"}, {"id": 5, "name": "Person 5"}]
    extra = {**({"pad": "x" * size} if size else {}), **({"ts": FIXED_MS} if stamp else {})}
    expected_lines = [json.dumps({**person, **extra}) for person in people]
    assert list(ndjson_lines(params, clock).messages) == [f"{line}\n" for line in expected_lines]
    body = json_array(params, clock)
    assert "".join(body.messages) + body.tail == "[\n" + "\n,\n".join(expected_lines) + "\n]"


@pytest.mark.parametrize(
    ("source", "first"),
    [(nested_json, '{"users":[{"id":1'), (ijson_events, " start_map None\n")],
    ids=["nested", "ijson"],
)
def test_documents_are_produced_one_user_or_item_at_a_time(source: Source, first: str) -> None:
    # 100 users (or items) of 1 MiB: a 100 MiB document if it were built before the first message.
    tracemalloc.start()
    try:
        messages = source(StreamParams(count=100, interval=0, size=1_048_576), None).messages
        assert next(messages) == first
        sent = sum(len(message) for message in messages)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sent > 100 * 1_048_576
    assert peak < 8 * 1_048_576


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Chunk 0 @1764000000000.000", ("Chunk 0", 1764000000000.0)),
        ("SSE message 3 xxxx @1764000000001.250", ("SSE message 3 xxxx", 1764000000001.25)),
        ("Chunk 0", ("Chunk 0", None)),
        ("Chunk 0 @17640", ("Chunk 0 @17640", None)),
        ("mail me @1764000000000.000 now", ("mail me @1764000000000.000 now", None)),
    ],
)
def test_split_stamp_reads_a_stamp_back_and_only_a_stamp(text: str, expected: tuple[str, float | None]) -> None:
    assert split_stamp(text) == expected


def test_split_stamp_reads_back_what_text_stamp_writes() -> None:
    assert split_stamp("Chunk 0" + text_stamp(lambda: FIXED_MS)) == ("Chunk 0", FIXED_MS)


def _expected_nested_document(count: int, size: int) -> dict[str, Any]:
    """The nested document written out in full, from the tutorial rather than from the source."""
    tutorial = [{"id": 1, "name": "Tom", "roles": ["admin", "user"]}, {"id": 2, "name": "Adam", "roles": ["user"]}]
    users = [
        tutorial[index] if index < 2 else {"id": index + 1, "name": f"User {index + 1}", "roles": ["user"]}
        for index in range(count)
    ]
    padded = [{**user, "pad": "x" * size} if size else user for user in users]
    return {"users": padded, "settings": {"theme": "dark", "notifications": True}}


def _write_compact(value: Any, out: list[str], ends: list[int]) -> None:
    """Appends `value` as compact JSON to `out`, and to `ends` the text's length after each value."""
    if isinstance(value, dict):
        out.append("{")
        for index, (key, item) in enumerate(value.items()):
            out.append(f"{',' if index else ''}{json.dumps(key)}:")
            _write_compact(item, out, ends)
        out.append("}")
    elif isinstance(value, list):
        out.append("[")
        for index, item in enumerate(value):
            out.append("," if index else "")
            _write_compact(item, out, ends)
        out.append("]")
    else:
        out.append(json.dumps(value))
    ends.append(sum(map(len, out)))


def _cut_at_each_completed_value(document: Any) -> list[str]:
    out: list[str] = []
    ends: list[int] = []
    _write_compact(document, out, ends)
    text = "".join(out)
    return [text[start:end] for start, end in itertools.pairwise([0, *ends])]


@pytest.mark.parametrize(("count", "size"), REFERENCE_GRID)
def test_nested_json_sends_one_message_per_completed_value(count: int, size: int) -> None:
    document = _expected_nested_document(count, size)
    expected = _cut_at_each_completed_value(document)
    for clock in (None, lambda: FIXED_MS):
        params = StreamParams(count=count, interval=0, size=size, stamp=clock is not None)
        assert list(nested_json(params, clock).messages) == expected
    assert json.loads("".join(expected)) == document
    assert "".join(expected) == json.dumps(document, separators=(",", ":"))


def test_the_reference_cuts_the_tutorials_document_where_the_tutorial_pauses() -> None:
    expected = _cut_at_each_completed_value(_expected_nested_document(2, 0))
    assert "".join(expected) == tutorial.JSON_NESTED
    assert expected[:5] == ['{"users":[{"id":1', ',"name":"Tom"', ',"roles":["admin"', ',"user"', "]"]
    assert expected[-5:] == ["]", ',"settings":{"theme":"dark"', ',"notifications":true', "}", "}"]
    assert len(expected) == 16


def _parse_events(value: Any, prefix: str = "") -> Iterator[tuple[str, str, Any]]:
    """What ijson reports for `value`, derived from its documented event grammar, not by ijson."""
    if isinstance(value, dict):
        yield prefix, "start_map", None
        for key, item in value.items():
            yield prefix, "map_key", key
            yield from _parse_events(item, f"{prefix}.{key}" if prefix else key)
        yield prefix, "end_map", None
    elif isinstance(value, list):
        yield prefix, "start_array", None
        for item in value:
            yield from _parse_events(item, f"{prefix}.item" if prefix else "item")
        yield prefix, "end_array", None
    else:
        yield prefix, "string" if isinstance(value, str) else "number", value


@pytest.mark.parametrize(("count", "size"), REFERENCE_GRID)
@pytest.mark.parametrize("stamp", [False, True])
def test_ijson_sends_one_line_per_parse_event_of_the_items_document(count: int, size: int, stamp: bool) -> None:
    items = [{"id": index + 1, **({"pad": "x" * size} if size else {})} for index in range(count)]
    suffix = f" @{FIXED_MS:.3f}" if stamp else ""
    expected = [f"{prefix} {event} {value}{suffix}\n" for prefix, event, value in _parse_events({"items": items})]
    params = StreamParams(count=count, interval=0, size=size, stamp=stamp)
    assert list(ijson_events(params, (lambda: FIXED_MS) if stamp else None).messages) == expected


def test_ijson_reader_gathers_small_pieces_and_hands_a_large_one_over_whole() -> None:
    large = b"x" * 100
    reader = _PieceReader(iter([b"ab", b"cd", large, b"ef", b"g"]))
    assert reader.read(0) == b""
    assert reader.read(10) == b"abcd"
    assert reader.read(10) is large
    assert [reader.read(10), reader.read(10)] == [b"efg", b""]
