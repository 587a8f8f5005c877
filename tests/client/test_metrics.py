"""diagnose's token-stream figures: the first message (not a comment), the gaps between
messages, their rate, the silences, and the idle-timeout warning; pure, then once against an
OpenAI-style SSE answer on loopback (`: PROCESSING` comments for 2 s, then the tokens)."""

from __future__ import annotations

import asyncio
import json

import pytest
from aiohttp import web
from pytest_aiohttp import AiohttpServer

import app.client.diagnose.command as diagnose
from app.client.diagnose.body import BodyReading
from app.client.diagnose.exchange import Ending, Exchange
from app.client.diagnose.fetch import Ask, exchange
from app.client.diagnose.metrics import FIELDS, Gaps, idle_warning, measure, percentile
from app.client.diagnose.report import Diagnosis, timing_lines
from app.client.diagnose.verdict import Arrival
from app.wire.http import parse_head


def stream(*arrivals: Arrival, end_ms: float, reading: str = "events", headers_ms: float = 5.0) -> Exchange:
    return Exchange(
        url="http://127.0.0.1/",
        headers={"content-type": "text/event-stream"},
        arrivals=list(arrivals),
        headers_ms=headers_ms,
        end_ms=end_ms,
        reading=reading,
    )


def comment(t_ms: float) -> Arrival:
    """An SSE comment: bytes on the wire and decoded, no message."""
    return Arrival(t_ms, 20, 14, 0)


def event(t_ms: float, messages: int = 1) -> Arrival:
    return Arrival(t_ms, 30 * messages, 24 * messages, messages)


@pytest.mark.parametrize(
    ("values", "zeros", "p50", "p90", "p99"),
    [
        ([float(n) for n in range(1, 11)], 0, 5.0, 9.0, 10.0),  # nearest rank: an observed value
        ([7.0], 0, 7.0, 7.0, 7.0),
        ([100.0, 200.0], 8, 0.0, 100.0, 200.0),  # 8 zeros, then 100, 200: ranks 5, 9, 10
        ([], 3, 0.0, 0.0, 0.0),
    ],
)
def test_percentiles_are_by_nearest_rank_with_zeros_counted_not_listed(
    values: list[float], zeros: int, p50: float, p90: float, p99: float
) -> None:
    assert [percentile(values, p, zeros) for p in (50, 90, 99)] == [p50, p90, p99]


def test_messages_completed_in_one_arrival_are_0_ms_apart() -> None:
    # 3 messages at 100 ms, 1 at 150 ms, 1 at 400 ms: gaps 0, 0, 50, 250.
    metrics = measure(stream(event(100, 3), event(150), event(400), end_ms=401))
    assert (metrics.unit, metrics.count, metrics.first_ms) == ("messages", 5, 100)
    assert metrics.gaps == Gaps(p50=0.0, p90=250.0, p99=250.0, max=250.0)
    assert metrics.per_s == pytest.approx(4 / 0.3, abs=0.001)  # 4 messages after the first over 300 ms


def test_a_block_of_many_messages_shows_as_a_p50_of_0_and_a_p99_of_its_silence() -> None:
    """Behind a buffer that lets 68 tokens go at a time, every 1.5 s."""
    metrics = measure(stream(*(event(1500.0 * n, 68) for n in range(1, 8)), end_ms=10_600))
    assert metrics.gaps is not None and metrics.count == 7 * 68
    assert (metrics.gaps.p50, metrics.gaps.p90, metrics.gaps.max) == (0.0, 0.0, 1500.0)
    assert metrics.gaps.p99 == 1500.0  # 6 silences among 475 gaps: over 1%


def test_comments_are_content_but_not_messages() -> None:
    """`: PROCESSING` every 250 ms for 2 s: first content at 0, first message at 2 s."""
    e = stream(*(comment(250.0 * n) for n in range(8)), event(2000), event(2020), event(2040), end_ms=2041)
    metrics = measure(e)
    assert (e.first_content_ms, metrics.first_ms, metrics.count) == (0, 2000, 3)
    assert metrics.gaps == Gaps(20.0, 20.0, 20.0, 20.0)
    assert metrics.per_s == 50.0
    # The app waited 2 s for its first message; the wire was never quiet for more than 250 ms.
    assert (metrics.silence_ms, metrics.idle_ms) == (2000, 250)


