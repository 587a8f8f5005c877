"""A diagnosis: an exchange, its verdict and findings, told on a terminal or as one JSON object."""

from __future__ import annotations

import shutil
import textwrap
from dataclasses import dataclass
from urllib.parse import urlencode

from ..compare.model import counted
from .causes import Finding, causes, warnings
from .exchange import STREAMING_HEADERS, Exchange
from .verdict import Judgement, judge

SPARK = " ▁▂▃▄▅▆▇█"
SPARK_WIDTH = 48
SHOWN_ARRIVALS = 12
#: Where the page's "your stream" lane runs the same diagnosis in a browser.
DASHBOARD = "http://127.0.0.1:8080/"


@dataclass(frozen=True)
class Diagnosis:
    exchange: Exchange
    judgement: Judgement
    causes: list[Finding]
    warnings: list[Finding]

    @classmethod
    def of(cls, exchange: Exchange) -> Diagnosis:
        judgement = judge(exchange.arrivals, exchange.end_ms, exchange.messages_known)
        return cls(exchange, judgement, causes(exchange, judgement), warnings(exchange))

    def as_json(self) -> dict[str, object]:
        e, j = self.exchange, self.judgement
        return {
            "url": e.url,
            "method": e.method,
            "redirects": e.redirects,
            "withheld_headers": e.withheld,
            "http_version": e.http_version,
            "status": e.status,
            "headers": e.headers,
            "connect_ms": e.connect_ms,
            "headers_ms": e.headers_ms,
            "first_content_ms": e.first_content_ms,
            "end_ms": e.end_ms,
            "ending": e.ending.value,
            "reading": e.reading,
            "messages": e.messages,
            "wire_bytes": e.wire_bytes,
            "decoded_bytes": e.decoded_bytes,
            "chunks": e.chunks,
            "framing_bytes": e.framing_bytes,
            "close_code": e.close_code,
            "body_error": e.body_error or None,
            "largest_gap_ms": j.largest_gap_ms,
            "end_share": j.end_share,
            "timeline": e.timeline(),
            "reads": e.reads,
            "resolution_ms": e.resolution_ms,
            "verdict": j.verdict.value,
            "reason": j.reason,
            "causes": [finding.as_json() for finding in self.causes],
            "warnings": [finding.as_json() for finding in self.warnings],
            "browser": browser_link(e.url, j.verdict.value) if e.url.startswith("http") else None,
        }


def browser_link(url: str, verdict: str) -> str:
    """The dashboard with this URL in its "your stream" lane, and the terminal's verdict to compare."""
    return DASHBOARD + "?" + urlencode({"stream": url, "terminal": verdict})


def sparkline(exchange: Exchange, width: int = SPARK_WIDTH) -> str:
    """Decoded bytes over the exchange's life, one character per slice of time."""
    span = max(exchange.end_ms, 1.0)
    buckets = [0] * width
    for arrival in exchange.arrivals:
        buckets[min(int(arrival.t_ms / span * width), width - 1)] += arrival.decoded_bytes
    top = max(buckets) or 1
    return "".join("·" if not size else SPARK[max(1, round(size / top * (len(SPARK) - 1)))] for size in buckets)


def ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f} ms"


def text_lines(diagnosis: Diagnosis) -> list[str]:
    e = diagnosis.exchange
    lines = [f"{e.method} {e.url}", *(f"  (redirected from {url})" for url in e.redirects)]
    if e.withheld:
        lines.append(f"  (not sent after the redirect: {', '.join(e.withheld)})")
    lines.append(f"  {e.http_version} {e.status} {e.reason}".rstrip())
    lines += ["", "headers that matter for streaming:"]
    lines += [f"  {name.title()}: {e.header(name) or '-'}" for name in STREAMING_HEADERS]
    lines += ["", *timing_lines(diagnosis), "", *finding_lines(diagnosis)]
    if e.url.startswith("http"):
        lines += ["", "the same check in a browser (MIME sniffing, extensions, service workers): run `transport-lab`,"]
        lines.append(f"  then open {browser_link(e.url, diagnosis.judgement.verdict.value)}")
    return lines


def timing_lines(diagnosis: Diagnosis) -> list[str]:
    e, j = diagnosis.exchange, diagnosis.judgement
    messages = f", {units(e.messages, e.reading)}" if e.messages_known else ""
    lines = [
        f"timeline (decoded bytes over {e.end_ms / 1000:.2f} s, request sent at 0):",
        f"  |{sparkline(e)}|",
        f"  connect {ms(e.connect_ms)} · headers {ms(e.headers_ms)} · first content {ms(e.first_content_ms)} · "
        f"end {ms(e.end_ms)} ({e.ending.value})",
        f"  {arrivals(e)}{messages} · largest gap {ms(j.largest_gap_ms)} · "
        f"{e.wire_bytes:,} bytes on the wire, {e.decoded_bytes:,} decoded",
    ]
    if e.chunks:
        framing = counted(e.framing_bytes, "byte")
        lines.append(f"  chunked: {counted(e.chunks, 'chunk')}, {framing} of framing (size lines and CRLFs)")
    if e.close_code is not None:
        lines.append(f"  closed by the server with code {e.close_code}")
    if e.body_error:
        lines.append(f"  stopped reading: {e.body_error}")
    lines += [
        f"  {a.t_ms:10,.1f} ms  {a.wire_bytes:>8,} B wire  {a.decoded_bytes:>8,} B decoded"
        + (f"  {units(a.messages, e.reading)}" if e.messages_known else "")
        for a in e.arrivals[:SHOWN_ARRIVALS]
    ]
    if len(e.arrivals) > SHOWN_ARRIVALS:
        more = counted(len(e.arrivals) - SHOWN_ARRIVALS, "more arrival")
        lines.append(f"  ... {more} (--json lists them all)")
    return lines


def arrivals(exchange: Exchange) -> str:
    """`3 arrivals`, or `3 arrivals (7 reads, merged per 1 ms)` when reads shared a window."""
    said = counted(len(exchange.arrivals), "arrival")
    if exchange.reads <= len(exchange.arrivals):
        return said
    return f"{said} ({counted(exchange.reads, 'read')}, merged per {exchange.resolution_ms:g} ms)"


def units(number: int, reading: str) -> str:
    """`1 line`, `2 lines`: `reading` names what was counted, in the plural."""
    return counted(number, reading.removesuffix("s"))


def wrapped(text: str, indent: str, first: str = "") -> list[str]:
    """`text` wrapped to the terminal (80 to 120 columns), its later lines under its first's text."""
    width = min(max(shutil.get_terminal_size().columns, 80), 120)
    return textwrap.wrap(text, width, initial_indent=indent + first, subsequent_indent=indent + " " * len(first))


def finding_lines(diagnosis: Diagnosis) -> list[str]:
    j = diagnosis.judgement
    lines = wrapped(j.reason, "", f"verdict: {j.verdict.value.upper()}: ")
    for title, findings in (("likely causes", diagnosis.causes), ("warnings", diagnosis.warnings)):
        if findings:
            lines += ["", f"{title}:"]
            for finding in findings:
                lines += wrapped(finding.evidence, "  ", f"[{finding.id}] ") + wrapped(finding.fix, "      ", "fix: ")
    return lines
