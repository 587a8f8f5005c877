"""Causes claimed from evidence, never from a header alone: the head's timing against the body,
the blocks' sizes, and the headers that proxies and caches add. Each case is an exchange as
diagnose records it (real stacks measured on loopback: nginx 1.22 with its defaults, with
`proxy_buffering off`, a Python CGI), judged here by hand so the rules are tested alone."""

from __future__ import annotations

import pytest

import app.client.diagnose.causes as rules
from app.client.diagnose.exchange import Exchange
from app.client.diagnose.verdict import Arrival, Judgement, Verdict

LIFE_MS = 4005.0
#: Five small lines held until the end, as a held body arrives.
AT_THE_END = [Arrival(4000, 140, 150)]
#: A token-like stream let go by a 4096-byte buffer (nginx's first block is short by the
#: upstream head that shared its buffer), and a Python CGI's 8 KiB stdout.
NGINX_BLOCKS = [Arrival(1355, 3986, 3978), Arrival(2751, 4104, 4096), Arrival(4000, 3934, 3926)]
STDOUT_BLOCKS = [Arrival(1500, 8200, 8192), Arrival(3000, 8200, 8192), Arrival(4000, 908, 900)]


def exchange_of(*fields: str, arrivals: list[Arrival], headers_ms: float, end_ms: float = LIFE_MS) -> Exchange:
    headers = {name.lower(): value for name, value in (field.split(": ", 1) for field in fields)}
    return Exchange(
        url="http://127.0.0.1/",
        http_version="HTTP/1.1",
        status=200,
        reason="OK",
        headers=headers,
        headers_ms=headers_ms,
        arrivals=arrivals,
        end_ms=end_ms,
    )


def judged(verdict: Verdict) -> Judgement:
    """A judgement built by hand: the causes read its verdict, nothing else."""
    return Judgement(verdict=verdict, reason="by hand", end_share=0.0, largest_gap_ms=0.0, content_arrivals=0)


def found(exchange: Exchange, verdict: Verdict) -> dict[str, rules.Finding]:
    return {finding.id: finding for finding in rules.causes(exchange, judged(verdict))}


def ids_of(exchange: Exchange, verdict: Verdict) -> list[str]:
    return list(found(exchange, verdict))


# The mis-claims of the issue: a Server header taken for a proxy.


def test_nginx_that_passed_the_head_at_once_is_cleared_and_the_app_held_the_body() -> None:
    """nginx with proxy_buffering off in front of an app that holds its body: head at 2 ms."""
    exchange = exchange_of("Server: nginx/1.22.1", "Transfer-Encoding: chunked", arrivals=AT_THE_END, headers_ms=2)
    causes = found(exchange, Verdict.BUFFERED)
    assert list(causes) == ["held-by-server"]
    evidence = causes["held-by-server"].evidence
    assert "the head came at 2 ms and the content from 4000 ms" in evidence
    assert "Server: nginx/1.22.1 may name a proxy in front or the origin itself" in evidence


def test_apache_with_4096_byte_blocks_and_the_head_held_gets_both_explanations() -> None:
    """A CGI's block-buffered stdout behind Apache looks like a buffering proxy: both are said."""
    blocks = [Arrival(1400, 4008, 4000), Arrival(2800, 4104, 4096), Arrival(4200, 4104, 4096), Arrival(5000, 708, 700)]
    exchange = exchange_of("Server: Apache/2.4.62 (Debian)", arrivals=blocks, headers_ms=1400, end_ms=5005)
    causes = found(exchange, Verdict.BURSTY)
    assert list(causes) == ["proxy-buffering", "write-buffer"]
    for finding in causes.values():
        assert "blocks cut by a buffer of 4096 bytes (the first less the head that shared it)" in finding.evidence
        assert "the head came only at 1400 ms, with the first content" in finding.evidence
        assert "fetch the app directly" in finding.evidence
    assert "a CGI's stdout" in causes["proxy-buffering"].evidence
    assert "python -u" in causes["write-buffer"].fix


