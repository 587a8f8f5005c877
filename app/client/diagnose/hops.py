"""Several places of one stream read at the same instant (origin, proxy, CDN, gateway), and
the first hop where the stream changes shape. Pure: diagnoses in, a comparison out.

What users do by hand, fetching the app directly and through the proxy, done at once: the
hop whose verdict first differs from the one before it is where the stream was held, and
that hop's first cause says what likely held it.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from .causes import Finding
from .connection import Failure
from .report import Diagnosis, ms


@dataclass(frozen=True)
class Hop:
    name: str
    url: str
    diagnosis: Diagnosis | None = None
    failure: Failure | None = None

    @property
    def verdict(self) -> str:
        return "failed" if self.diagnosis is None else self.diagnosis.judgement.verdict.value

    def shape(self) -> str:
        """`progressive, 490 arrivals`, or why there is no shape."""
        if self.diagnosis is None:
            return f"failed ({self.failure})"
        arrivals = len(self.diagnosis.exchange.arrivals)
        return f"{self.verdict}, {arrivals} arrival{'s' if arrivals != 1 else ''}"

    def figures(self) -> str:
        """First message and gaps, as the token metrics give them."""
        metrics = self.diagnosis.metrics if self.diagnosis else None
        if metrics is None:
            return ""
        gaps = f" · gaps p50 {ms(metrics.gaps.p50)}, p90 {ms(metrics.gaps.p90)}" if metrics.gaps else ""
        return f"first message {ms(metrics.first_ms)}{gaps}"

    def as_json(self) -> dict[str, object]:
        result = self.diagnosis.as_json() if self.diagnosis else {"url": self.url, "error": str(self.failure)}
        return {"name": self.name, **result}


@dataclass(frozen=True)
class Comparison:
    """Where the stream first changes shape along the hops, in the order they were given."""

    hops: tuple[Hop, ...]
    #: The hop before the change and the hop where it shows, or None: the same at every hop.
    before: Hop | None
    changed: Hop | None

    @property
    def likely(self) -> Finding | None:
        if self.changed is None or self.changed.diagnosis is None or not self.changed.diagnosis.causes:
            return None
        return self.changed.diagnosis.causes[0]

    def line(self) -> str:
        if self.before is None or self.changed is None:
            verdicts = sorted({hop.verdict for hop in self.hops})
            return f"every hop {', '.join(verdicts)}: no hop changes the stream's shape"
        said = (
            f"{self.before.name}: {self.before.shape()}; {self.changed.name}: {self.changed.shape()}: "
            f"the stream changes shape between {self.before.name} and {self.changed.name}"
        )
        likely = self.likely
        return said + (f" — likely {likely.id}; fix: {likely.fix}" if likely else "")

    def as_json(self) -> dict[str, object]:
        likely = self.likely
        return {
            "changed_at": self.changed.name if self.changed else None,
            "after": self.before.name if self.before else None,
            "verdicts": {hop.name: hop.verdict for hop in self.hops},
            "likely": likely.as_json() if likely else None,
            "summary": self.line(),
        }


def compare(hops: list[Hop]) -> Comparison:
    """The first hop whose verdict differs from the hop before it."""
    for before, hop in pairwise(hops):
        if hop.verdict != before.verdict:
            return Comparison(tuple(hops), before, hop)
    return Comparison(tuple(hops), None, None)


def hop_lines(comparison: Comparison) -> list[str]:
    """The hops side by side on the shared time axis (each request sent at the same instant)."""
    width = max(len(hop.name) for hop in comparison.hops)
    lines = ["hops (each request sent at the same instant; times from its sending):"]
    for hop in comparison.hops:
        figures = hop.figures()
        lines.append(f"  {hop.name:<{width}}  {hop.shape()}" + (f" · {figures}" if figures else ""))
    return [*lines, "", comparison.line()]
