"""diagnose held to what real proxies and servers do (issue #21): nginx, Apache httpd, HAProxy,
Varnish and Caddy from Debian, each a foreground process on loopback in front of
tests/stacks/upstream.py, a server with its own write buffer, and error statuses.

Every subject is measured once, all together (the module takes about as long as its
longest stream, ~13 s on two idle cores): curl --trace-time says what arrived when, and
diagnose runs five times at once beside it. Each test first checks the ground truth its
expectation rests on (the figures measured here, Debian 12's nginx 1.22, Apache 2.4,
HAProxy 2.6, Varnish 7.1, Caddy 2.6, are in its docstring), then that all five runs give
the expected verdict and causes. A failure also says whether diagnose's own event loop was
starved meanwhile: on a machine busy with other work a reader is woken late and sees
arrivals joined, which no server did.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from statistics import median

import pytest

from tests.stacks import proxies
from tests.stacks.harness import (
    RUNS,
    Measured,
    Trace,
    assert_all,
    locate,
    measure,
    measure_all,
    require,
)

pytestmark = [pytest.mark.slow, pytest.mark.process]

#: The issue's long stream of small messages, and its LLM answer (500 tokens, 50 a second).
LONG = "/lines?count=24&interval=0.15&size=1024"
TOKENS = "/lines?count=500&interval=0.02&size=60"
#: A short stream of small messages, 100 ms apart.
TICKS = "/lines?count=24&interval=0.1&size=64"
#: Lines of 1 KiB every 100 ms: six times a 4 KiB buffer.
SIZED = "/lines?count=24&interval=0.1&size=1024"
#: An app that holds its whole body (10 lines due 300 ms apart), then writes it at once.
HELD = "/lines?count=10&interval=0.3&size=64&hold=1"
#: Lines of 256 B every 12.5 ms for 2 s: 40 KiB, five times an 8 KiB buffer.
FILLING = "count=160&interval=0.0125&size=256"
GZIP = (("Accept-Encoding", "gzip"),)
#: Of 24 lines sent one by one, the arrivals that show they came one by one: most of them
#: (a busy machine may let a reader join two now and then).
MOST_OF_24 = 18


@dataclass(frozen=True)
class Case:
    subject: str
    setup: str
    path: str
    headers: tuple[tuple[str, str], ...] = ()
    warm: bool = False
    #: Run as the command (its exit status pinned), not in-process.
    command: bool = False


CASES = {
    "direct-long": Case("upstream", "", LONG),
    "direct-tokens": Case("upstream", "", TOKENS),
    "direct-error": Case("upstream", "", "/status/500", command=True),
    "direct-length": Case("upstream", "", f"{SIZED}&length=1"),
    "nginx-long": Case("nginx", "default", LONG),
    "nginx-tokens": Case("nginx", "default", TOKENS),
    "nginx-sse-tokens": Case("nginx", "default", f"{TOKENS}&type=text/event-stream"),
    "nginx-gzip": Case("nginx", "gzip", LONG, GZIP),
    "nginx-gzip-unbuffered": Case("nginx", "gzip_unbuffered", LONG, GZIP),
    "nginx-unbuffered-held": Case("nginx", "unbuffered", HELD),
    "nginx-unbuffered-long": Case("nginx", "unbuffered", LONG),
    "nginx-404": Case("nginx", "static", "/missing.txt", command=True),
    "nginx-app-404": Case("nginx", "default", "/status/404", command=True),
    "apache-cgi-buffered": Case("apache", "default", f"/cgi/lines.cgi?{FILLING}"),
    "apache-cgi-flushed": Case("apache", "default", f"/cgi/lines.cgi?{FILLING}&flush=1"),
    "apache-proxy-ticks": Case("apache", "default", f"/proxy{TICKS}"),
    "apache-proxy-held": Case("apache", "default", f"/proxy{HELD}"),
    "haproxy-slow": Case("haproxy", "default", "/lines?count=10&interval=0.3&size=64"),
    "haproxy-gzip-slow": Case("haproxy", "gzip", "/lines?count=10&interval=0.3&size=64", GZIP),
    "haproxy-tokens": Case("haproxy", "default", "/lines?count=100&interval=0.02&size=60"),
    "haproxy-nodelay-tokens": Case("haproxy", "nodelay", "/lines?count=100&interval=0.02&size=60"),
    "haproxy-held": Case("haproxy", "default", HELD),
    "varnish-pass": Case("varnish", "default", f"{TICKS}&cache=no-store"),
    "varnish-hit": Case("varnish", "default", "/lines?count=10&interval=0.1&size=64&cache=max-age=300", warm=True),
    "caddy-ticks": Case("caddy", "default", TICKS),
    "caddy-gzip": Case("caddy", "gzip", "/lines?count=10&interval=0.2&size=1024", GZIP),
    "caddy-length": Case("caddy", "default", f"{SIZED}&length=1"),
    "caddy-flushing-length": Case("caddy", "flushing", f"{SIZED}&length=1"),
    "blockwriter": Case("blockwriter", "", f"/?{FILLING}&head=flushed"),
    "blockwriter-head-buffered": Case("blockwriter", "", f"/?{FILLING}"),
}

Urls = dict[str, Callable[[str, str], str]]
Results = dict[str, Measured | BaseException]


def _start(stack: ExitStack, tmp: Path) -> Urls:
    """Every subject whose tool is here, started; a URL maker per subject (setup, path)."""
    upstream = stack.enter_context(proxies.upstream(tmp / "upstream"))
    writer = stack.enter_context(proxies.blockwriter(tmp / "blockwriter"))
    urls: Urls = {"upstream": lambda _, path: upstream.url(path), "blockwriter": lambda _, path: writer.url(path)}
    for subject, (tool, start) in proxies.PROXIES.items():
        binary = locate(tool)
        if binary is not None:
            urls[subject] = stack.enter_context(start(binary, tmp / subject, upstream.port)).url
    return urls


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Results]:
    """Every case measured against subjects started once for the module: the streams all
    together, then the cases run as the command (a process each, whose start-up would take
    CPU from the streams' readers)."""
    if locate("curl") is None:
        yield {}
        return
    with ExitStack() as stack:
        urls = _start(stack, tmp_path_factory.mktemp("stacks"))
        phases: tuple[dict[str, Callable[[], Awaitable[Measured]]], ...] = ({}, {})
        for name, case in CASES.items():
            if case.subject in urls:
                url = urls[case.subject](case.setup, case.path)
                phases[case.command][name] = partial(measure, url, case.headers, case.warm, command=case.command)
        yield {**measure_all(phases[False]), **measure_all(phases[True])}


def result(measured: Results, name: str) -> Measured:
    """A case's measurement: skipped (failed under CI) when its tool or curl is missing."""
    require("curl", proxies.TOOLS["curl"])
    subject = CASES[name].subject
    if subject in proxies.PROXIES:
        tool = proxies.PROXIES[subject][0]
        require(tool, proxies.TOOLS[tool])
    got = measured[name]
    if isinstance(got, BaseException):
        raise got
    return got


def expect(got: Measured, verdict: str, causes: list[str], also: Sequence[str] = ()) -> None:
    """Every run of `got` says `verdict` with `causes` (see assert_all); a failure shows the
    ground truth and whether the measuring client was starved of the CPU meanwhile."""
    __tracebackhide__ = True
    assert_all(got.runs, verdict, causes, got.truth, also, note=got.conditions())


def sizes(truth: Trace) -> list[int]:
    return [burst.body_bytes for burst in truth.bursts()]


def test_a_long_stream_fetched_directly_is_progressive(measured: Results) -> None:
    """Ground truth: 24 arrivals of 1024 B, 150 ms apart, the head at once (curl: head @18 ms)."""
    got = result(measured, "direct-long")
    assert len(got.truth.bursts()) >= MOST_OF_24 and got.truth.headers_ms < 300, got.truth.describe()
    expect(got, "progressive", [])


def test_a_token_stream_fetched_directly_is_progressive(measured: Results) -> None:
    """Ground truth: ~490 arrivals of 60 B over 10 s (a few pairs joined by the scheduler)."""
    got = result(measured, "direct-tokens")
    assert len(got.truth.bursts()) >= 400, got.truth.describe()
    expect(got, "progressive", [])


def test_nginx_defaults_deliver_a_long_stream_in_4k_blocks(measured: Results) -> None:
    """Issue #21 case 1. Ground truth (curl): the head held until the first block (head @456 ms
    with 4032 B), then 4096 B every ~600 ms (4 lines a block): 6 blocks, the silences four
    times the 150 ms cadence. The head came with the body, so a buffering hop is the
    explanation; an origin writing its head into its own buffer would look the same, so
    write-buffer may be named beside it."""
    got = result(measured, "nginx-long")
    truth = got.truth
    assert truth.headers_ms >= 300 and 5 <= len(truth.bursts()) <= 7, truth.describe()
    assert all(abs(size - 4096) <= 128 for size in sizes(truth)), truth.describe()
    assert min(truth.silences_ms()) >= 450, truth.describe()
    expect(got, "bursty", ["proxy-buffering"], also=["write-buffer"])


@pytest.mark.parametrize("name", ["nginx-tokens", "nginx-sse-tokens"])
def test_nginx_defaults_deliver_an_llm_answer_in_lumps(measured: Results, name: str) -> None:
    """Issue #21 case 1, the LLM answer (500 x 60 B, 20 ms apart), as lines and as SSE events:
    ground truth, head @1345 ms with 4032 B, then 6 blocks of exactly 4096 B (~68 tokens)
    1360 ms apart and the last 1392 B at the end, where fetched directly ~490 arrivals came.
    text/event-stream changes nothing: nginx 1.22 buffers it like any other type."""
    got = result(measured, name)
    truth = got.truth
    assert truth.headers_ms >= 1000 and 7 <= len(truth.bursts()) <= 9, truth.describe()
    assert sizes(truth)[1:-1] == [4096] * (len(sizes(truth)) - 2), truth.describe()
    assert min(truth.silences_ms()[:-1]) >= 1000, truth.describe()
    expect(got, "bursty", ["proxy-buffering"], also=["write-buffer"])


def test_nginx_gzip_holds_the_whole_stream(measured: Results) -> None:
    """Issue #21 case 2. Ground truth: gzip-encoded, head and all 258 compressed bytes at the
    very end (3453 ms of 3453). Two things hold it: gzip keeps its output until its buffers
    fill or the body ends, and nginx's default buffering keeps the head with it; compression
    is the one to name (the same gzip with proxy_buffering off streams: next test)."""
    got = result(measured, "nginx-gzip")
    truth = got.truth
    assert truth.header("content-encoding") == "gzip" and len(truth.bursts()) == 1, truth.describe()
    assert truth.headers_ms >= 3000, truth.describe()
    expect(got, "buffered", ["compression"], also=["proxy-buffering"])


def test_nginx_gzip_with_buffering_off_streams(measured: Results) -> None:
    """Ground truth: gzip-encoded, the head at once, ~21 compressed bytes every 150 ms: nginx
    flushes its gzip stream per upstream read when it does not buffer. The header alone is
    no evidence of held compression."""
    got = result(measured, "nginx-gzip-unbuffered")
    truth = got.truth
    assert truth.header("content-encoding") == "gzip" and len(truth.bursts()) >= MOST_OF_24, truth.describe()
    expect(got, "progressive", [])


def test_nginx_unbuffered_passes_the_head_of_a_held_body(measured: Results) -> None:
    """Issue #21 case 3. Ground truth: head @0 ms, all 640 B at 2701 ms in one piece. nginx
    passed the head at once, so the body was held before it, by the app: held-by-server,
    not proxy-buffering."""
    got = result(measured, "nginx-unbuffered-held")
    truth = got.truth
    assert truth.headers_ms < 300 and len(truth.bursts()) == 1, truth.describe()
    assert truth.bursts()[0].t_ms >= 2500, truth.describe()
    expect(got, "buffered", ["held-by-server"])


def test_nginx_unbuffered_passes_a_stream_as_it_comes(measured: Results) -> None:
    """Issue #21 case 4. Ground truth: head @1 ms, 24 arrivals of 1024 B ~150 ms apart."""
    got = result(measured, "nginx-unbuffered-long")
    assert len(got.truth.bursts()) >= MOST_OF_24 and got.truth.headers_ms < 300, got.truth.describe()
    expect(got, "progressive", [])


@pytest.mark.parametrize("name", ["direct-error", "nginx-404", "nginx-app-404"])
def test_an_error_status_is_its_own_verdict(measured: Results, name: str) -> None:
    """Issue #21 case 8: the app's 500, nginx's own 404 page, the app's 404 through nginx.
    Ground truth: the status, a short body with a Content-Length, over within ~30 ms. The
    verdict `error` is given by the command (not by the timeline rules), so the command is
    what runs here: `--json` says `error` and the exit status is not 0, every time."""
    got = result(measured, name)
    truth = got.truth
    assert truth.status >= 400 and truth.header("content-length"), truth.describe()
    outcomes = [(run.verdict, run.exit_code) for run in got.commands]
    assert len(outcomes) == RUNS and all(verdict == "error" and code != 0 for verdict, code in outcomes), (
        f"{outcomes}; stderr: {got.commands[0].stderr!r}; ground truth {truth.describe()}"
    )
    assert len(set(outcomes)) == 1, outcomes


def test_apache_cgi_with_block_buffered_stdout_comes_in_8k_blocks(
    measured: Results,
) -> None:
    """Issue #21 case 5a: a Python CGI that prints 256 B lines every 12.5 ms and never
    flushes. Ground truth: head @465 ms with 7936 B (the CGI's head sat in the same stdout
    buffer), then 8192 B every ~400 ms, 256 B at the end (or with the last block): Python's 8 KiB stdout buffer,
    which mod_cgi passes on as it comes. The server's own write buffer is the cause; with the
    head held too, a buffering proxy would look alike and may be named beside it."""
    got = result(measured, "apache-cgi-buffered")
    truth = got.truth
    assert truth.headers_ms >= 250 and 5 <= len(truth.bursts()) <= 7, truth.describe()
    assert sizes(truth)[1:4] == [8192] * 3, truth.describe()
    assert median(truth.silences_ms()) >= 300, truth.describe()
    expect(got, "bursty", ["write-buffer"], also=["proxy-buffering"])


def test_apache_cgi_that_flushes_streams(measured: Results) -> None:
    """Issue #21 case 5b: the same CGI with print(..., flush=True). Ground truth: ~150 arrivals
    of 256 B, 12.5 ms apart (the first few joined while the CGI started)."""
    got = result(measured, "apache-cgi-flushed")
    assert len(got.truth.bursts()) >= 100, got.truth.describe()
    expect(got, "progressive", [])


def test_apache_mod_proxy_streams(measured: Results) -> None:
    """Issue #21 case 5c: mod_proxy_http with its defaults. Ground truth: head @12 ms, each
    64 B line on its own, 100 ms apart: Apache 2.4 does not buffer a proxied stream."""
    got = result(measured, "apache-proxy-ticks")
    assert len(got.truth.bursts()) >= MOST_OF_24 and got.truth.headers_ms < 300, got.truth.describe()
    expect(got, "progressive", [])


def test_apache_mod_proxy_passes_the_head_of_a_held_body(measured: Results) -> None:
    """Ground truth: head @30 ms, all 640 B at 2711 ms: held by the app behind Apache."""
    got = result(measured, "apache-proxy-held")
    truth = got.truth
    assert truth.headers_ms < 500 and len(truth.bursts()) == 1 and truth.bursts()[0].t_ms >= 2500, truth.describe()
    expect(got, "buffered", ["held-by-server"])


@pytest.mark.parametrize("name", ["haproxy-slow", "haproxy-gzip-slow"])
def test_haproxy_streams_slow_messages_with_and_without_compression(measured: Results, name: str) -> None:
    """HAProxy 2.6, defaults and its compression filter, 10 lines 300 ms apart. Ground truth:
    each line on its own (64 B, or ~10 B gzip-encoded) but ~200 ms late, the head too (@204 ms):
    HAProxy sends with MSG_MORE, which the kernel holds up to 200 ms. Messages slower than
    that still arrive one by one."""
    got = result(measured, name)
    truth = got.truth
    assert len(truth.bursts()) >= 9 and truth.headers_ms >= 150, truth.describe()
    assert (truth.header("content-encoding") == "gzip") == (name == "haproxy-gzip-slow"), truth.describe()
    expect(got, "progressive", [])


def test_haproxy_groups_an_llm_answer_every_200_ms_and_diagnose_sees_the_groups(
    measured: Results,
) -> None:
    """HAProxy defaults, 100 tokens of 60 B 20 ms apart. Ground truth: head @204 ms, then
    ~660 B (11 tokens) every ~220 ms: the ~200 ms MSG_MORE hold groups tokens. Its silences
    sit on the verdict's 200 ms floor for bursty, so the verdict may go either way from run
    to run (README: known edges); what is pinned is that diagnose sees the groups curl sees."""
    got = result(measured, "haproxy-tokens")
    truth = got.truth
    assert 8 <= len(truth.bursts()) <= 14 and median(truth.silences_ms()) >= 150, truth.describe()
    for run in got.runs:
        content = [a for a in run.exchange.arrivals if a.decoded_bytes]
        assert 6 <= len(content) <= 20, (len(content), got.conditions())
        assert run.judgement.verdict in ("bursty", "progressive"), run.judgement.reason


def test_haproxy_with_http_no_delay_streams_tokens(measured: Results) -> None:
    """`option http-no-delay` (no MSG_MORE): ground truth ~100 arrivals of one token, head @1 ms."""
    got = result(measured, "haproxy-nodelay-tokens")
    assert len(got.truth.bursts()) >= 80 and got.truth.headers_ms < 100, got.truth.describe()
    expect(got, "progressive", [])


def test_haproxy_passes_the_head_of_a_held_body(measured: Results) -> None:
    """Ground truth: head @202 ms (the MSG_MORE hold), all 640 B at 2701 ms. HAProxy adds no
    header of its own: nothing points at a hop; the body was held by the server."""
    got = result(measured, "haproxy-held")
    truth = got.truth
    assert truth.headers_ms < 500 and len(truth.bursts()) == 1 and truth.bursts()[0].t_ms >= 2500, truth.describe()
    expect(got, "buffered", ["held-by-server"])


def test_varnish_passes_an_uncacheable_stream(measured: Results) -> None:
    """Varnish 7.1, `Cache-Control: no-store` from the app: passed, not cached. Ground truth:
    head @1 ms with `Via: 1.1 varnish`, `X-Varnish` one id, `Age: 0`; 24 lines 100 ms apart."""
    got = result(measured, "varnish-pass")
    truth = got.truth
    assert "varnish" in truth.header("via") and len(truth.header("x-varnish").split()) == 1, truth.describe()
    assert len(truth.bursts()) >= MOST_OF_24, truth.describe()
    expect(got, "progressive", [])


def test_varnish_cache_hit_is_named_cached(measured: Results) -> None:
    """Issue #21 case 6: a cacheable stream (max-age=300) asked twice. Ground truth: the miss
    streamed (10 lines 100 ms apart); the hit came whole in about a millisecond, with a
    Content-Length Varnish added, `X-Varnish` holding two ids (this request's and the one
    that filled the cache) and an `Age`. Streaming cannot be judged from a replay:
    inconclusive, cause cached (not content-length: the origin sent none)."""
    got = result(measured, "varnish-hit")
    truth, warmup = got.truth, got.warmup
    assert warmup is not None and len(warmup.bursts()) >= 8, warmup.describe() if warmup else "no warm-up"
    assert len(truth.header("x-varnish").split()) == 2 and truth.header("age"), truth.describe()
    assert truth.header("content-length") == "640" and truth.end_ms < 100, truth.describe()
    expect(got, "inconclusive", ["cached"])


def test_caddy_reverse_proxy_streams(measured: Results) -> None:
    """Caddy 2.6 reverse_proxy with its defaults: ground truth, head @0 ms, 24 lines as they
    came (it flushes at once a response of unknown length)."""
    got = result(measured, "caddy-ticks")
    assert len(got.truth.bursts()) >= MOST_OF_24 and got.truth.headers_ms < 300, got.truth.describe()
    expect(got, "progressive", [])


def test_caddy_encode_gzip_holds_the_stream(measured: Results) -> None:
    """Caddy `encode gzip` in front of 10 lines of 1 KiB 200 ms apart. Ground truth: head @8 ms
    with the 10 B gzip header, the other 98 B at the end (1803 ms). (Lines of 64 B are not
    compressed at all: the first write is under encode's 512 B minimum_length.)"""
    got = result(measured, "caddy-gzip")
    truth = got.truth
    assert truth.header("content-encoding") == "gzip" and truth.headers_ms < 300, truth.describe()
    assert truth.body_bytes - sizes(truth)[0] == sizes(truth)[-1] and truth.bursts()[-1].t_ms >= 1600, truth.describe()
    expect(got, "buffered", ["compression"])


def test_a_stream_with_a_content_length_can_still_stream(measured: Results) -> None:
    """The app announces a Content-Length and writes 24 lines of 1 KiB 100 ms apart. Ground
    truth: head @0 ms, each line on its own: a Content-Length alone proves nothing held."""
    got = result(measured, "direct-length")
    truth = got.truth
    assert truth.header("content-length") == "24576" and len(truth.bursts()) >= MOST_OF_24, truth.describe()
    expect(got, "progressive", [])


def test_caddy_buffers_a_response_with_a_content_length(measured: Results) -> None:
    """The same stream through Caddy's reverse_proxy with its defaults. Ground truth: head
    @404 ms with 3976 B, then 4096 B every ~400 ms: with a known length Caddy does not flush
    (flush_interval 0; only a response of unknown length or text/event-stream is flushed at
    once), so its 4 KiB buffer decides. A buffering hop, held head and all; fetched
    directly the same body streams (previous test). A write buffer at the origin would look
    alike, and the Content-Length may be mentioned, but the hop is the cause."""
    got = result(measured, "caddy-length")
    truth = got.truth
    assert truth.headers_ms >= 300 and sizes(truth)[1:4] == [4096] * 3, truth.describe()
    expect(got, "bursty", ["proxy-buffering"], also=["write-buffer", "content-length"])


def test_caddy_flush_interval_minus_one_streams_it(measured: Results) -> None:
    """`reverse_proxy { flush_interval -1 }`: ground truth, head @0 ms, 24 lines as they came."""
    got = result(measured, "caddy-flushing-length")
    truth = got.truth
    assert truth.header("content-length") == "24576" and len(truth.bursts()) >= MOST_OF_24, truth.describe()
    expect(got, "progressive", [])


def test_a_servers_own_write_buffer_sends_8k_blocks(measured: Results) -> None:
    """Issue #21 case 7: tests/stacks/blockwriter.py, no proxy, its head flushed at once. Ground
    truth: head @10 ms, then exactly 8192 B every 400 ms, 5 blocks of 32 lines (the
    BufferedWriter's size). The head came at once, so no buffering hop held it: the server's
    own write buffer."""
    got = result(measured, "blockwriter")
    truth = got.truth
    assert truth.headers_ms < 200 and sizes(truth) == [8192] * 5, truth.describe()
    assert median(truth.silences_ms()) >= 300, truth.describe()
    expect(got, "bursty", ["write-buffer"])


def test_a_servers_own_write_buffer_holding_its_head_too(measured: Results) -> None:
    """The same server writing its head into the buffer (as http.server with a wbufsize does).
    Ground truth: head @388 ms with 7936 B, 8192 B every 400 ms. From outside this looks like
    a buffering hop: write-buffer, and proxy-buffering may be named beside it."""
    got = result(measured, "blockwriter-head-buffered")
    truth = got.truth
    assert truth.headers_ms >= 250 and sizes(truth)[1:4] == [8192] * 3, truth.describe()
    expect(got, "bursty", ["write-buffer"], also=["proxy-buffering"])