def test_8192_byte_blocks_with_no_proxy_in_front_are_a_write_buffer() -> None:
    exchange = exchange_of("Transfer-Encoding: chunked", arrivals=STDOUT_BLOCKS, headers_ms=2)
    causes = found(exchange, Verdict.BURSTY)
    assert list(causes) == ["write-buffer"]
    evidence = causes["write-buffer"].evidence
    assert "the content came in 3 blocks (8192 B at 1500 ms, 8192 B at 3000 ms, 900 B at 4000 ms)" in evidence
    assert "blocks cut by a buffer of 8192 bytes, not messages" in evidence
    assert "a buffering proxy like nginx would have held the head with its first block" in evidence
    assert "sys.stdout.flush()" in causes["write-buffer"].fix


def test_bursty_blocks_that_are_not_a_buffers_size_with_the_head_at_once_are_held_by_the_server() -> None:
    """Bursty is not always a proxy: an app that sends batches of messages is its own cause."""
    batches = [Arrival(1000, 1210, 1200), Arrival(2000, 1210, 1200), Arrival(3000, 1210, 1200)]
    exchange = exchange_of("Server: nginx", "Transfer-Encoding: chunked", arrivals=batches, headers_ms=3, end_ms=3005)
    assert ids_of(exchange, Verdict.BURSTY) == ["held-by-server"]


# Cache hits: the timing is the cache's.


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        (("Age: 4", "X-Varnish: 32770 3", "Via: 1.1 varnish (Varnish/7.1)"), "Age: 4 (the stored copy is 4 s old)"),
        (("X-Varnish: 32770 3",), "X-Varnish: 32770 3 (two ids: this request's and the one that stored the copy)"),
        (("Age: 4",), "Age: 4"),
        (("X-Cache: Hit from cloudfront", "Via: 1.1 abc.cloudfront.net (CloudFront)"), "X-Cache: Hit from cloudfront"),
        (("X-Cache: MISS, HIT", "X-Served-By: cache-a, cache-b"), "X-Cache: MISS, HIT"),
        (("X-Cache: TCP_MEM_HIT from squid",), "X-Cache: TCP_MEM_HIT from squid"),
        (("CF-Cache-Status: HIT", "CF-Ray: 1-AMS"), "CF-Cache-Status: HIT"),
        (("CF-Cache-Status: REVALIDATED",), "CF-Cache-Status: REVALIDATED"),
        (("X-Cache-Hits: 0, 2",), "X-Cache-Hits: 0, 2"),
        (("X-Proxy-Cache: STALE",), "X-Proxy-Cache: STALE"),
        (("Cache-Status: OriginCache; fwd=uri-miss, ExampleCDN; hit; ttl=30",), "Cache-Status: OriginCache; fwd"),
    ],
)
def test_a_response_replayed_from_a_cache_is_cached_whatever_its_verdict(fields: tuple[str, ...], said: str) -> None:
    hit = exchange_of(*fields, "Content-Length: 150", arrivals=[Arrival(5, 300, 150)], headers_ms=5, end_ms=6)
    for verdict in Verdict:
        causes = found(hit, verdict)
        assert list(causes) == ["cached"], verdict
        assert said in causes["cached"].evidence
        assert "cannot be judged from a hit" in causes["cached"].evidence
        assert "Cache-Control: no-cache" in causes["cached"].fix and "no-store" in causes["cached"].fix


def test_a_cache_hit_held_to_the_end_is_cached_not_content_length() -> None:
    """The cache stored the body whole and added its length: that says nothing of the app."""
    exchange = exchange_of("Age: 4", "X-Varnish: 32770 3", "Content-Length: 150", arrivals=AT_THE_END, headers_ms=4000)
    assert ids_of(exchange, Verdict.BUFFERED) == ["cached"]