@pytest.mark.parametrize("cut", [1, 5, 13, 14, 20])
def test_the_sse_reader_counts_no_comment_as_a_message_at_any_split(cut: int) -> None:
    """What the arrivals' `messages` rest on: the body's SSE reader counts events, not comments."""
    parsed = parse_head(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n")
    assert parsed is not None
    reading = BodyReading(parsed[0])
    comments = b": PROCESSING\n\n" * 2
    assert [reading.feed(comments[:cut]).messages, reading.feed(comments[cut:]).messages] == [0, 0]
    assert reading.feed(b'data: {"token": "Hi"}\n\n').messages == 1


def test_a_byte_stream_is_measured_by_its_reads_of_content() -> None:
    e = stream(Arrival(10, 5, 0), Arrival(100, 50, 50), Arrival(300, 50, 50), end_ms=301, reading="bytes")
    metrics = measure(e)
    assert (metrics.unit, metrics.count, metrics.first_ms) == ("reads", 2, 100)
    assert metrics.gaps == Gaps(200.0, 200.0, 200.0, 200.0)
    assert Diagnosis.of(e).as_json()["metrics_unit"] == "reads"


def test_no_message_no_figures_but_the_silences() -> None:
    metrics = measure(stream(comment(10), comment(500), end_ms=1000))
    assert (metrics.count, metrics.first_ms, metrics.gaps, metrics.per_s) == (0, None, None, None)
    assert (metrics.silence_ms, metrics.idle_ms) == (1000, 500)


@pytest.mark.parametrize(
    ("silence_s", "cut", "spared"),
    [
        (29.9, None, None),
        (30.0, "CloudFront (30 s)", "Heroku (55 s), AWS ALB (60 s), Cloudflare (100 s) wait longer"),
        (61.0, "CloudFront (30 s), Heroku (55 s), AWS ALB (60 s)", "Cloudflare (100 s) waits longer"),
        (100.0, "CloudFront (30 s), Heroku (55 s), AWS ALB (60 s), Cloudflare (100 s)", None),
    ],
)
def test_a_silence_without_a_byte_is_warned_of_by_the_idle_timeouts_it_passes(
    silence_s: float, cut: str | None, spared: str | None
) -> None:
    e = stream(event(100), event(100 + silence_s * 1000), end_ms=200 + silence_s * 1000)
    warning = idle_warning(e, measure(e))
    if cut is None:
        assert warning is None
        return
    assert warning is not None and warning.id == "idle-timeout"
    assert f"no byte for {silence_s:.1f} s (from 0.1 s to {silence_s + 0.1:.1f} s, between two events)" in (
        warning.evidence
    )
    assert f"not even a comment or a ping: long enough for these idle timeouts to close it: {cut}" in (warning.evidence)
    if spared:
        assert spared in warning.evidence
    else:
        assert "longer" not in warning.evidence
    assert "comment" in warning.fix and "ping" in warning.fix


def test_comments_in_a_long_silence_keep_the_connection_busy_so_no_warning() -> None:
    """A proxy's idle timer counts bytes: comments every 15 s reset it, though the app waited 45 s."""
    e = stream(*(comment(15_000.0 * n) for n in range(4)), event(45_000), end_ms=45_001)
    metrics = measure(e)
    assert (metrics.silence_ms, metrics.idle_ms) == (45_000, 15_000)
    assert idle_warning(e, metrics) is None
    assert [w.id for w in Diagnosis.of(e).warnings] == []


def test_the_wait_for_the_head_counts_and_is_named() -> None:
    e = stream(event(35_000), end_ms=35_010, headers_ms=35_000)
    warning = idle_warning(e, measure(e))
    assert warning is not None and "from 0.0 s to 35.0 s, waiting for the response head" in warning.evidence


@pytest.mark.parametrize(
    ("ending", "said"),
    [(Ending.TIMEOUT, "still silent when --timeout ended the reading"), (Ending.CUT, "then the reading ended (cut)")],
)
def test_a_silence_to_the_end_of_reading_says_how_the_reading_ended(ending: Ending, said: str) -> None:
    e = stream(event(100), end_ms=40_100)
    e.ending = ending
    warning = idle_warning(e, measure(e))
    assert warning is not None and "after the last event" in warning.evidence and said in warning.evidence


def test_a_websocket_is_warned_too_and_its_pings_count_as_bytes() -> None:
    pings = [Arrival(10_000.0 * n, 6, 0, 0) for n in range(1, 5)]
    quiet = stream(event(100), event(45_000), end_ms=45_001, reading="messages")
    kept = stream(event(100), *pings, event(45_000), end_ms=45_001, reading="messages")
    assert [w.id for w in Diagnosis.of(quiet).warnings] == ["idle-timeout"]
    assert Diagnosis.of(kept).warnings == []


def test_json_and_terminal_carry_the_figures() -> None:
    e = stream(*(comment(250.0 * n) for n in range(8)), *(event(2000 + 20.0 * n) for n in range(51)), end_ms=3001)
    diagnosis = Diagnosis.of(e)
    found = diagnosis.as_json()
    assert set(FIELDS) <= found.keys()
    assert (found["metrics_unit"], found["first_message_ms"], found["messages_per_s"]) == ("messages", 2000, 50.0)
    assert found["gaps_ms"] == {"p50": 20.0, "p90": 20.0, "p99": 20.0, "max": 20.0}
    assert (found["longest_silence_ms"], found["longest_idle_ms"]) == (2000, 250)
    text = "\n".join(timing_lines(diagnosis))
    assert "  events: first 2,000.0 ms · gaps p50 20.0 ms, p90 20.0 ms, p99 20.0 ms, max 20.0 ms · 50.0 a second" in (
        text
    )
    assert "  longest silence: 2,000.0 ms between events, 250.0 ms between any bytes (what idle timeouts count)" in text


# --- an OpenAI-style answer on loopback ------------------------------------------------------

THINKING = 2.0
TOKENS = 50


async def chat_completions(request: web.Request) -> web.StreamResponse:
    """As OpenAI-compatible servers answer while a model thinks: comments, then token events."""
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
    await response.prepare(request)
    loop = asyncio.get_running_loop()
    start = loop.time()
    while loop.time() - start < THINKING:
        await response.write(b": PROCESSING\n\n")
        await asyncio.sleep(0.25)
    for n in range(TOKENS):
        await response.write(f'data: {{"choices": [{{"delta": {{"content": "t{n}"}}}}]}}\n\n'.encode())
        await asyncio.sleep(0.02)
    await response.write(b"data: [DONE]\n\n")
    await response.write_eof()
    return response


@pytest.fixture
async def openai_style(aiohttp_server: AiohttpServer) -> str:
    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat_completions)
    server = await aiohttp_server(app, host="127.0.0.1")
    return f"http://127.0.0.1:{server.port}/v1/chat/completions"


