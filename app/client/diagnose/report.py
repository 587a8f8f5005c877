"""A diagnosis: an exchange, its verdict and findings, told on a terminal or as one JSON object."""

from __future__ import annotations

import contextlib
import shutil
import textwrap
from dataclasses import dataclass, replace
from http import HTTPStatus
from urllib.parse import urlencode

from ...wire.websocket import handshake_headers
from ..compare.model import counted
from .causes import Finding, causes, warnings
from .cuts import cut_cause
from .exchange import STREAMING_HEADERS, Exchange
from .metrics import FIELDS, Metrics, idle_warning, measure
from .verdict import JUDGED, Judgement, Verdict, judge

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
    #: The token-stream figures; None for an answer that is not a stream.
    metrics: Metrics | None = None

    @classmethod
    def of(cls, exchange: Exchange) -> Diagnosis:
        """The verdict of the timeline rules with its causes, warnings and figures; or, for an
        answer that is not a stream (a WebSocket URL not upgraded, an error status), that
        verdict alone: the timing of a 404's body proves nothing of the stream."""
        judgement = judge(exchange.arrivals, exchange.end_ms, exchange.messages_known)
        if exchange.not_upgraded:
            said = replace(judgement, verdict=Verdict.NOT_UPGRADED, reason=not_upgraded(exchange))
            return cls(exchange, said, [finding] if (finding := upgrade_dropped(exchange)) else [], [])
        if exchange.error_status:
            return cls(exchange, replace(judgement, verdict=Verdict.ERROR, reason=error_reason(exchange)), [], [])
        metrics = measure(exchange)
        cut = [finding] if (finding := cut_cause(exchange)) else []
        # A cut that an idle timeout explains is the cause, not a warning besides.
        idle = [] if cut else [finding] if (finding := idle_warning(exchange, metrics)) else []
        return cls(exchange, judgement, cut + causes(exchange, judgement), warnings(exchange) + idle, metrics)

    @property
    def judged(self) -> bool:
        """Judged by the timeline rules: the answer is a stream."""
        return self.judgement.verdict in JUDGED

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
            "body_preview": e.body_preview if not self.judged else None,
            "largest_gap_ms": j.largest_gap_ms,
            "end_share": j.end_share,
            **(self.metrics.as_json() if self.metrics else dict.fromkeys(FIELDS)),
            "timeline": e.timeline(),
            "reads": e.reads,
            "resolution_ms": e.resolution_ms,
            "verdict": j.verdict.value,
            "reason": j.reason,
            "causes": [finding.as_json() for finding in self.causes],
            "warnings": [finding.as_json() for finding in self.warnings],
            "browser": browser_link(e.url, j.verdict.value) if self.in_browser else None,
        }

    @property
    def in_browser(self) -> bool:
        """The page's "your stream" lane can read it (an http(s):// URL), and compare what it
        gets with this verdict: an error status too, which a browser's request may not get."""
        return self.exchange.url.startswith("http")


def status_line(exchange: Exchange) -> str:
    """`404 Not Found`: the status and its reason phrase (the standard one when none was sent)."""
    reason = exchange.reason
    if not reason:
        with contextlib.suppress(ValueError):
            reason = HTTPStatus(exchange.status).phrase
    return f"{exchange.status} {reason}".rstrip()


def error_reason(exchange: Exchange) -> str:
    return f"the server answered {status_line(exchange)}: an error, not a stream"


#: The answer's headers that say what a server not upgrading wants instead.
UPGRADE_HEADERS = ("Upgrade", "Sec-WebSocket-Version")
#: The version this client asks for (RFC 6455's 13).
WEBSOCKET_VERSION = dict(handshake_headers(""))["Sec-WebSocket-Version"]


def not_upgraded(exchange: Exchange) -> str:
    told = [f"{name}: {value}" for name in UPGRADE_HEADERS if (value := exchange.header(name.lower()))]
    headers = f" ({', '.join(told)})" if told else ""
    return (
        f"the server answered HTTP {status_line(exchange)} instead of switching protocols (101): "
        f"not a WebSocket{headers}"
    )


def upgrade_dropped(exchange: Exchange) -> Finding | None:
    """The server wants the WebSocket handshake this request made, so it did not get it. Rests
    on a 426 naming websocket in its Upgrade header, without a Sec-WebSocket-Version that
    leaves out this client's 13 (a version refused is another story): the request carried
    Upgrade: websocket and Connection: Upgrade, so a hop on the way dropped them."""
    versions = {version.strip() for version in exchange.header("sec-websocket-version").split(",")} - {""}
    refused = bool(versions) and WEBSOCKET_VERSION not in versions
    if exchange.status != 426 or "websocket" not in exchange.header("upgrade").lower() or refused:
        return None
    return Finding(
        "upgrade-dropped",
        f"the server answered {status_line(exchange)} with Upgrade: {exchange.header('upgrade')}: it asks for the "
        "WebSocket handshake, though this request carried Upgrade: websocket and Connection: Upgrade, so a hop on "
        "the way did not pass them on (nginx drops both unless told, and speaks HTTP/1.0 to the app)",
        "pass the handshake on: nginx proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; "
        'proxy_set_header Connection "upgrade"; another proxy or CDN: its WebSocket setting',
    )


def browser_link(url: str, verdict: str) -> str:
    """The dashboard with this URL in its "your stream" lane, and the terminal's verdict to compare."""
    return DASHBOARD + "?" + urlencode({"stream": url, "terminal": verdict})


def browser_hops_link(targets: list[tuple[str | None, str]]) -> str | None:
    """The dashboard with every hop in "your stream", named as given (a lane each, and the
    same comparison), or None when one is not an http(s):// URL: the page reads only those."""
    if not all(url.startswith("http") for _, url in targets):
        return None
    return DASHBOARD + "?" + urlencode([("stream", f"{name}={url}" if name else url) for name, url in targets])


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
    if not diagnosis.judged:
        lines.append(f"  body: {e.body_preview or '(empty)'}")
    lines += ["", "headers that matter for streaming:"]
    lines += [f"  {name.title()}: {e.header(name) or '-'}" for name in STREAMING_HEADERS]
    lines += ["", *timing_lines(diagnosis), "", *finding_lines(diagnosis)]
    if diagnosis.in_browser:
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
        *metrics_lines(diagnosis),
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


def metrics_lines(diagnosis: Diagnosis) -> list[str]:
    """The token-stream figures: the first message, the gaps between messages, the rate, and
    the longest silences (without a message; without a byte, as an idle timeout counts)."""
    e, m = diagnosis.exchange, diagnosis.metrics
    if m is None:
        return []
    kind = e.reading if e.messages_known else "reads of content (no messages to count)"
    told = [f"first {ms(m.first_ms)}"] if m.first_ms is not None else ["none completed"]
    if m.gaps is not None:
        g = m.gaps
        told.append(f"gaps p50 {ms(g.p50)}, p90 {ms(g.p90)}, p99 {ms(g.p99)}, max {ms(g.max)}")
    if m.per_s is not None:
        told.append(f"{m.per_s:,.1f} a second")
    between = e.reading if e.messages_known else "reads of content"
    return [
        f"  {kind}: {' · '.join(told)}",
        f"  longest silence: {ms(m.silence_ms)} between {between}, {ms(m.idle_ms)} between any bytes "
        "(what idle timeouts count)",
    ]


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
