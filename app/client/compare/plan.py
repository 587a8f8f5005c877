"""Which streams a `compare` run opens: the chosen endpoints, each culprit (`--via`) beside
the healthy endpoint it stands in front of, and the `--drop` fault where it applies.

Pure: the registry says which endpoints a culprit or a fault applies to; nothing here
touches the network.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ...culprits import DROP_TRANSPORTS, VIA_TRANSPORTS
from ...endpoints import ENDPOINTS, Endpoint

__all__ = ["Applies", "PlanError", "StreamPlan", "drop_applies", "plan_streams", "via_applies"]

Applies = Callable[[Endpoint], bool]


class PlanError(ValueError):
    """The options ask for a culprit or a fault where it cannot apply."""


@dataclass(frozen=True)
class StreamPlan:
    """One stream of a run: an endpoint, what it passes through, the fault it suffers."""

    endpoint: Endpoint
    via: str | None = None
    drop: str | None = None  # as typed: the server checks its bounds and says why it refuses

    @property
    def label(self) -> str:
        """`chunked`, or `chunked via gzip` beside it."""
        return self.endpoint.name + (f" via {self.via}" if self.via else "")

    def query(self, common: dict[str, str]) -> dict[str, str]:
        extra = {"via": self.via, "drop": self.drop}
        return common | {key: value for key, value in extra.items() if value is not None}


def _names(endpoints: Sequence[Endpoint]) -> str:
    return ", ".join(endpoint.name for endpoint in endpoints)


def _applicable(endpoints: Sequence[Endpoint], applies: Applies, option: str, chosen: bool) -> list[Endpoint]:
    """With the default endpoints, those `option` applies to; chosen ones are kept as they
    are, but at least one of them must take the option."""
    taking = [endpoint for endpoint in endpoints if applies(endpoint)]
    if not taking:
        where = _names([endpoint for endpoint in ENDPOINTS if applies(endpoint)])
        raise PlanError(f"{option} applies to {where}; not to {_names(endpoints)}")
    return list(endpoints) if chosen else taking


def via_applies(endpoint: Endpoint) -> bool:
    """Whether the registry puts culprits in front of this endpoint's transport."""
    return endpoint.transport in VIA_TRANSPORTS


def drop_applies(endpoint: Endpoint) -> bool:
    return endpoint.transport in DROP_TRANSPORTS


def plan_streams(
    endpoints: Sequence[Endpoint],
    chosen: bool,
    vias: Sequence[str],
    drop: str | None,
    takes_via: Applies = via_applies,
    takes_drop: Applies = drop_applies,
) -> list[StreamPlan]:
    """The streams to open, in display order: each endpoint, then each culprit beside it.

    `chosen` says the user named the endpoints (`--endpoints`); otherwise the default
    (all) narrows to those every given option applies to.
    """
    if vias:
        endpoints = _applicable(endpoints, takes_via, "--via", chosen)
    if drop is not None:
        endpoints = _applicable(endpoints, takes_drop, "--drop", chosen)
    plans: list[StreamPlan] = []
    for endpoint in endpoints:
        dropped = drop if drop is not None and takes_drop(endpoint) else None
        plans.append(StreamPlan(endpoint, None, dropped))
        if takes_via(endpoint):
            plans.extend(StreamPlan(endpoint, via, dropped) for via in dict.fromkeys(vias))
    return plans
