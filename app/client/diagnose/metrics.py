"""Token-stream figures, pure: when the first message came, the gaps between messages, their
rate, the longest silences, and whether an idle timeout on the way would cut one.

Most people who ask why a stream "arrives all at once" stream an LLM's answer token by
token: they want the time to the first token and the gaps between tokens, as a client sees
them. Everything here is computed from an exchange's timeline; nothing is measured again.

What is counted is the messages the body's reader completed: SSE events, lines, WebSocket
messages. An SSE comment (`: PROCESSING`), a blank keep-alive line or a WebSocket ping is
no message: it carries bytes, but nothing for the app. So an answer that sends comments for
2 s has its first message at 2 s, while `first_content_ms` (the first decoded byte) counts
the first comment. A body read as bytes (no line breaks: no messages known) is measured by
its reads that carried content instead: the unit is then "reads".

Arrivals are reads merged per window (a millisecond, coarser on a very long timeline), so
the messages one arrival completed are timed alike and the gaps between them are 0: they
came too close together for the timeline to part them, and a client was handed them at
once. A buffer that lets tokens go 68 at a time shows as a p50 of 0 and a p99 of its silence.

Silences are measured twice. For the app, a silence lasts until the next message: comments
do not end it. On the wire, an idle timeout at a proxy or CDN counts bytes on the connection
(either way), so any byte resets it, a comment or a ping included: a comment keeps the
connection open though the app sees nothing. The idle warning rests on the wire's silence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from .causes import Finding
from .exchange import Ending, Exchange

__all__ = ["FIELDS", "IDLE_TIMEOUTS", "Gaps", "Metrics", "idle_warning", "measure", "percentile"]

#: How long common hops let a connection go without a byte before closing it, in seconds:
#: CloudFront's origin response timeout (its default; it also bounds the wait for the first
#: byte), Heroku's router (a rolling window, after 30 s for the first byte), an AWS
#: Application Load Balancer's idle timeout (its default), Cloudflare's proxy read timeout.
IDLE_TIMEOUTS = (("CloudFront", 30.0), ("Heroku", 55.0), ("AWS ALB", 60.0), ("Cloudflare", 100.0))
PERCENTILES = (50, 90, 99)
#: The fields --json gives the figures in (all null for an answer that is not a stream).
FIELDS = (
    "metrics_unit",
    "first_message_ms",
    "gaps_ms",
    "messages_per_s",
    "longest_silence_ms",
    "longest_idle_ms",
)


@dataclass(frozen=True)
class Gaps:
    """The time between consecutive messages, in ms, by nearest rank."""

    p50: float
    p90: float
    p99: float
    max: float

    def as_json(self) -> dict[str, float]:
        return {"p50": self.p50, "p90": self.p90, "p99": self.p99, "max": self.max}


@dataclass(frozen=True)
class Metrics:
    #: "messages" (events, lines, WebSocket messages), or "reads" of content for a byte stream.
    unit: str
    count: int
    #: When the arrival that completed the first message came (ms from the request's sending).
    first_ms: float | None
    gaps: Gaps | None
    #: Messages after the first over the time from the first to the last (None under two, or no time).
    per_s: float | None
    #: The longest time without a message: from the request's sending to the first, between
    #: two, from the last to the end of reading. Comments and pings do not end it.
    silence_ms: float
    #: The longest time without a byte on the connection (the head, any read: a comment, a
    #: ping), from the request's sending to the end of reading, and when it began and ended.
    idle_ms: float
    idle_from_ms: float
    idle_to_ms: float

    def as_json(self) -> dict[str, object]:
        gaps = self.gaps.as_json() if self.gaps else None
        values = (self.unit, self.first_ms, gaps, self.per_s, self.silence_ms, self.idle_ms)
        return dict(zip(FIELDS, values, strict=True))


def percentile(ordered: Sequence[float], p: int, zeros: int = 0) -> float:
    """Nearest rank: the smallest value with p% of the values at or below it, of `ordered`
    (sorted) and `zeros` more values of 0 (counted, not listed: a million messages in a
    few arrivals cost no list)."""
    rank = max(1, -(-p * (len(ordered) + zeros) // 100))
    return 0.0 if rank <= zeros else ordered[rank - zeros - 1]


def completions(exchange: Exchange) -> tuple[str, list[tuple[float, int]]]:
    """The unit measured, and (time, how many completed) for each arrival that completed any."""
    arrivals = sorted(exchange.arrivals, key=lambda arrival: arrival.t_ms)
    if exchange.messages_known:
        return "messages", [(a.t_ms, a.messages) for a in arrivals if a.messages]
    return "reads", [(a.t_ms, 1) for a in arrivals if a.decoded_bytes]


def gaps_of(completed: Sequence[tuple[float, int]]) -> Gaps | None:
    """The gaps between consecutive messages: between the arrivals that completed them, and
    0 between two one arrival completed. None with fewer than two messages."""
    between = sorted(later - earlier for (earlier, _), (later, _) in pairwise(completed))
    together = sum(count - 1 for _, count in completed)
    if not between and not together:
        return None
    p50, p90, p99 = (round(percentile(between, p, together), 3) for p in PERCENTILES)
    return Gaps(p50, p90, p99, round(between[-1] if between else 0.0, 3))


def longest(points: Sequence[float]) -> tuple[float, float]:
    """The longest stretch between consecutive `points` (sorted): (from, to)."""
    return max(pairwise(points), key=lambda pair: pair[1] - pair[0], default=(0.0, 0.0))


def measure(exchange: Exchange) -> Metrics:
    """The figures of a stream's timeline: by its messages when they are counted, else by
    its reads of content."""
    unit, completed = completions(exchange)
    count = sum(n for _, n in completed)
    first = completed[0][0] if completed else None
    span = completed[-1][0] - completed[0][0] if completed else 0.0
    end = max([exchange.end_ms, exchange.headers_ms, *(t for t, _ in completed)])
    quiet = longest([0.0, *(t for t, _ in completed), end])
    wire = sorted({0.0, exchange.headers_ms, end, *(a.t_ms for a in exchange.arrivals if a.wire_bytes)})
    idle_from, idle_to = longest(wire)
    return Metrics(
        unit=unit,
        count=count,
        first_ms=first,
        gaps=gaps_of(completed),
        per_s=round((count - 1) / span * 1000, 3) if count > 1 and span > 0 else None,
        silence_ms=round(quiet[1] - quiet[0], 3),
        idle_ms=round(idle_to - idle_from, 3),
        idle_from_ms=idle_from,
        idle_to_ms=idle_to,
    )


def noun(exchange: Exchange) -> str:
    """What was counted, in the singular: `event`, `line`, `message`, or `read` of content."""
    return exchange.reading.removesuffix("s") if exchange.messages_known else "read"


def where(exchange: Exchange, metrics: Metrics) -> str:
    """Where in the exchange the longest wire silence fell."""
    if metrics.idle_to_ms <= exchange.headers_ms:
        return "waiting for the response head"
    first, word = metrics.first_ms, noun(exchange)
    if first is None or metrics.idle_to_ms <= first:
        return f"before the first {word}"
    completed = completions(exchange)[1]
    return f"after the last {word}" if metrics.idle_from_ms >= completed[-1][0] else f"between two {word}s"


def seconds(ms: float) -> str:
    return f"{ms / 1000:.1f} s"


#: The fix for an idle timeout, warned of or met (cuts.py): one id, one fix.
IDLE_FIX = (
    "send a heartbeat well within the shortest idle timeout on the way (every 15 s clears all of these): an SSE "
    "comment line (: ping), a WebSocket ping, a blank line between NDJSON records; proxies and CDNs count any "
    "byte, though the app sees none of these. Or raise the timeout where it can be: an AWS ALB's idle timeout "
    "(up to 4000 s), CloudFront's origin response timeout (up to 60 s, more on request), Cloudflare's on an "
    "Enterprise plan, nginx proxy_read_timeout, HAProxy timeout server/tunnel; Heroku's is fixed"
)


def idle_warning(exchange: Exchange, metrics: Metrics) -> Finding | None:
    """The longest silence on the wire would be cut by a common idle timeout. Rests on the
    wire, not the messages: a comment, a ping or any byte in the silence resets the timers
    of proxies and CDNs, so a stream that sends them is not warned of however long its
    messages wait."""
    cut = [f"{name} ({limit:g} s)" for name, limit in IDLE_TIMEOUTS if metrics.idle_ms >= limit * 1000]
    if not cut:
        return None
    spared = [f"{name} ({limit:g} s)" for name, limit in IDLE_TIMEOUTS if metrics.idle_ms < limit * 1000]
    waits = f"; {', '.join(spared)} wait{'s' if len(spared) == 1 else ''} longer" if spared else ""
    ended = ""
    if metrics.idle_to_ms >= exchange.end_ms:
        ended = (
            "; it was still silent when --timeout ended the reading"
            if exchange.ending is Ending.TIMEOUT
            else f"; then the reading ended ({exchange.ending.value})"
        )
    return Finding(
        "idle-timeout",
        f"the connection carried no byte for {seconds(metrics.idle_ms)} (from {seconds(metrics.idle_from_ms)} to "
        f"{seconds(metrics.idle_to_ms)}, {where(exchange, metrics)}), not even a comment or a ping: long enough "
        f"for these idle timeouts to close it: {', '.join(cut)}{waits}{ended}",
        IDLE_FIX,
    )
