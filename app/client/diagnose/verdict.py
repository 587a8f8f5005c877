"""Whether a stream's content arrived spread over its life, all at the end, or in blocks.

Pure rules over a timeline of arrivals (no I/O), so the terminal's `diagnose` and the
page's "your stream" lane judge alike: `static/js/verdict.js` is the same rules in
JavaScript, and both are held to `tests/verdict_cases.json`.

Times are milliseconds from the moment the request was sent; `life_ms` is when reading
ended (the end of the body, or where the reader stopped).

Blocks are told by the stream's structure, however long it is: a buffer between server and
reader lets the content go a block at a time, so each block carries many messages (or a
buffer's size of bytes) that were produced during the silence before it. The figures are
medians weighted by what each block carries ("the block the typical message came in"), so a
few coalesced reads or a jittered silence do not move them.
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
#: This share of the content (of its bytes, and of its messages when counted) arriving at
#: the end makes a stream buffered.
BUFFERED_SHARE = 0.9
#: Reads within this of a block's first read are that block, split by the socket.
BLOCK_JOIN_MS = 5.0
#: The typical message came in a block of this many messages: far more than an app writes at once...
MESSAGES_PER_BLOCK = 8
#: ...or of this many, in blocks of a buffer's size.
MESSAGES_PER_BUFFER = 3
#: A buffer's size is at least this (nginx passes 4096-byte blocks; stdio, Apache 8192)...
MIN_BLOCK_BYTES = 4096
#: ...and a block within 1/NEAR of it is of that size too (a first block less the headers it
#: shared the buffer with, a last one with the remainder).
NEAR = 8
#: The silence before the typical block: long enough to notice...
MIN_SILENCE_MS = 200.0
#: ...and this many times the message cadence, so the block's messages waited through it.
SILENCE_CADENCES = 2.0


class Verdict(StrEnum):
    PROGRESSIVE = "progressive"
    BUFFERED = "buffered"
    BURSTY = "bursty"
    INCONCLUSIVE = "inconclusive"
    #: Not a stream to judge (judge() never says these; the command does): an error status...
    ERROR = "error"
    #: ...or a ws:// or wss:// URL answered without 101 Switching Protocols.
    NOT_UPGRADED = "not-upgraded"


#: What judge() can say of a timeline.
JUDGED = (Verdict.PROGRESSIVE, Verdict.BUFFERED, Verdict.BURSTY, Verdict.INCONCLUSIVE)


@dataclass(frozen=True)
class Arrival:
    """One read's worth: when it came, what crossed the wire, what it decoded to."""

    t_ms: float
    wire_bytes: int
    decoded_bytes: int
    #: Messages (SSE events, NDJSON lines, WebSocket messages) completed by this arrival.
    messages: int = 0


@dataclass(frozen=True)
class Block:
    """Reads that came together: from `t_ms` to `end_ms`, what they decoded to and completed."""

    t_ms: float
    end_ms: float
    decoded_bytes: int
    messages: int


@dataclass(frozen=True)
class Structure:
    """How the content came, in the figures the bursty rule weighs (and causes may cite)."""

    blocks: int = 0
    #: The size of the block the typical byte came in.
    block_bytes: int = 0
    #: A buffer's size the blocks are at or near, or 0.
    buffer_bytes: int = 0
    #: How many blocks are at or near it.
    buffer_blocks: int = 0
    #: The messages in the block the typical message came in (0 when messages are not counted).
    messages_per_block: int = 0
    #: The silence before the typical block (weighted by messages, or by bytes), and the longest.
    silence_ms: float = 0.0
    longest_silence_ms: float = 0.0
    #: The time from the first block to the last per message after the first (0 when unknown).
    cadence_ms: float = 0.0


@dataclass(frozen=True)
class Judgement:
    verdict: Verdict
    reason: str
    #: Share of the decoded content that arrived in the end window (0..1).
    end_share: float
    #: The longest silence between content arrivals (from the request's sending on).
    largest_gap_ms: float
    content_arrivals: int
    #: Share of the messages completed in the end window, when messages were counted.
    end_message_share: float | None = None
    structure: Structure = Structure()


def end_window_ms(life_ms: float) -> float:
    return max(END_WINDOW_SHARE * life_ms, MIN_END_WINDOW_MS)


