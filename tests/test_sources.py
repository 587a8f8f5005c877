"""The sources as pure functions: what they render, without a server."""

from __future__ import annotations

import json
import tracemalloc

import pytest

from app.params import StreamParams
from app.server.transports.sse import sse_event
from app.sources import TUTORIAL_PEOPLE, json_array, ndjson_lines, nested_json

FIXED_MS = 1764000000123.456


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


def test_nested_json_produces_users_one_at_a_time() -> None:
    # 100 users of 1 MiB: a 100 MiB document if it were built before the first message.
    tracemalloc.start()
    try:
        messages = nested_json(StreamParams(count=100, interval=0, size=1_048_576), None).messages
        assert next(messages) == '{"users":[{"id":1'
        sent = sum(len(message) for message in messages)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sent > 100 * 1_048_576
    assert peak < 8 * 1_048_576


def test_sse_event_splits_multiline_data_into_data_lines() -> None:
    assert sse_event(3, "a") == "id: 3\ndata: a\n\n"
    assert sse_event(4, "a\nb") == "id: 4\ndata: a\ndata: b\n\n"
