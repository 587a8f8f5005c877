"""Whether a stream's content arrived spread over its life, all at the end, or in blocks.

Pure rules over a timeline of arrivals (no I/O), so the terminal's `diagnose` and the
page's "your stream" lane judge alike: `static/js/verdict.js` is the same rules in
JavaScript, and both are held to `tests/verdict_cases.json`.

Times are milliseconds from the moment the request was sent; `life_ms` is when reading
ended (the end of the body, or where the reader stopped).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import pairwise

#: A stream over sooner than this cannot show whether it streams.
MIN_LIFE_MS = 300.0
#: "At the end" is the last tenth of the stream's life, and never less than this.
MIN_END_WINDOW_MS = 100.0
END_WINDOW_SHARE = 0.1
#: This share of the content arriving at the end makes a stream buffered.
BUFFERED_SHARE = 0.9
#: Blocks are separated by a silence of at least this share of the stream's life...
BURST_GAP_SHARE = 0.2
#: ...and carry this many messages each (when messages are known: SSE events, NDJSON lines),
MESSAGES_PER_BLOCK = 4
MIN_MESSAGES_FOR_BLOCKS = 8
#: ...or two of them have the same power-of-two size of at least this: a buffer's size
#: (nginx passes 4096-byte blocks), not a message's.
MIN_BLOCK_BYTES = 1024


class Verdict(StrEnum):
    PROGRESSIVE = "progressive"
    BUFFERED = "buffered"
    BURSTY = "bursty"
    INCONCLUSIVE = "inconclusive"


@dataclass(frozen=True)
class Arrival:
    """One read's worth: when it came, what crossed the wire, what it decoded to."""

    t_ms: float
    wire_bytes: int
    decoded_bytes: int
    #: Messages (SSE events, NDJSON lines, WebSocket messages) completed by this arrival.
    messages: int = 0


@dataclass(frozen=True)
class Judgement:
    verdict: Verdict
    reason: str
    #: Share of the decoded content that arrived in the end window (0..1).
    end_share: float
    #: The longest silence between content arrivals (from the request's sending on).
    largest_gap_ms: float
    content_arrivals: int


def end_window_ms(life_ms: float) -> float:
    return max(END_WINDOW_SHARE * life_ms, MIN_END_WINDOW_MS)


def largest_gap_ms(times: Sequence[float]) -> float:
    """The longest silence from the request's sending through the content's arrivals."""
    points = [0.0, *sorted(times)]
    return max((later - earlier for earlier, later in pairwise(points)), default=0.0)


def is_blocky(content: Sequence[Arrival], messages_known: bool) -> bool:
    """Arrivals far larger than the messages: several messages each, or a buffer's size repeated."""
    messages = sum(arrival.messages for arrival in content)
    if messages_known and messages >= MIN_MESSAGES_FOR_BLOCKS and messages >= MESSAGES_PER_BLOCK * len(content):
        return True
    sizes = Counter(arrival.decoded_bytes for arrival in content if is_buffer_size(arrival.decoded_bytes))
    return any(times >= 2 for times in sizes.values())


def is_buffer_size(size: int) -> bool:
    return size >= MIN_BLOCK_BYTES and size & (size - 1) == 0


def judge(arrivals: Sequence[Arrival], life_ms: float, messages_known: bool = False) -> Judgement:
    """The verdict on a timeline, with the figures it rests on."""
    content = [arrival for arrival in arrivals if arrival.decoded_bytes > 0]
    total = sum(arrival.decoded_bytes for arrival in content)
    window = end_window_ms(life_ms)
    at_end = sum(a.decoded_bytes for a in content if a.t_ms >= life_ms - window)
    share = at_end / total if total else 0.0
    gap = largest_gap_ms([arrival.t_ms for arrival in content])

    def verdict(kind: Verdict, reason: str) -> Judgement:
        return Judgement(kind, reason, round(share, 4), round(gap, 3), len(content))

    if not total:
        return verdict(Verdict.INCONCLUSIVE, "no content arrived, so there is nothing to judge")
    if life_ms < MIN_LIFE_MS:
        return verdict(
            Verdict.INCONCLUSIVE,
            f"it was over in {life_ms:.0f} ms, too quick to tell streaming from buffering "
            f"(ask for a stream that lasts at least {MIN_LIFE_MS:.0f} ms)",
        )
    if share >= BUFFERED_SHARE:
        return verdict(
            Verdict.BUFFERED,
            f"{share:.0%} of the content arrived in the last {window:.0f} ms of {life_ms:.0f} ms: "
            "it was held and delivered at the end",
        )
    if len(content) >= 2 and gap >= BURST_GAP_SHARE * life_ms and is_blocky(content, messages_known):
        return verdict(
            Verdict.BURSTY,
            f"the content came in {len(content)} blocks far larger than its messages, "
            f"with silences of up to {gap:.0f} ms: a buffer somewhere in between let it go a block at a time",
        )
    return verdict(
        Verdict.PROGRESSIVE,
        f"the content arrived in {len(content)} pieces spread over {life_ms:.0f} ms "
        f"(only {share:.0%} in the last {window:.0f} ms)",
    )
