"""Why a stream was cut: the connection closed before the body's framing said it was whole
(no last chunk, no close frame). Pure: an exchange in, a finding out.

What tells an idle timeout from any other cut is the silence before it: a proxy's idle
timer closes a connection that carried no byte for its timeout (30 s and more in the field,
100 ms at the least in the lab); a server that fails mid-stream, or the lab's `drop`, cuts
it right after a write.
"""

from __future__ import annotations

from .causes import Finding
from .exchange import Ending, Exchange
from .metrics import IDLE_FIX

#: A cut after at least this much silence on the wire is an idle timeout's.
IDLE_CUT_MS = 100.0


def silence_before_cut(exchange: Exchange) -> float:
    """The silence on the wire that the cut ended (ms)."""
    times = [0.0, exchange.headers_ms, *(arrival.t_ms for arrival in exchange.arrivals if arrival.wire_bytes)]
    return exchange.end_ms - max(times)


def cut_cause(exchange: Exchange) -> Finding | None:
    """`idle-timeout` for a cut at the end of the stream's longest silence, `connection-cut`
    for any other cut; None for a stream that ended whole."""
    if exchange.ending is not Ending.CUT:
        return None
    silence = silence_before_cut(exchange)
    what = "a close frame" if exchange.reading == "messages" else "the end its framing promises"
    got = (
        f"{exchange.messages} message{'s' if exchange.messages != 1 else ''}"
        if exchange.messages_known
        else f"{exchange.decoded_bytes} bytes"
    )
    if silence >= IDLE_CUT_MS:
        return Finding(
            "idle-timeout",
            f"the connection was closed after {got}, {silence / 1000:.1f} s after its last byte, without {what}: "
            f"cut in a silence, as an idle timeout on the way closes a connection that "
            f"carried nothing for its timeout (AWS ALB 60 s, Heroku 55 s, Cloudflare 100 s, CloudFront 30 s)",
            IDLE_FIX,
        )
    return Finding(
        "connection-cut",
        f"the connection was closed after {got}, {silence:.0f} ms after its last byte, without {what}: the "
        "server or something on the way cut it while the stream was going",
        "look for who closed it: the server's log (a crash, a worker restart, a write timeout), the proxy's "
        "timeouts and limits; and let the reader resume (EventSource reconnects with Last-Event-ID; a fetch "
        "reader can do the same)",
    )
