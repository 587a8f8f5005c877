"""What is sent: pure, lazy producers of messages. Nothing here touches a socket.

A source turns validated parameters into a `Body`: an iterator of messages, produced
one at a time when the transport asks for the next (so a stamp taken while producing a
message is its send time), and a tail written after the last pause that is not a
message of its own (the closing `]` of a JSON array).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import ijson

from .params import StreamParams

#: Returns the current time as Unix epoch milliseconds; None means "do not stamp".
Clock = Callable[[], float]

#: The tutorial's people; items past these are generated.
TUTORIAL_PEOPLE = ({"id": 1, "name": "Tom"}, {"id": 2, "name": "Adam"}, {"id": 3, "name": "Sam"})
TUTORIAL_USERS = (
    {"id": 1, "name": "Tom", "roles": ["admin", "user"]},
    {"id": 2, "name": "Adam", "roles": ["user"]},
)
TUTORIAL_SETTINGS = {"theme": "dark", "notifications": True}
PAD_CHAR = "x"


def epoch_ms() -> float:
    """Now, as Unix epoch milliseconds with microsecond resolution."""
    return round(time.time() * 1000, 3)


@dataclass(frozen=True, slots=True)
class Body:
    """What a stream sends: paced messages, then an unpaced tail."""

    messages: Iterator[str]
    tail: str = ""


Source = Callable[[StreamParams, "Clock | None"], Body]


# Messages are made on the hot path of every stream, so padding is built once per
# stream and JSON objects are written as the f-strings json.dumps would produce.


def _text_suffixer(params: StreamParams, clock: Clock | None) -> Callable[[str], str]:
    """Adds ` <padding>` and ` @<stamp>` to a text message, as the parameters ask."""
    pad = f" {PAD_CHAR * params.size}" if params.size else ""
    if clock is None:
        return lambda line: f"{line}{pad}"
    return lambda line: f"{line}{pad} @{clock():.3f}"


def _member_adder(params: StreamParams, clock: Clock | None) -> Callable[[str], str]:
    """Adds `"pad"` and `"ts"` members to a JSON object, byte for byte as json.dumps would."""
    pad = f', "pad": "{PAD_CHAR * params.size}"' if params.size else ""
    if clock is None:
        return (lambda obj: f"{obj[:-1]}{pad}}}") if pad else (lambda obj: obj)
    # json.dumps writes a float with repr().
    return lambda obj: f'{obj[:-1]}{pad}, "ts": {clock()!r}}}'


def text_lines(label: str, newline: bool) -> Source:
    """`{label} {i}` per message: the tutorial's `Chunk 0`, `WebSocket message 0`, ..."""
    end = "\n" if newline else ""

    def source(params: StreamParams, clock: Clock | None) -> Body:
        suffixed = _text_suffixer(params, clock)
        return Body(f"{suffixed(f'{label} {i}')}{end}" for i in range(params.count))

    return source


_TUTORIAL_PEOPLE_JSON = tuple(json.dumps(person) for person in TUTORIAL_PEOPLE)


def people_json(count: int) -> Iterator[str]:
    """The tutorial's three people, then generated ones with the next ids, as JSON."""
    for index in range(count):
        if index < len(_TUTORIAL_PEOPLE_JSON):
            yield _TUTORIAL_PEOPLE_JSON[index]
        else:
            yield f'{{"id": {index + 1}, "name": "Person {index + 1}"}}'


def json_array(params: StreamParams, clock: Clock | None) -> Body:
    """The tutorial's streamed array: `[`, one item per message, `,` between, `]` last."""

    def messages() -> Iterator[str]:
        last = params.count - 1
        with_members = _member_adder(params, clock)
        for index, person in enumerate(people_json(params.count)):
            head = "[\n" if index == 0 else ""
            separator = "" if index == last else ",\n"
            yield f"{head}{with_members(person)}\n{separator}"

    return Body(messages(), tail="]")


def ndjson_lines(params: StreamParams, clock: Clock | None) -> Body:
    """The same people as /json, one JSON object per line."""
    with_members = _member_adder(params, clock)
    return Body(f"{with_members(person)}\n" for person in people_json(params.count))


@dataclass(frozen=True, slots=True)
class _RawJSON:
    """A value already written as JSON: the padding, rendered once per stream."""

    text: str


def _users(count: int, size: int) -> Iterator[dict[str, Any]]:
    pad = _RawJSON(json.dumps(PAD_CHAR * size))
    for index in range(count):
        user = (
            dict(TUTORIAL_USERS[index])
            if index < len(TUTORIAL_USERS)
            else {"id": index + 1, "name": f"User {index + 1}", "roles": ["user"]}
        )
        if size:
            user["pad"] = pad
        yield user


def nested_document(count: int, size: int) -> dict[str, Any]:
    """The tutorial's nested document, with `count` users (generated past the first two).

    The users are a lazy iterator, so memory stays at one user however large the document.
    """
    return {"users": _users(count, size), "settings": dict(TUTORIAL_SETTINGS)}


def _json_tokens(node: Any) -> Iterator[tuple[str, bool]]:
    """(text, completes_a_value) in the tutorial's write order, compact, no spaces."""
    if isinstance(node, dict):
        yield "{", False
        for index, (key, value) in enumerate(node.items()):
            if index:
                yield ",", False
            yield f"{json.dumps(key)}:", False
            yield from _json_tokens(value)
        yield "}", True
    elif isinstance(node, list | Iterator):
        yield "[", False
        for index, value in enumerate(node):
            if index:
                yield ",", False
            yield from _json_tokens(value)
        yield "]", True
    elif isinstance(node, _RawJSON):
        yield node.text, True
    else:
        yield json.dumps(node), True


def nested_json(params: StreamParams, clock: Clock | None) -> Body:
    """The nested document node by node: one message per completed value.

    The tutorial pauses after every value; everything written up to that pause is one
    message. Tokens have nowhere to carry a stamp, so `clock` is not used.
    """

    def messages() -> Iterator[str]:
        pending: list[str] = []
        for text, completes in _json_tokens(nested_document(params.count, params.size)):
            pending.append(text)
            if completes:
                yield "".join(pending)
                pending.clear()

    return Body(messages())


def _items_document(params: StreamParams) -> Iterator[bytes]:
    """The tutorial's `{"items": [{"id": 1}, ...]}`, produced piece by piece."""
    yield b'{"items": ['
    with_pad = _member_adder(params, None)
    for index in range(params.count):
        item = with_pad(f'{{"id": {index + 1}}}')
        yield f"{', ' if index else ''}{item}".encode()
    yield b"]}"


class _PieceReader:
    """A file-like view of a lazy document, so ijson pulls it in as it parses."""

    def __init__(self, pieces: Iterator[bytes]) -> None:
        self._pieces = pieces

    def read(self, size: int = -1) -> bytes:
        # ijson calls read(0) to learn whether the file gives bytes or text.
        if size == 0:
            return b""
        return next(self._pieces, b"")


def ijson_events(params: StreamParams, clock: Clock | None) -> Body:
    """One `prefix event value` line per ijson parse event; memory stays flat in `count`."""
    events = ijson.parse(_PieceReader(_items_document(params)))
    # The padding lives in the document; the event lines carry it as values, not again.
    stamped = _text_suffixer(StreamParams(count=params.count, interval=params.interval), clock)
    return Body(f"{stamped(f'{prefix} {event} {value}')}\n" for prefix, event, value in events)