def largest_gap_ms(times: Sequence[float]) -> float:
    """The longest silence from the request's sending through the content's arrivals."""
    points = [0.0, *sorted(times)]
    return max((later - earlier for earlier, later in pairwise(points)), default=0.0)


def blocks_of(content: Sequence[Arrival]) -> list[Block]:
    """Content arrivals in time order, a read within BLOCK_JOIN_MS of a block's first joined to it."""
    blocks: list[Block] = []
    for a in content:
        if blocks and a.t_ms - blocks[-1].t_ms < BLOCK_JOIN_MS:
            b = blocks[-1]
            blocks[-1] = Block(b.t_ms, a.t_ms, b.decoded_bytes + a.decoded_bytes, b.messages + a.messages)
        else:
            blocks.append(Block(a.t_ms, a.t_ms, a.decoded_bytes, a.messages))
    return blocks


def weighted_median(pairs: Sequence[tuple[float, int]]) -> float | None:
    """The value below which (inclusive) half the weight lies; None with no weight."""
    total, seen = sum(weight for _, weight in pairs), 0
    for value, weight in sorted(pairs, key=lambda pair: pair[0]):
        seen += weight
        if total and 2 * seen >= total:
            return value
    return None


def is_near(size: int, buffer: int) -> bool:
    return abs(size - buffer) * NEAR <= buffer


def buffer_size(blocks: Sequence[Block], counted: bool) -> int:
    """A size of at least MIN_BLOCK_BYTES that two blocks have exactly (a power of two unless
    messages are counted: a plain stream's repeated size may be its messages'), with the blocks
    at or near it carrying half the bytes or more; the one carrying most, else 0."""
    total = sum(b.decoded_bytes for b in blocks)
    repeated = Counter(b.decoded_bytes for b in blocks)
    best, carried = 0, 0
    for size in sorted(repeated):
        if repeated[size] < 2 or size < MIN_BLOCK_BYTES or not (counted or size & (size - 1) == 0):
            continue
        near = sum(b.decoded_bytes for b in blocks if is_near(b.decoded_bytes, size))
        if 2 * near >= total and near > carried:
            best, carried = size, near
    return best


def structure(content: Sequence[Arrival], counted: bool) -> Structure:
    blocks = blocks_of(content)
    if not blocks:
        return Structure()
    carried = [(b.t_ms - before.end_ms, b.messages if counted else b.decoded_bytes) for before, b in pairwise(blocks)]
    buffer = buffer_size(blocks, counted)
    later = sum(b.messages for b in blocks[1:])
    return Structure(
        blocks=len(blocks),
        block_bytes=int(weighted_median([(b.decoded_bytes, b.decoded_bytes) for b in blocks]) or 0),
        buffer_bytes=buffer,
        buffer_blocks=sum(1 for b in blocks if buffer and is_near(b.decoded_bytes, buffer)),
        messages_per_block=int(weighted_median([(b.messages, b.messages) for b in blocks]) or 0) if counted else 0,
        silence_ms=weighted_median(carried) or 0.0,
        longest_silence_ms=max((silence for silence, _ in carried), default=0.0),
        cadence_ms=(blocks[-1].end_ms - blocks[0].end_ms) / later if counted and later else 0.0,
    )


def is_bursty(shape: Structure, counted: bool) -> bool:
    """Blocks far larger than the messages, each after a silence its messages waited through."""
    if shape.blocks < 2 or shape.silence_ms < MIN_SILENCE_MS:
        return False
    if not counted:
        return shape.buffer_bytes > 0
    per_block = shape.messages_per_block
    large = per_block >= MESSAGES_PER_BLOCK or (shape.buffer_bytes > 0 and per_block >= MESSAGES_PER_BUFFER)
    return large and shape.cadence_ms > 0 and shape.silence_ms >= SILENCE_CADENCES * shape.cadence_ms


def duration(ms: float) -> str:
    shown = f"{ms:.0f}"
    return "under 1 ms" if shown == "0" else f"{shown} ms"


