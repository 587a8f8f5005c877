"""Which streams a `compare` run opens: the chosen endpoints, each culprit (`--via`) beside
the healthy endpoint it stands in front of, and the faults (`--drop`, `--idle`,
`--heartbeat`) where they apply.

Pure: the registry says which endpoints a culprit or a fault applies to; nothing here
touches the network.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from ...culprits import FAULTS_BY_NAME, VIA_TRANSPORTS
from ...endpoints import ENDPOINTS, Endpoint

__all__ = [
    "Applies",
    "PlanError",
    "StreamPlan",
    "fault_applies",
    "plan_streams",
    "via_applies",
]

Applies = Callable[[Endpoint], bool]


class PlanError(ValueError):
    """The options ask for a culprit or a fault where it cannot apply."""


@dataclass(frozen=True)
class StreamPlan:
    """One stream of a run: an endpoint, what it passes through, the faults it suffers."""

    endpoint: Endpoint
    via: str | None = None
    #: (fault, value) pairs, each value as typed: the server checks its bounds and says why it refuses.
    faults: tuple[tuple[str, str], ...] = ()

    @property
    def label(self) -> str:
        """`chunked`, or `chunked via gzip` beside it."""
        return self.endpoint.name + (f" via {self.via}" if self.via else "")

    def fault(self, name: str) -> str | None:
        """The value of fault `name` for this stream, or None when it does not suffer it."""
        return dict(self.faults).get(name)

    @property
    def drop(self) -> str | None:
        return self.fault("drop")

    def query(self, common: dict[str, str]) -> dict[str, str]:
        via = {"via": self.via} if self.via is not None else {}
        return common | via | dict(self.faults)


def _names(endpoints: Sequence[Endpoint]) -> str:
    return ", ".join(endpoint.name for endpoint in endpoints)


def _applicable(
    endpoints: Sequence[Endpoint], applies: Applies, option: str, chosen: bool, why_not: str = ""
) -> list[Endpoint]:
    """With the default endpoints, those `option` applies to; chosen ones are kept as they
    are, but at least one of them must take the option."""
    taking = [endpoint for endpoint in endpoints if applies(endpoint)]
    if not taking:
        where = _names([endpoint for endpoint in ENDPOINTS if applies(endpoint)])
        why = f": {why_not}" if why_not else ""
        raise PlanError(f"{option} applies to {where}; not to {_names(endpoints)}{why}")
    return list(endpoints) if chosen else taking


def via_applies(endpoint: Endpoint) -> bool:
    """Whether the registry puts culprits in front of this endpoint's transport."""
    return endpoint.transport in VIA_TRANSPORTS


def fault_applies(name: str) -> Applies:
    """Whether the registry lets fault `name` be asked of an endpoint's transport."""
    transports = FAULTS_BY_NAME[name].transports

    def applies(endpoint: Endpoint) -> bool:
        return endpoint.transport in transports

    return applies


def plan_streams(
    endpoints: Sequence[Endpoint],
    chosen: bool,
    vias: Sequence[str],
    faults: Mapping[str, str | None] | None = None,
    takes_via: Applies = via_applies,
) -> list[StreamPlan]:
    """The streams to open, in display order: each endpoint, then each culprit beside it.

    `faults` maps a fault's name to its value as typed (None: not asked for). `chosen`
    says the user named the endpoints (`--endpoints`); otherwise the default (all) narrows
    to those every given option applies to. A fault goes only to the streams it applies to.
    """
    asked = {name: value for name, value in (faults or {}).items() if value is not None}
    if vias:
        endpoints = _applicable(endpoints, takes_via, "--via", chosen)
    for name in asked:
        fault = FAULTS_BY_NAME[name]
        endpoints = _applicable(endpoints, fault_applies(name), f"--{name}", chosen, fault.why_not)
    plans: list[StreamPlan] = []
    for endpoint in endpoints:
        suffered = tuple((name, value) for name, value in asked.items() if fault_applies(name)(endpoint))
        plans.append(StreamPlan(endpoint, None, suffered))
        if takes_via(endpoint):
            plans.extend(StreamPlan(endpoint, via, suffered) for via in dict.fromkeys(vias))
    return plans