@pytest.mark.parametrize(
    "fields",
    [
        ("X-Varnish: 32770", "Age: 0", "Via: 1.1 varnish (Varnish/7.1)"),
        ("X-Cache: MISS from cloudfront",),
        ("X-Cache: Miss, Miss",),
        ("CF-Cache-Status: DYNAMIC",),
        ("CF-Cache-Status: EXPIRED",),
        ("X-Cache-Hits: 0, 0", "X-Served-By: cache-a"),
        ("Cache-Status: ExampleCDN; fwd=uri-miss; stored",),
    ],
)
def test_a_cache_that_did_not_hit_is_only_a_proxy_on_the_way(fields: tuple[str, ...]) -> None:
    """A miss is passed on by the cache: its head's timing says whether it buffered."""
    at_once = exchange_of(*fields, "Transfer-Encoding: chunked", arrivals=AT_THE_END, headers_ms=2)
    causes = found(at_once, Verdict.BUFFERED)
    assert list(causes) == ["held-by-server"]
    assert "a proxy, but it passed the head at once" in causes["held-by-server"].evidence
    held = exchange_of(*fields, "Transfer-Encoding: chunked", arrivals=NGINX_BLOCKS, headers_ms=1355)
    causes = found(held, Verdict.BURSTY)
    assert list(causes) == ["proxy-buffering"]
    assert f"{fields[0]}" in causes["proxy-buffering"].evidence
    assert "blocks cut by a buffer of 4096 bytes" in causes["proxy-buffering"].evidence


# Proxies, told by their head's timing and their headers.


def test_a_proxy_that_names_itself_and_held_the_head_is_the_only_cause() -> None:
    exchange = exchange_of("Via: 1.1 proxy", "Transfer-Encoding: chunked", arrivals=AT_THE_END, headers_ms=4000)
    causes = found(exchange, Verdict.BUFFERED)
    assert list(causes) == ["proxy-buffering"]
    evidence = causes["proxy-buffering"].evidence
    assert "Via: 1.1 proxy shows a proxy or cache on the way" in evidence
    assert "the head came only at 4000 ms, with the first content" in evidence
    assert "to tell them apart" not in evidence  # nothing else fits
    assert "X-Accel-Buffering: no" in causes["proxy-buffering"].fix


def test_a_held_head_with_nothing_naming_a_proxy_is_a_proxy_or_the_app_holding_everything() -> None:
    """What nginx with its defaults does to five small lines: head and body at the end."""
    exchange = exchange_of("Server: nginx/1.22.1", "Transfer-Encoding: chunked", arrivals=AT_THE_END, headers_ms=4000)
    causes = found(exchange, Verdict.BUFFERED)
    assert list(causes) == ["proxy-buffering", "held-by-server"]
    assert "Server: nginx/1.22.1" in causes["proxy-buffering"].evidence
    assert "one that adds no Via (nginx adds none) would look the same" in causes["held-by-server"].evidence


def test_a_named_proxy_that_passed_the_head_but_sent_a_buffers_blocks_may_be_either() -> None:
    """This lab's emulated proxy: Via, the head at once, 4096-byte blocks."""
    blocks = [Arrival(1000, 4104, 4096), Arrival(2000, 4104, 4096), Arrival(3000, 1210, 1200)]
    exchange = exchange_of("Via: 1.1 lab", "Transfer-Encoding: chunked", arrivals=blocks, headers_ms=1, end_ms=3005)
    causes = found(exchange, Verdict.BURSTY)
    assert list(causes) == ["proxy-buffering"]
    evidence = causes["proxy-buffering"].evidence
    assert "the head came at 1 ms and the content from 1000 ms" in evidence
    assert "the app may hold the body behind a proxy that passes it on" in evidence
    assert "fetch the app directly, bypassing the proxy" in evidence