async def test_an_openai_style_answer_counts_its_first_token_after_the_comments(openai_style: str) -> None:
    diagnosis = Diagnosis.of(await exchange(Ask(openai_style, "POST", data=b'{"stream": true}')))
    found = diagnosis.as_json()
    assert (found["reading"], found["messages"], found["metrics_unit"]) == ("events", TOKENS + 1, "messages")
    first = found["first_message_ms"]
    assert isinstance(first, float) and 1900 <= first <= 2600, first
    content = found["first_content_ms"]
    assert isinstance(content, float) and content < 300, content  # the first comment
    gaps = found["gaps_ms"]
    assert isinstance(gaps, dict) and 5 <= gaps["p50"] <= 60, gaps
    assert found["verdict"] == "progressive" and found["warnings"] == []
    idle = found["longest_idle_ms"]
    assert isinstance(idle, float) and idle < 600, idle  # the comments kept the wire busy


async def test_the_command_prints_the_figures(openai_style: str, capsys: pytest.CaptureFixture[str]) -> None:
    argv = [openai_style, "-d", '{"stream": true}']
    status = await asyncio.to_thread(diagnose.main, [*argv, "--json"])
    found = json.loads(capsys.readouterr().out)
    assert status == 0 and found["first_message_ms"] >= 1900
    await asyncio.to_thread(diagnose.main, argv)
    assert "  events: first 2," in capsys.readouterr().out
