"""EventSource's reconnection rules (WHATWG HTML, "Server-sent events"), without I/O.

What a browser does when an event stream's connection ends: a 200 `text/event-stream`
answer is read; when its body ends, cut or clean, the browser waits the reconnection time
(the last `retry:` value in ms, 3000 before any) and asks again with `Last-Event-ID` set
to the last event id it saw; a 204 closes the EventSource for good; any other answer
fails it for good. The SSE reader follows these rules; this module says what they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ...wire.sse import SSEParser

__all__ = ["DEFAULT_RETRY_MS", "MAX_FRUITLESS_CONNECTIONS", "Answer", "GaveUp", "Reconnection", "classify"]

#: The reconnection time before any `retry:` field (browsers use about 3 s).
DEFAULT_RETRY_MS = 3000
#: A browser reconnects for ever; a command has to end. After this many connections in a
#: row that brought no event, the reader stops and reports the stream as failed.
MAX_FRUITLESS_CONNECTIONS = 5
LAST_EVENT_ID = "Last-Event-ID"


class Answer(StrEnum):
    """What an answer to an EventSource request means."""

    STREAM = "stream"  # 200 text/event-stream: read its events
    DONE = "done"  # 204: the server has nothing more; EventSource closes for good
    REFUSED = "refused"  # anything else: EventSource fails for good, without reconnecting


def classify(status: int, content_type: str) -> Answer:
    if status == 204:
        return Answer.DONE
    if status == 200 and content_type.split(";")[0].strip().lower() == "text/event-stream":
        return Answer.STREAM
    return Answer.REFUSED


class GaveUp(Exception):
    """Too many connections in a row brought no event."""


@dataclass
class Reconnection:
    """One EventSource's state across its connections."""

    last_event_id: str = ""
    retry_ms: int = DEFAULT_RETRY_MS
    connections: int = 0
    fruitless: int = 0  # connections in a row without an event

    def request_headers(self) -> dict[str, str]:
        """Headers of the next request; counts it as a connection."""
        self.connections += 1
        return {LAST_EVENT_ID: self.last_event_id} if self.last_event_id else {}

    def parser(self, max_message: int | None = None) -> SSEParser:
        """A parser for the next connection's body: a new one, seeded with the last event id,
        refusing a line or an event longer than `max_message`."""
        return SSEParser(last_event_id=self.last_event_id, max_line=max_message, max_event=max_message)

    def ended(self, parser: SSEParser | None, events: int) -> float:
        """A connection ended (its body cut or complete, or no answer at all: `parser` None).

        Returns the seconds to wait before the next request; raises GaveUp after
        MAX_FRUITLESS_CONNECTIONS connections in a row without an event.
        """
        if parser is not None:
            self.last_event_id = parser.last_event_id
            if parser.retry is not None:
                self.retry_ms = parser.retry
        self.fruitless = 0 if events else self.fruitless + 1
        if self.fruitless >= MAX_FRUITLESS_CONNECTIONS:
            raise GaveUp(
                f"gave up after {self.fruitless} connections in a row without an event "
                "(a browser's EventSource would keep reconnecting)"
            )
        return self.retry_ms / 1000
