"""Every registry endpoint, at its defaults: the tutorial's bytes, the right headers,
one chunk per message, and a stamped format that parses."""

from __future__ import annotations

import json

import aiohttp
import pytest

from app.endpoints import ENDPOINTS, Endpoint, Framing
from app.sources import epoch_ms, split_stamp
from app.transport import Transport
from tests import tutorial
from tests.helpers import FAST, HTTP_ENDPOINTS, STREAMING_ENDPOINTS, WS_ENDPOINTS, ids, ws_texts


def test_every_endpoint_has_a_tutorial_or_documented_body() -> None:
    assert {endpoint.name for endpoint in HTTP_ENDPOINTS} == set(tutorial.HTTP_BODIES)
    assert len({endpoint.path for endpoint in ENDPOINTS}) == len(ENDPOINTS)


@pytest.mark.parametrize("endpoint", HTTP_ENDPOINTS, ids=ids)
async def test_default_body_is_byte_for_byte_the_tutorials(
    endpoint: Endpoint, session: aiohttp.ClientSession, base_url: str
) -> None:
    async with session.get(f"{base_url}{endpoint.path}?{FAST}") as response:
        assert response.status == 200
        body = await response.read()
    assert body == tutorial.HTTP_BODIES[endpoint.name].encode()


@pytest.mark.parametrize("endpoint", WS_ENDPOINTS, ids=ids)
async def test_websocket_sends_the_tutorials_messages_then_closes_normally(
    endpoint: Endpoint, session: aiohttp.ClientSession, base_url: str
) -> None:
    texts, close_code = await ws_texts(session, f"{base_url}{endpoint.path}?{FAST}")
    assert texts == tutorial.WEBSOCKET
    assert close_code == 1000


@pytest.mark.parametrize("endpoint", HTTP_ENDPOINTS, ids=ids)
async def test_stream_headers_forbid_buffering_sniffing_and_compression(
    endpoint: Endpoint, session: aiohttp.ClientSession, base_url: str
) -> None:
    headers = {"Accept-Encoding": "gzip, deflate, br"}
    async with session.get(f"{base_url}{endpoint.path}?{FAST}", headers=headers, auto_decompress=False) as response:
        await response.read()
    assert response.headers["Content-Type"] == endpoint.content_type
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["X-Accel-Buffering"] == "no"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Content-Encoding" not in response.headers
    if endpoint.transport is Transport.BUFFERED:
        assert "Content-Length" in response.headers
    else:
        assert response.headers["Transfer-Encoding"] == "chunked"


@pytest.mark.parametrize("endpoint", STREAMING_ENDPOINTS, ids=ids)
async def test_each_message_is_its_own_http_chunk(
    endpoint: Endpoint, session: aiohttp.ClientSession, base_url: str
) -> None:
    body = endpoint.source(endpoint.defaults, None)
    expected = list(body.messages) + ([body.tail] if body.tail else [])
    if endpoint.transport is Transport.SSE:
        expected = [f"id: {i}\ndata: {text}\n\n" for i, text in enumerate(expected)]
    chunks: list[bytes] = []
    async with session.get(f"{base_url}{endpoint.path}?interval=0") as response:
        pending = b""
        async for data, end_of_chunk in response.content.iter_chunks():
            pending += data
            if end_of_chunk and pending:
                chunks.append(pending)
                pending = b""
    assert [chunk.decode() for chunk in chunks] == expected


def _stamps(endpoint: Endpoint, body: str) -> list[float]:
    if endpoint.name in ("json", "ndjson"):
        items = json.loads(body) if endpoint.name == "json" else [json.loads(line) for line in body.splitlines()]
        return [item["ts"] for item in items]
    lines = [line for line in body.splitlines() if line and not line.startswith("id: ")]
    return [_text_stamp(line) for line in lines]


def _text_stamp(text: str) -> float:
    _, stamp = split_stamp(text)
    assert stamp is not None, f"no stamp in {text!r}"
    return stamp


@pytest.mark.parametrize("endpoint", [e for e in HTTP_ENDPOINTS if e.stampable], ids=ids)
async def test_stamped_messages_stay_valid_and_carry_increasing_send_times(
    endpoint: Endpoint, session: aiohttp.ClientSession, base_url: str
) -> None:
    before = epoch_ms()
    async with session.get(f"{base_url}{endpoint.path}?{FAST}&stamp=1") as response:
        body = (await response.read()).decode()
    after = epoch_ms()
    stamps = _stamps(endpoint, body)
    assert len(stamps) >= endpoint.defaults.count
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
    assert before <= stamps[0] and stamps[-1] <= after


async def test_websocket_stamps_increase(session: aiohttp.ClientSession, base_url: str) -> None:
    texts, _ = await ws_texts(session, f"{base_url}/ws?{FAST}&stamp=1")
    stamps = [_text_stamp(text) for text in texts]
    assert len(stamps) == 5 and stamps == sorted(stamps) and len(set(stamps)) == 5


async def test_nested_json_ignores_stamp_as_documented(session: aiohttp.ClientSession, base_url: str) -> None:
    async with session.get(f"{base_url}/json-nested?{FAST}&stamp=1") as response:
        assert (await response.text()) == tutorial.JSON_NESTED


@pytest.mark.parametrize("endpoint", HTTP_ENDPOINTS, ids=ids)
async def test_size_pads_every_message_and_keeps_the_format_valid(
    endpoint: Endpoint, session: aiohttp.ClientSession, base_url: str
) -> None:
    async with session.get(f"{base_url}{endpoint.path}?{FAST}&size=100&count=3") as plain:
        plain_body = await plain.text()
    async with session.get(f"{base_url}{endpoint.path}?{FAST}&size=0&count=3") as unpadded:
        unpadded_body = await unpadded.text()
    assert plain_body.count("x" * 100) >= 3
    assert len(plain_body) >= len(unpadded_body) + 300
    if endpoint.content_type == "application/json":
        json.loads(plain_body)


def framing_seen_in(endpoint: Endpoint) -> Framing:
    """How the endpoint's default body divides into messages, judged from the body alone."""
    if endpoint.transport in (Transport.SSE, Transport.WEBSOCKET):
        return Framing(endpoint.transport.value)  # each message is an event or a frame of its own
    body = endpoint.source(endpoint.defaults, None)
    messages = list(body.messages)
    text = "".join(messages) + body.tail
    try:
        document = json.loads(text)
    except ValueError:
        if not all(message.endswith("\n") for message in messages):
            raise AssertionError(f"{endpoint.name}: neither one JSON document nor lines") from None
        lines = text.splitlines()
        return Framing.NDJSON if all(_json_object(line) for line in lines) else Framing.LINES
    if isinstance(document, list) and len(document) == len(messages):
        return Framing.JSON_ITEMS  # one message per item of an array
    return Framing.CHUNKS  # one document cut into tokens: nothing in the body marks a message's end


def _json_object(line: str) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=ids)
def test_declared_framing_is_what_the_example_body_looks_like(endpoint: Endpoint) -> None:
    assert endpoint.framing is framing_seen_in(endpoint)
