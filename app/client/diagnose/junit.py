"""`diagnose --junit FILE`: the result as a JUnit XML report, one test case per URL (or hop),
for CI systems that read it. A hop that did not pass (another verdict than --expect, an
error status, a cut, a failure to connect) is a failure whose text carries the verdict,
the causes with their evidence and fixes."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from ..terminal import printable
from .report import Diagnosis


def _text(text: str) -> str:
    """Network text made fit for XML 1.0, which has no place for control characters: each
    line's spelled out (`\\x1b`), the line breaks kept."""
    return "\n".join(printable(line) for line in text.split("\n"))


@dataclass(frozen=True)
class Case:
    name: str
    url: str
    status: int
    diagnosis: Diagnosis | None = None
    failure: str = ""

    @property
    def seconds(self) -> float:
        return 0.0 if self.diagnosis is None else self.diagnosis.exchange.end_ms / 1000

    def summary(self) -> str:
        if self.diagnosis is None:
            return f"failed: {self.failure}"
        return f"{self.diagnosis.judgement.verdict.value}: {self.diagnosis.judgement.reason}"

    def details(self) -> str:
        lines = [self.url, self.summary()]
        if self.diagnosis is not None:
            for finding in [*self.diagnosis.causes, *self.diagnosis.warnings]:
                lines += [f"[{finding.id}] {finding.evidence}", f"  fix: {finding.fix}"]
        return "\n".join(lines)


def report(cases: list[Case], expect: str | None) -> bytes:
    """The JUnit XML document: a <testsuite> of one <testcase> per case."""
    failed = [case for case in cases if case.status]
    suite = ET.Element(
        "testsuite",
        name="transport-lab diagnose",
        tests=str(len(cases)),
        failures=str(len(failed)),
        errors="0",
        time=f"{max((case.seconds for case in cases), default=0.0):.3f}",
    )
    for case in cases:
        name = _text(case.name)
        element = ET.SubElement(suite, "testcase", classname="diagnose", name=name, time=f"{case.seconds:.3f}")
        if case.status:
            wanted = f" (expected {expect})" if expect else ""
            failure = ET.SubElement(
                element, "failure", message=f"{case.summary()}{wanted}"[:500], type=f"exit {case.status}"
            )
            failure.text = _text(case.details())
        else:
            ET.SubElement(element, "system-out").text = _text(case.details())
    document: bytes = ET.tostring(suite, encoding="utf-8", xml_declaration=True)
    return document


def write(path: Path, cases: list[Case], expect: str | None) -> None:
    path.write_bytes(report(cases, expect))