def bursty_reason(shape: Structure, counted: bool) -> str:
    buffer = f"{shape.buffer_blocks} of them at or near {shape.buffer_bytes} B, a buffer's size"
    if not counted:
        sizes = buffer
    elif shape.buffer_bytes:
        sizes = f"typically {shape.messages_per_block} messages each; {buffer}"
    else:
        sizes = f"typically {shape.messages_per_block} messages, {shape.block_bytes} B each"
    ratio = shape.silence_ms / shape.cadence_ms if counted else 0.0
    cadence = f", {ratio:.0f} times the message cadence of {duration(shape.cadence_ms)}" if counted else ""
    return (
        f"the content came in {shape.blocks} blocks ({sizes}) with silences of typically "
        f"{shape.silence_ms:.0f} ms before them (up to {shape.longest_silence_ms:.0f} ms){cadence}: "
        "a buffer somewhere in between let it go a block at a time"
    )


def held_reason(share: float, window: float, life_ms: float, counts: tuple[int, int] | None) -> str:
    messages = f" ({counts[0]} of {counts[1]} messages)" if counts else ""
    return (
        f"{share:.0%} of the content{messages} arrived in the last {window:.0f} ms of {life_ms:.0f} ms: "
        "it was held and delivered at the end"
    )


def held_messages_reason(share: float, window: float, life_ms: float, counts: tuple[int, int]) -> str:
    return (
        f"{counts[0]} of its {counts[1]} messages arrived in the last {window:.0f} ms of {life_ms:.0f} ms "
        f"(only {share:.0%} of its bytes: what came before carried no message, such as comments or "
        "keep-alives): it was held and delivered at the end"
    )


def spread_reason(pieces: int, life_ms: float, window: float, share: float, counts: tuple[int, int] | None) -> str:
    spread = f"the content arrived in {pieces} piece{'' if pieces == 1 else 's'} spread over {life_ms:.0f} ms"
    if counts is None:
        return f"{spread} (only {share:.0%} in the last {window:.0f} ms)"
    at_end, messages = counts
    if share >= BUFFERED_SHARE:
        return (
            f"{spread}: {share:.0%} of its bytes came in the last {window:.0f} ms, but only {at_end} of its "
            f"{messages} messages (a large message, not content held back)"
        )
    return f"{spread} (only {share:.0%} of it, {at_end} of {messages} messages, in the last {window:.0f} ms)"


def judge(arrivals: Sequence[Arrival], life_ms: float, messages_known: bool = False) -> Judgement:
    """The verdict on a timeline, with the figures it rests on."""
    content = sorted((a for a in arrivals if a.decoded_bytes > 0), key=lambda a: a.t_ms)
    total = sum(arrival.decoded_bytes for arrival in content)
    window = end_window_ms(life_ms)
    late = [a for a in content if a.t_ms >= life_ms - window]
    share = sum(a.decoded_bytes for a in late) / total if total else 0.0
    messages = sum(a.messages for a in content)
    counted = messages_known and messages > 0
    counts = (sum(a.messages for a in late), messages) if counted else None
    message_share = counts[0] / counts[1] if counts else None
    shape = structure(content, counted)
    gap = largest_gap_ms([arrival.t_ms for arrival in content])

    def verdict(kind: Verdict, reason: str) -> Judgement:
        shares = round(message_share, 4) if message_share is not None else None
        return Judgement(kind, reason, round(share, 4), round(gap, 3), len(content), shares, shape)

    if not total:
        return verdict(Verdict.INCONCLUSIVE, "no content arrived, so there is nothing to judge")
    if life_ms < MIN_LIFE_MS:
        return verdict(
            Verdict.INCONCLUSIVE,
            f"it was over in {life_ms:.0f} ms, too quick to tell streaming from buffering "
            f"(ask for a stream that lasts at least {MIN_LIFE_MS:.0f} ms)",
        )
    if share >= BUFFERED_SHARE and (message_share is None or message_share >= BUFFERED_SHARE):
        return verdict(Verdict.BUFFERED, held_reason(share, window, life_ms, counts))
    if counts is not None and message_share is not None and message_share >= BUFFERED_SHARE:
        # The early bytes carried no message (`:` comments, keep-alives): the messages,
        # which are what a reader waits for, were held.
        return verdict(Verdict.BUFFERED, held_messages_reason(share, window, life_ms, counts))
    if is_bursty(shape, counted):
        return verdict(Verdict.BURSTY, bursty_reason(shape, counted))
    return verdict(Verdict.PROGRESSIVE, spread_reason(len(content), life_ms, window, share, counts))
