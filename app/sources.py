"""What is sent: pure, lazy producers of messages. Nothing here touches a socket.

A source turns validated parameters into a `Body`: an iterator of messages, produced
one at a time when the transport asks for the next (so a stamp taken while producing a
message is its send time), and a tail written after the last pause that is not a
message of its own (the closing `]` of a JSON array).
"""

from __future__ import annotations

import itertools
import json
import re
import time
from collections.abc import Callable, Iterator, Mapping
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


def text_stamp(clock: Clock) -> str:
    """The ` @<epoch ms>` a text message ends with when it is stamped (what split_stamp
    reads back)."""
    return f" @{clock():.3f}"


#: What text_stamp writes, at the end of a message's text.
_STAMP = re.compile(r" @(\d+\.\d{3})$")


def split_stamp(text: str) -> tuple[str, float | None]:
    """A message's text and its send stamp: `("Chunk 0", 1764000000000.0)` for
    `"Chunk 0 @1764000000000.000"`; a message without a stamp gives None."""
    match = _STAMP.search(text)
    if match is None:
        return text, None
    return text[: match.start()], float(match.group(1))


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
        # A map over the indices, not a generator: a stream holds its source for its whole
        # life, and the generator and its helper closure were ~370 bytes more of it.
        pad = f" {PAD_CHAR * params.size}" if params.size else ""
        if clock is None:
            tail = f"{pad}{end}"
            return Body(map(lambda i: f"{label} {i}{tail}", range(params.count)))
        return Body(map(lambda i: f"{label} {i}{pad}{text_stamp(clock)}{end}", range(params.count)))

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


def _members(obj: Mapping[str, Any], opening: str) -> list[str]:
    """A flat object's members, compact, cut where the tutorial pauses (after each completed
    value; a list pauses after each item and at its `]`), the closing `}` left out.

    Only for objects whose values are scalars or lists of scalars, as this module's are.
    """
    messages = []
    for index, (key, value) in enumerate(obj.items()):
        start = f"{',' if index else opening}{json.dumps(key)}:"
        if isinstance(value, list) and value:
            first, *rest = (json.dumps(item) for item in value)
            messages += [f"{start}[{first}", *(f",{item}" for item in rest), "]"]
        else:
            messages.append(f"{start}{json.dumps(value)}")
    return messages


# Everything but a generated user's id is the same in every stream: written once, here.
_TUTORIAL_USER_MESSAGES = tuple(
    tuple(_members(user, '{"users":[{' if index == 0 else ",{")) for index, user in enumerate(TUTORIAL_USERS)
)
_GENERATED_ROLES = tuple(_members({"roles": ["user"]}, ","))
_SETTINGS_MESSAGES = (*_members(TUTORIAL_SETTINGS, ',"settings":{'), "}", "}")


def _nested_messages(count: int, size: int) -> Iterator[str]:
    """The nested document, `count` users then the settings, cut after each completed value.

    A recursive walk of the document cost a generator frame per level and a join per
    message; this writes the document's own shape (users of id, name, roles and pad) and
    tests pin it against a generic walk. One user at a time, so memory stays flat.
    """
    user_end = (f',"pad":"{PAD_CHAR * size}"', "}") if size else ("}",)
    for messages in _TUTORIAL_USER_MESSAGES[:count]:
        yield from messages
        yield from user_end
    for user_id in range(len(TUTORIAL_USERS) + 1, count + 1):
        yield f',{{"id":{user_id}'
        yield f',"name":"User {user_id}"'
        yield from _GENERATED_ROLES
        yield from user_end
    yield "]" if count else '{"users":[]'
    yield from _SETTINGS_MESSAGES


def nested_json(params: StreamParams, clock: Clock | None) -> Body:
    """The nested document node by node: one message per completed value.

    The tutorial pauses after every value; everything written up to that pause is one
    message. Tokens have nowhere to carry a stamp, so `clock` is not used.
    """
    return Body(_nested_messages(params.count, params.size))


def _items_document(params: StreamParams) -> Iterator[bytes]:
    """The tutorial's `{"items": [{"id": 1}, ...]}`, produced piece by piece.

    An item's padding and closing brace are one piece, rendered once and shared by every
    item: a 1 MiB item costs no copy to produce, only ijson's parse.
    """
    yield b'{"items": ['
    item_end = f', "pad": "{PAD_CHAR * params.size}"}}'.encode() if params.size else b"}"
    for index in range(params.count):
        yield f'{", " if index else ""}{{"id": {index + 1}'.encode()
        yield item_end
    yield b"]}"


class _PieceReader:
    """A file-like view of a lazy document, so ijson pulls it in as it parses.

    Each read() is a call into Python and a round of yajl, which cost more than parsing
    a small piece: small pieces are gathered up to the size ijson asks for, as a file
    gives them. A piece is never split or copied into a larger read: one that would
    overflow a read waits for the next, so ijson sees a large padding in one piece.
    """

    def __init__(self, pieces: Iterator[bytes]) -> None:
        self._pieces = pieces
        self._held = b""

    def read(self, size: int) -> bytes:
        # ijson calls read(0) to learn whether the file gives bytes or text.
        if size == 0:
            return b""
        pieces = itertools.chain((self._held,), self._pieces) if self._held else self._pieces
        self._held = b""
        gathered: list[bytes] = []
        total = 0
        for piece in pieces:
            if gathered and total + len(piece) > size:
                self._held = piece
                break
            gathered.append(piece)
            total += len(piece)
        # A single piece comes back as itself, not a copy.
        return b"".join(gathered)


def ijson_events(params: StreamParams, clock: Clock | None) -> Body:
    """One `prefix event value` line per ijson parse event; memory stays flat in `count`.

    The padding lives in the document; the event lines carry it as values, not again.
    Each line is one f-string: a 1 MiB string event is copied once, not once per suffix.
    """
    events = ijson.parse(_PieceReader(_items_document(params)))
    if clock is None:
        return Body(f"{prefix} {event} {value}\n" for prefix, event, value in events)
    return Body(f"{prefix} {event} {value}{text_stamp(clock)}\n" for prefix, event, value in events)
