"""Progressive versus buffered, and each stream read the way its format is meant to be read."""

from __future__ import annotations

import json
import time

import aiohttp
import ijson

from app.wire.sse import SSEParser

INTERVAL = 0.2
COUNT = 5


async def _arrival_times(response: aiohttp.ClientResponse, started: float) -> list[float]:
    """When each HTTP chunk with data completed (the zero-length last chunk is not one)."""
    times, pending = [], 0
    async for data, end_of_chunk in response.content.iter_chunks():
        pending += len(data)
        if end_of_chunk and pending:
            times.append(time.monotonic() - started)
            pending = 0
    return times


async def test_chunked_first_message_arrives_long_before_the_last(
    session: aiohttp.ClientSession, base_url: str
) -> None:
    started = time.monotonic()
    async with session.get(f"{base_url}/chunked?count={COUNT}&interval={INTERVAL}") as response:
        times = await _arrival_times(response, started)
    assert len(times) == COUNT
    # Message i is due at i x interval: the first at once, the last after 0.8 s.
    assert times[0] < 0.25 * times[-1]
    assert times[-1] >= 0.9 * (COUNT - 1) * INTERVAL


async def test_non_chunked_sends_nothing_until_the_whole_body_is_ready(
    session: aiohttp.ClientSession, base_url: str
) -> None:
    started = time.monotonic()
    async with session.get(f"{base_url}/non-chunked?count={COUNT}&interval={INTERVAL}") as response:
        headers_at = time.monotonic() - started
        await response.read()
        body_at = time.monotonic() - started
    assert response.headers["Content-Length"] == str(len("".join(f"Chunk {i}\n" for i in range(COUNT))))
    # Nothing, not even the status line, comes before the whole body was produced.
    assert headers_at >= 0.9 * COUNT * INTERVAL
    assert body_at - headers_at < 0.25 * headers_at


async def test_json_array_is_read_item_by_item_as_it_arrives(session: aiohttp.ClientSession, base_url: str) -> None:
    started = time.monotonic()
    arrivals: list[tuple[float, dict[str, object]]] = []
    async with session.get(f"{base_url}/json?count=4&interval={INTERVAL}") as response:
        async for item in ijson.items_async(response.content, "item"):
            arrivals.append((time.monotonic() - started, item))
    assert [item["name"] for _, item in arrivals] == ["Tom", "Adam", "Sam", "Person 4"]
    # ijson hands over each item when its own chunk arrives, not at the closing bracket.
    assert arrivals[0][0] < 0.25 * arrivals[-1][0]


async def test_ndjson_is_read_line_by_line(session: aiohttp.ClientSession, base_url: str) -> None:
    started = time.monotonic()
    arrivals: list[tuple[float, dict[str, object]]] = []
    async with session.get(f"{base_url}/ndjson?interval={INTERVAL}") as response:
        async for line in response.content:
            arrivals.append((time.monotonic() - started, json.loads(line)))
    assert [item["id"] for _, item in arrivals] == [1, 2, 3, 4, 5]
    assert arrivals[0][0] < 0.25 * arrivals[-1][0]


def _event_source_events(stream: str) -> list[dict[str, str]]:
    """Dispatch events by the EventSource rules, with the client's parser."""
    parser = SSEParser()
    return [{"id": e.last_event_id, "data": e.data} for e in parser.feed(stream.encode())]


async def test_sse_parses_as_an_event_source_parses_it(session: aiohttp.ClientSession, base_url: str) -> None:
    async with session.get(f"{base_url}/sse?interval=0&stamp=1&count=3") as response:
        events = _event_source_events(await response.text())
    assert [event["id"] for event in events] == ["0", "1", "2"]
    assert [event["data"].split(" @")[0] for event in events] == [f"SSE message {i}" for i in range(3)]


async def test_sse_reconnect_resumes_after_last_event_id(session: aiohttp.ClientSession, base_url: str) -> None:
    async with session.get(f"{base_url}/sse?interval=0", headers={"Last-Event-ID": "2"}) as response:
        events = _event_source_events(await response.text())
    assert [event["id"] for event in events] == ["3", "4"]


async def test_sse_reconnect_after_the_last_event_is_told_to_stop(
    session: aiohttp.ClientSession, base_url: str
) -> None:
    async with session.get(f"{base_url}/sse?interval=0", headers={"Last-Event-ID": "4"}) as response:
        assert response.status == 204


async def test_sse_keeps_a_quiet_stream_alive_with_comment_lines(
    session: aiohttp.ClientSession, base_url: str, monkeypatch
) -> None:
    monkeypatch.setattr("app.server.transports.sse.KEEPALIVE_SECONDS", 0.05)
    async with session.get(f"{base_url}/sse?count=2&interval=0.3") as response:
        body = await response.text()
    assert body.count(": keep-alive\n\n") >= 3
    assert [event["data"] for event in _event_source_events(body)] == ["SSE message 0", "SSE message 1"]