def test_a_head_too_large_for_nginx_to_hold_does_not_clear_it() -> None:
    """nginx sends a head of 1460 bytes or more at once even while it buffers the body."""
    fields = ("Server: nginx/1.22.1", "Transfer-Encoding: chunked", "Content-Security-Policy: " + "x" * 1400)
    causes = found(exchange_of(*fields, arrivals=AT_THE_END, headers_ms=1), Verdict.BUFFERED)
    assert list(causes) == ["held-by-server"]
    evidence = causes["held-by-server"].evidence
    assert "nginx sends a head of 1460 bytes or more at once" in evidence
    assert "cannot be ruled out" in evidence


def test_x_accel_buffering_seen_by_the_client_was_not_acted_on_by_nginx() -> None:
    fields = ("Via: 1.1 proxy", "X-Accel-Buffering: no")
    exchange = exchange_of(*fields, arrivals=AT_THE_END, headers_ms=4000)
    assert "no nginx on the way acted on it" in found(exchange, Verdict.BUFFERED)["proxy-buffering"].evidence


# What stays: a built body, a compressor, a stream that streams.


def test_a_content_length_explains_a_held_body_and_clears_the_proxy() -> None:
    exchange = exchange_of("Server: nginx/1.22.1", "Content-Length: 150", arrivals=AT_THE_END, headers_ms=4000)
    assert ids_of(exchange, Verdict.BUFFERED) == ["content-length"]


def test_compression_is_claimed_when_the_encoded_bytes_came_early_and_the_content_late() -> None:
    arrivals = [Arrival(2, 20, 0), *AT_THE_END]
    causes = found(exchange_of("Content-Encoding: gzip", arrivals=arrivals, headers_ms=2), Verdict.BUFFERED)
    assert list(causes) == ["compression"]
    assert "20 bytes of gzip arrived in 1 read from 2 ms on" in causes["compression"].evidence


def test_a_stream_that_streams_has_no_cause_whatever_its_headers() -> None:
    arrivals = [Arrival(t, 40, 30) for t in (5, 1000, 2000, 3000, 4000)]
    fields = ("Server: nginx", "Via: 1.1 proxy", "Content-Encoding: gzip", "X-Varnish: 5")
    assert ids_of(exchange_of(*fields, arrivals=arrivals, headers_ms=5), Verdict.PROGRESSIVE) == []


# The evidence itself.


def test_reads_the_network_split_join_into_the_blocks_that_were_sent() -> None:
    reads = [Arrival(1400, 2904, 2896), Arrival(1401, 1200, 1200), Arrival(2800, 2904, 2896), Arrival(2803, 1208, 1200)]
    blocks = rules.blocks_of(reads)
    assert [(block.t_ms, block.size) for block in blocks] == [(1400, 4096), (2800, 4096)]
    assert rules.buffer_size(blocks, head_in_first=False) == 4096


@pytest.mark.parametrize(
    ("sizes", "head_in_first", "size"),
    [
        ([4096, 4096, 4096, 100], False, 4096),
        ([4096, 8192, 300], False, 4096),  # two blocks sent back to back join
        ([3978, 4096, 3926], True, 4096),  # the first less the upstream head that shared it
        ([3978, 4096, 3926], False, None),  # ...only when the head came with it
        ([8160, 3840], True, 8192),
        ([1200, 1200, 1200], False, None),  # a message's size, not a buffer's
        ([1024, 1024, 1024], False, None),  # too small for a write buffer
        ([4096], False, None),  # one block is no pattern
    ],
)
def test_a_buffers_size_is_a_power_of_two_cutting_every_block_but_the_last(
    sizes: list[int], head_in_first: bool, size: int | None
) -> None:
    blocks = [rules.Block(1000.0 * n, bytes_) for n, bytes_ in enumerate(sizes, start=1)]
    assert rules.buffer_size(blocks, head_in_first) == size


