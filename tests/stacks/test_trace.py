"""The ground-truth readers themselves: chunk framing taken off at any split, and curl's
--trace --trace-time output read back into reads and times."""

from __future__ import annotations

from tests.stacks.trace import Dechunker, parse_curl_trace

CHUNKED = b"b\r\nxxxxxxxxxx\n\r\n4;ext=1\r\nabcd\r\n0\r\n\r\n"

#: curl 7.88's trace of a chunked answer: the head, then two chunks 100 ms apart.
CURL_TRACE = """\
18:52:56.679099 == Info: Connected to 127.0.0.1 (127.0.0.1) port 8801 (#0)
18:52:56.679119 => Send header, 16 bytes (0x10)
0000: 47 45 54 20 2f 20 48 54 54 50 2f 31 2e 31 0d 0a GET / HTTP/1.1..
18:52:56.679733 <= Recv header, 17 bytes (0x11)
0000: 48 54 54 50 2f 31 2e 31 20 32 30 30 20 4f 4b 0d HTTP/1.1 200 OK.
0010: 0a                                              .
18:52:56.679779 <= Recv header, 28 bytes (0x1c)
0000: 54 72 61 6e 73 66 65 72 2d 45 6e 63 6f 64 69 6e Transfer-Encodin
0010: 67 3a 20 63 68 75 6e 6b 65 64 0d 0a             g: chunked..
18:52:56.679785 <= Recv header, 2 bytes (0x2)
0000: 0d 0a                                           ..
18:52:56.679821 <= Recv data, 16 bytes (0x10)
0000: 62 0d 0a 78 78 78 78 78 78 78 78 78 78 0a 0d 0a b..xxxxxxxxxx...
18:52:56.780127 <= Recv data, 16 bytes (0x10)
0000: 62 0d 0a 78 78 78 78 78 78 78 78 78 78 0a 0d 0a b..xxxxxxxxxx...
18:52:56.780645 <= Recv data, 5 bytes (0x5)
0000: 30 0d 0a 0d 0a                                  0....
18:52:56.780708 == Info: Connection #0 to host 127.0.0.1 left intact
"""


def test_dechunker_counts_the_content_however_the_framing_is_split() -> None:
    for cut in range(len(CHUNKED) + 1):
        for second in range(cut, len(CHUNKED) + 1):
            dechunker = Dechunker()
            parts = [CHUNKED[:cut], CHUNKED[cut:second], CHUNKED[second:]]
            assert sum(dechunker.feed(part) for part in parts) == 15, (cut, second)
            assert dechunker.done


def test_curl_trace_gives_the_head_reads_and_times_from_the_request() -> None:
    trace = parse_curl_trace(CURL_TRACE)
    assert (trace.status, trace.header("Transfer-Encoding")) == (200, "chunked")
    assert round(trace.headers_ms, 3) == 0.614
    reads = [(round(read.t_ms), read.wire_bytes, read.body_bytes) for read in trace.reads]
    assert reads == [(1, 16, 11), (101, 16, 11), (102, 5, 0)]
    assert [(b.body_bytes, b.reads) for b in trace.bursts()] == [(11, 1), (11, 1)]
    assert [round(s) for s in trace.silences_ms()] == [100]
