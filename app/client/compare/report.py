"""What the client prints: one line per message as it arrives, a summary table, or JSON."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from ...params import BOUNDS
from .model import Message, StreamResult

#: Longer messages (padded ones) are cut in the live view; --json keeps them whole.
SHOWN_CHARS = 72


def _shorten(text: str) -> str:
    text = text.replace("\n", "\\n")
    if len(text) <= SHOWN_CHARS:
        return text
    return f"{text[:SHOWN_CHARS]}... (+{len(text) - SHOWN_CHARS} chars)"


def message_line(message: Message, start_epoch_ms: float, name_width: int) -> str:
    """`  1001.2 ms  chunked      Chunk 1   [sent +1000.9 ms, delay 0.3 ms]`."""
    line = f"{message.t_ms:9.1f} ms  {message.stream or message.endpoint:<{name_width}}  {_shorten(message.text)}"
    if message.sent_ms is not None and message.delay_ms is not None:
        line += f"   [sent +{message.sent_ms - start_epoch_ms:.1f} ms, delay {message.delay_ms:.1f} ms]"
    return line


def note_line(t_ms: float, stream: str, text: str, name_width: int) -> str:
    """`  1003.0 ms  sse  -- connection 1 was cut after 2 events; ...`: not a message."""
    return f"{t_ms:9.1f} ms  {stream:<{name_width}}  -- {text}"


def rate(result: StreamResult) -> float | None:
    """Messages per second between the first and the last arrival; None for a burst."""
    if result.messages < 2 or result.first_ms is None or result.last_ms is None:
        return None
    span = result.last_ms - result.first_ms
    return (result.messages - 1) / (span / 1000) if span >= 1 else None


def summary(result: StreamResult) -> dict[str, Any]:
    """The figures of one stream, JSON-ready."""
    framing = result.transfer_bytes + result.syntax_bytes
    per_message = framing / result.messages if result.messages and framing else None
    figures = asdict(result)
    figures.update(
        wire_bytes=(result.body_bytes if result.encoded_bytes is None else result.encoded_bytes)
        + result.transfer_bytes,
        messages_per_s=None if (r := rate(result)) is None else round(r, 1),
        framing_bytes_per_message=None if per_message is None else round(per_message, 1),
    )
    return figures


COLUMNS = (
    ("stream", "stream", "<"),
    ("status", "status", ">"),
    ("TTFB ms", "ttfb_ms", ">"),
    ("first ms", "first_ms", ">"),
    ("last ms", "last_ms", ">"),
    ("msgs", "messages", ">"),
    ("wire B", "wire_bytes", ">"),
    ("body B", "body_bytes", ">"),
    ("msg/s", "messages_per_s", ">"),
    ("framing B/msg", "framing_bytes_per_message", ">"),
    ("conns", "connections", ">"),
)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def summary_table(results: list[StreamResult]) -> str:
    """A fixed-width table, one row per endpoint.

    A failed stream's error is not repeated here: it was said once already, on stderr.
    """
    rows = [[_cell(summary(result)[key]) for _, key, _ in COLUMNS] for result in results]
    widths = [max(len(title), *(len(row[i]) for row in rows)) for i, (title, _, _) in enumerate(COLUMNS)]
    lines = ["  ".join(f"{title:{align}{w}}" for (title, _, align), w in zip(COLUMNS, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        cells = zip(row, COLUMNS, widths, strict=True)
        lines.append("  ".join(f"{cell:{align}{w}}" for cell, (_, _, align), w in cells))
    lines.append(
        "TTFB: response head (WebSocket: handshake done); wire B: body as sent (compressed, if it was) + chunk "
        "framing or frame headers, not the response head; body B: decoded; msg/s: between first and last "
        "arrival ('-': one burst); conns: connections (SSE reconnects, as EventSource does, until HTTP 204)"
    )
    return "\n".join(lines)


def query_numbers(query: Mapping[str, str]) -> dict[str, int | float | str]:
    """The query as JSON numbers. A value no JSON number can hold (`nan`, `inf`: the server
    refuses them) stays the text that was sent, so the document stays valid JSON."""
    numbers: dict[str, int | float | str] = {}
    for name, text in query.items():
        value = int(text) if BOUNDS[name].integer else float(text)
        numbers[name] = value if math.isfinite(value) else text
    return numbers


def result_document(
    base_url: str, query: dict[str, str], results: list[StreamResult], messages: list[Message], outcome: str
) -> dict[str, Any]:
    """Everything the run saw, for `--json`."""
    return {
        "url": base_url,
        "params": query_numbers(query),
        "outcome": outcome,
        "streams": [summary(result) for result in results],
        "messages": [asdict(message) for message in messages],
    }