@pytest.mark.parametrize(
    ("headers_ms", "arrivals", "head"),
    [
        (1355, NGINX_BLOCKS, "held"),
        (2, NGINX_BLOCKS, "at once"),
        (1300, NGINX_BLOCKS, "unclear"),  # 55 ms apart: neither together nor apart
        (40, [Arrival(40, 10, 8), Arrival(2000, 10, 8)], "unclear"),  # together, but early
        (300, [Arrival(300, 10, 8), Arrival(2000, 10, 8)], "unclear"),  # earlier than the block cadence
    ],
)
def test_the_head_is_held_when_it_came_late_with_the_content_and_at_once_when_well_before(
    headers_ms: float, arrivals: list[Arrival], head: str
) -> None:
    exchange = exchange_of("Server: x", arrivals=arrivals, headers_ms=headers_ms)
    assert rules.head_timing(exchange, rules.blocks_of(arrivals)).value == head


def test_every_cause_rule_says_what_evidence_it_rests_on() -> None:
    for rule in (rules.cached, *rules.CAUSES, rules.held_by_server):
        assert rule.__doc__ is not None and "Rests on" in rule.__doc__, rule.__name__


# Browser warnings (not causes): from the headers, whatever the verdict.


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (("Content-Type: text/plain",), ["sniffing"]),
        (("Content-Type: text/plain", "X-Content-Type-Options: nosniff"), []),
        (("Content-Type: text/event-stream", "Via: 1.1 varnish"), ["no-transform"]),
        (("Content-Type: text/event-stream", "CF-Ray: 1", "Cache-Control: no-cache, no-transform"), []),
        (("Content-Type: application/x-ndjson",), []),
    ],
)
def test_browser_warnings_follow_the_headers_whatever_the_verdict(fields: tuple[str, ...], expected: list[str]) -> None:
    progressive = [Arrival(t, 40, 30) for t in (5, 1000, 2000, 3000, 4000)]
    assert [w.id for w in rules.warnings(exchange_of(*fields, arrivals=progressive, headers_ms=5))] == expected


@pytest.mark.parametrize("name", ["age", "x-cache-hits"])
def test_a_count_in_other_digits_than_ascii_is_no_sign_and_no_crash(name: str) -> None:
    exchange = Exchange("http://x/", status=200, headers={name: "\u00b2"}, headers_ms=5.0, end_ms=1000.0)
    assert rules.replay_signs(exchange) == []


# A CDN or tunnel that streams only text/event-stream.

CDN_HELD = ("Via: 1.1 edge", "X-Accel-Buffering: no", "Transfer-Encoding: chunked")


def test_a_hop_that_is_no_nginx_holding_a_plain_type_whole_is_content_type_buffering() -> None:
    exchange = exchange_of(*CDN_HELD, "Content-Type: application/x-ndjson", arrivals=AT_THE_END, headers_ms=4000)
    causes = found(exchange, Verdict.BUFFERED)
    assert list(causes) == ["content-type-buffering", "proxy-buffering"]
    assert "the body is application/x-ndjson" in causes["content-type-buffering"].evidence
    assert "text/event-stream" in causes["content-type-buffering"].fix


@pytest.mark.parametrize(
    ("fields", "headers_ms", "arrivals"),
    [
        pytest.param((*CDN_HELD, "Content-Type: text/event-stream"), 4000, AT_THE_END, id="the type it streams"),
        pytest.param((*CDN_HELD, "Content-Type: text/plain"), 2, AT_THE_END, id="head passed at once"),
        pytest.param(("Via: 1.1 edge", "Content-Type: text/plain"), 4000, AT_THE_END, id="maybe nginx"),
        pytest.param((*CDN_HELD, "Content-Type: text/plain"), 1355, NGINX_BLOCKS, id="a buffer's blocks"),
        pytest.param(("X-Accel-Buffering: no", "Content-Type: text/plain"), 4000, AT_THE_END, id="no hop"),
    ],
)
def test_content_type_buffering_is_not_claimed_where_something_else_explains_it(
    fields: tuple[str, ...], headers_ms: float, arrivals: list[Arrival]
) -> None:
    exchange = exchange_of(*fields, arrivals=arrivals, headers_ms=headers_ms)
    assert "content-type-buffering" not in ids_of(exchange, Verdict.BUFFERED)
