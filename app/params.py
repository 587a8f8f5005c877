"""Query parameters of the stream endpoints: one place that parses, bounds and explains them."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from .culprits import VIA_NAMES

#: A raw value longer than this is refused before it is parsed.
MAX_VALUE_LENGTH = 32


@dataclass(frozen=True, slots=True)
class Bound:
    """The documented range of one numeric parameter."""

    name: str
    minimum: float
    maximum: float
    integer: bool
    doc: str

    def between(self) -> str:
        """`between 1 and 1000000`: the one wording of a range, for the 400s and the client's help."""
        return f"between {plain(self.minimum)} and {plain(self.maximum)}"


def plain(value: float) -> str:
    """A number as a person writes it: `1000000` and `1048576`, never `1e+06` or `1.04858e+06`
    (what `:g` prints); decimals, at most three, only when the value has them."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.3f}".rstrip("0").rstrip(".")


BOUNDS: dict[str, Bound] = {
    bound.name: bound
    for bound in (
        Bound("count", 1, 1_000_000, True, "messages to send"),
        Bound("interval", 0, 60, False, "seconds after each message (0 = as fast as possible)"),
        Bound("size", 0, 1_048_576, True, "padding bytes added to each message"),
        Bound("stamp", 0, 1, True, "1 = each message carries its server send time (Unix epoch ms)"),
        Bound("drop", 1, 1_000_000, True, "cut the connection after this many messages of it (a fault to watch)"),
        Bound("idle", 0.1, 3600, False, "cut the connection after this many seconds with nothing sent (idle timeout)"),
        Bound("heartbeat", 0.05, 3600, False, "heartbeat after this many seconds without a message (SSE, WebSocket)"),
    )
}
#: Parameters that take one of a few names.
CHOICES: dict[str, tuple[str, ...]] = {"via": VIA_NAMES}

# Plain decimal notation only: int() and float() would also take "1_000", " 5", "nan".
_INTEGER = re.compile(r"-?[0-9]+")
_NUMBER = re.compile(r"-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")

#: A stream may not be scheduled to last longer than this (count x interval).
MAX_DURATION_SECONDS = 3600


class ParamError(ValueError):
    """A query parameter is missing its mark; `param` names it for the 400 body."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(message)
        self.param = param
        self.message = message


@dataclass(frozen=True, slots=True)
class StreamParams:
    """Validated parameters of one stream."""

    count: int
    interval: float
    size: int = 0
    stamp: bool = False
    #: What stands between the server and the reader (a culprit's name), or None.
    via: str | None = None
    #: Cut each connection after this many of its messages, or None.
    drop: int | None = None
    #: Cut the connection after this many seconds in which nothing was sent, or None.
    idle: float | None = None
    #: Send a heartbeat after this many seconds without a message, or None (the default's).
    heartbeat: float | None = None


def _parse_number(bound: Bound, raw: str) -> float:
    if len(raw) > MAX_VALUE_LENGTH:
        raise ParamError(bound.name, f"{bound.name} is longer than {MAX_VALUE_LENGTH} characters")
    pattern, kind = (_INTEGER, "an integer") if bound.integer else (_NUMBER, "a number")
    if not pattern.fullmatch(raw):
        raise ParamError(bound.name, f"{bound.name} must be {kind}, not {raw!r}")
    value = int(raw) if bound.integer else float(raw)
    if not math.isfinite(value) or not bound.minimum <= value <= bound.maximum:
        raise ParamError(
            bound.name,
            f"{bound.name} must be {bound.between()}, not {raw!r}",
        )
    return value


def _parse_choice(name: str, raw: str | None) -> str | None:
    if raw is None:
        return None
    if raw not in CHOICES[name]:
        shown = raw[:MAX_VALUE_LENGTH]
        raise ParamError(name, f"{name} must be one of {', '.join(CHOICES[name])}, not {shown!r}")
    return raw


def one_per_count(params: StreamParams) -> int:
    return params.count


def parse_params(
    query: Mapping[str, str],
    defaults: StreamParams,
    getall: Mapping[str, int] | None = None,
    messages: Callable[[StreamParams], int] = one_per_count,
) -> StreamParams:
    """Validate a query against the bounds, filling in an endpoint's defaults.

    `getall` maps each key to how often it occurs, so a repeated parameter is refused
    rather than silently taking one of its values. `messages` is how many messages the
    endpoint sends for the parameters (nested JSON sends several per count): the time cap
    is on messages x interval, the time the stream really takes.
    """
    for key in query:
        if key not in BOUNDS and key not in CHOICES:
            shown = key[:MAX_VALUE_LENGTH]
            known = ", ".join([*BOUNDS, *CHOICES])
            raise ParamError(shown, f"unknown parameter {shown!r}; known: {known}")
        if getall is not None and getall.get(key, 1) > 1:
            raise ParamError(key, f"{key} is given more than once")
    values = {name: _parse_number(BOUNDS[name], raw) for name, raw in query.items() if name in BOUNDS}
    params = replace(
        defaults,
        count=int(values.get("count", defaults.count)),
        interval=float(values.get("interval", defaults.interval)),
        size=int(values.get("size", defaults.size)),
        stamp=bool(values.get("stamp", defaults.stamp)),
        via=_parse_choice("via", query.get("via")),
        drop=int(values["drop"]) if "drop" in values else None,
        idle=values.get("idle"),
        heartbeat=values.get("heartbeat"),
    )
    sent = messages(params)
    seconds = sent * params.interval
    if seconds > MAX_DURATION_SECONDS:
        what = "count" if sent == params.count else f"{sent:,} messages"
        raise ParamError(
            "interval", f"{what} x interval is {plain(seconds)} s, over the {MAX_DURATION_SECONDS} s a stream may last"
        )
    return params


def bounds_document() -> list[dict[str, object]]:
    """The bounds as JSON-ready data, for /api/endpoints and the docs."""
    numbers: list[dict[str, object]] = [
        {"name": b.name, "min": b.minimum, "max": b.maximum, "type": "integer" if b.integer else "number", "doc": b.doc}
        for b in BOUNDS.values()
    ]
    choices: list[dict[str, object]] = [
        {"name": name, "type": "choice", "values": list(values), "doc": "what stands between server and reader"}
        for name, values in CHOICES.items()
    ]
    return numbers + choices
