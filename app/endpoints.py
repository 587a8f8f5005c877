"""THE registry of endpoints. Routes, /api/endpoints, the page, the client and the tests
all read this table; adding an endpoint is adding one entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .culprits import CULPRITS, DROP_TRANSPORTS, FAULTS, VIA_TRANSPORTS
from .params import StreamParams
from .sources import Source, ijson_events, json_array, ndjson_lines, nested_json, text_lines
from .transport import Transport

#: The fixed clock used to render the documented stamped examples.
EXAMPLE_STAMP_MS = 1764000000000.0


class Framing(StrEnum):
    """How a body divides into messages: what a reader splits it by, declared per endpoint
    (tests check each declaration against the endpoint's own example body)."""

    LINES = "lines"  # text and ijson events: one message per line
    NDJSON = "ndjson"  # one JSON object per line
    JSON_ITEMS = "json-items"  # a JSON array, one message per item
    CHUNKS = "chunks"  # bare JSON tokens carry no delimiter: one message per HTTP chunk
    SSE = "sse"  # one event per message
    WEBSOCKET = "websocket"  # one text frame per message


@dataclass(frozen=True)
class MessageRule:
    """How many messages a stream sends for `count` and `size`, without running it.

    Every source is linear in `count`: `per_count` messages for each unit of it (each
    `per_padded_count` when `size` pads every unit with a value of its own), plus `fixed`
    ones for the document around them. `unit` says what `count` counts.
    """

    per_count: int = 1
    fixed: int = 0
    per_padded_count: int | None = None
    unit: str = "messages"

    def messages(self, count: int, size: int) -> int:
        per = self.per_padded_count if size and self.per_padded_count is not None else self.per_count
        return per * count + self.fixed

    def describe(self) -> dict[str, object]:
        return {
            "unit": self.unit,
            "per_count": self.per_count,
            "per_padded_count": self.per_count if self.per_padded_count is None else self.per_padded_count,
            "fixed": self.fixed,
        }


#: One message per unit of count: text lines, JSON items, NDJSON lines, events.
ONE_PER_COUNT = MessageRule()
#: The nested document, one message per completed value. Per user: id, name, one role,
#: the roles array and the user itself (5; its padding makes 6); the tutorial's first user
#: has a second role (+1), then the users array, the settings' theme and notifications,
#: the settings and the document end (+5).
NESTED_JSON_RULE = MessageRule(per_count=5, fixed=6, per_padded_count=6, unit="users")
#: ijson's events. Per item: start_map, map_key id, number, end_map (4; the padding adds
#: map_key pad and its string: 6); around them start_map, map_key items, start_array,
#: end_array and end_map (5).
IJSON_RULE = MessageRule(per_count=4, fixed=5, per_padded_count=6, unit="items")


@dataclass(frozen=True)
class Endpoint:
    """One stream: what it sends (source), how (transport), and what that looks like (framing)."""

    name: str
    path: str
    transport: Transport
    framing: Framing
    content_type: str
    description: str
    source: Source
    defaults: StreamParams
    stamp_format: str
    stampable: bool = True
    rule: MessageRule = ONE_PER_COUNT

    def messages(self, params: StreamParams) -> int:
        """How many messages the stream sends with these parameters (before any fault cuts it)."""
        return self.rule.messages(params.count, params.size)

    def duration(self, params: StreamParams) -> float:
        """Seconds the stream takes: every transport sends a message, then lets `interval` pass."""
        return self.messages(params) * params.interval

    def example(self, stamp: bool) -> str:
        """The first message at default parameters, as the source renders it."""
        params = StreamParams(count=self.defaults.count, interval=0, stamp=stamp)
        clock = (lambda: EXAMPLE_STAMP_MS) if stamp and self.stampable else None
        return next(iter(self.source(params, clock).messages))

    def describe(self) -> dict[str, object]:
        """JSON-ready description for /api/endpoints and the page."""
        return {
            "name": self.name,
            "path": self.path,
            "transport": self.transport.value,
            "content_type": self.content_type,
            "description": self.description,
            "defaults": {
                "count": self.defaults.count,
                "interval": self.defaults.interval,
                "size": self.defaults.size,
                "stamp": int(self.defaults.stamp),
            },
            "stampable": self.stampable,
            # messages = per_count (per_padded_count when size > 0) x count + fixed;
            # duration = messages x interval.
            "plan": self.rule.describe(),
            "vias": [culprit.name for culprit in CULPRITS if self.transport in VIA_TRANSPORTS],
            "drop": self.transport in DROP_TRANSPORTS,
            "faults": [fault.name for fault in FAULTS if self.transport in fault.transports],
            "format": {
                "message": self.example(stamp=False),
                "stamped": self.example(stamp=True) if self.stampable else None,
                "stamp": self.stamp_format,
            },
        }


TEXT_STAMP = "a space, `@` and the send time in epoch ms, after the text: `... @1764000000000.000`"
JSON_STAMP = 'a `"ts"` member holding the send time in epoch ms: `{..., "ts": 1764000000000.0}`'

ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        name="chunked",
        path="/chunked",
        transport=Transport.CHUNKED,
        framing=Framing.LINES,
        content_type="text/plain; charset=utf-8",
        description="Chunked transfer encoding: one chunk per line, sent as it is produced.",
        source=text_lines("Chunk", newline=True),
        defaults=StreamParams(count=5, interval=1.0),
        stamp_format=TEXT_STAMP,
    ),
    Endpoint(
        name="non-chunked",
        path="/non-chunked",
        transport=Transport.BUFFERED,
        framing=Framing.LINES,
        content_type="text/plain; charset=utf-8",
        description="The same lines buffered: nothing is sent until the whole body is ready (Content-Length).",
        source=text_lines("Chunk", newline=True),
        defaults=StreamParams(count=5, interval=1.0),
        stamp_format=TEXT_STAMP + " (the time each line was produced, not sent)",
    ),
    Endpoint(
        name="json",
        path="/json",
        transport=Transport.CHUNKED,
        framing=Framing.JSON_ITEMS,
        content_type="application/json",
        description="A JSON array streamed item by item: `[`, one object per chunk, `]`.",
        source=json_array,
        defaults=StreamParams(count=3, interval=1.0),
        stamp_format=JSON_STAMP,
    ),
    Endpoint(
        name="json-nested",
        path="/json-nested",
        transport=Transport.CHUNKED,
        framing=Framing.CHUNKS,
        content_type="application/json",
        description="A nested JSON document written node by node; count is the number of users.",
        source=nested_json,
        defaults=StreamParams(count=2, interval=0.5),
        stamp_format="none: bare JSON tokens have nowhere to carry a stamp, so stamp=1 changes nothing",
        stampable=False,
        rule=NESTED_JSON_RULE,
    ),
    Endpoint(
        name="ijson",
        path="/ijson",
        transport=Transport.CHUNKED,
        framing=Framing.LINES,
        content_type="text/plain; charset=utf-8",
        description="ijson's parse events (`prefix event value`) for a document parsed as it is produced.",
        source=ijson_events,
        defaults=StreamParams(count=3, interval=0.5),
        stamp_format=TEXT_STAMP,
        rule=IJSON_RULE,
    ),
    Endpoint(
        name="ndjson",
        path="/ndjson",
        transport=Transport.CHUNKED,
        framing=Framing.NDJSON,
        content_type="application/x-ndjson",
        description="Newline-delimited JSON: one object per line, one line per chunk.",
        source=ndjson_lines,
        defaults=StreamParams(count=5, interval=1.0),
        stamp_format=JSON_STAMP,
    ),
    Endpoint(
        name="sse",
        path="/sse",
        transport=Transport.SSE,
        framing=Framing.SSE,
        content_type="text/event-stream",
        description="Server-Sent Events: one event with an id per message; reconnects resume after Last-Event-ID.",
        source=text_lines("SSE message", newline=False),
        defaults=StreamParams(count=5, interval=1.0),
        stamp_format=TEXT_STAMP + " (in the data field)",
    ),
    Endpoint(
        name="ws",
        path="/ws",
        transport=Transport.WEBSOCKET,
        framing=Framing.WEBSOCKET,
        content_type="websocket",
        description="WebSocket: one text message each, close 1000; every text you send is echoed with the server time.",
        source=text_lines("WebSocket message", newline=False),
        defaults=StreamParams(count=5, interval=1.0),
        stamp_format=TEXT_STAMP,
    ),
)

ENDPOINTS_BY_NAME: dict[str, Endpoint] = {endpoint.name: endpoint for endpoint in ENDPOINTS}


def culprits_document() -> dict[str, object]:
    """The culprits and faults for /api/endpoints and the page, with the endpoints each applies to."""
    vias = [endpoint.name for endpoint in ENDPOINTS if endpoint.transport in VIA_TRANSPORTS]
    return {
        "culprits": [culprit.describe(vias) for culprit in CULPRITS],
        "faults": [
            fault.describe([endpoint.name for endpoint in ENDPOINTS if endpoint.transport in fault.transports])
            for fault in FAULTS
        ],
    }
