"""Exit statuses every `transport-lab` command shares, so a script can tell outcomes apart."""

from __future__ import annotations

__all__ = [
    "EXIT_BAD_RESPONSE",
    "EXIT_BROKEN_PIPE",
    "EXIT_CUT",
    "EXIT_ERROR_STATUS",
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_NOT_UPGRADED",
    "EXIT_OK",
    "EXIT_TIMEOUT",
    "EXIT_TLS",
    "EXIT_TOO_LARGE",
    "EXIT_UNREACHABLE",
    "EXIT_USAGE",
]

EXIT_OK = 0
#: A stream was refused or failed, the server could not listen, the benchmark failed.
EXIT_FAILED = 1
#: A bad command line or environment value: argparse's own status, kept for ours.
EXIT_USAGE = 2
#: The client found no server at its URL.
EXIT_UNREACHABLE = 3
#: `diagnose`: the TLS handshake failed (a certificate not trusted, a protocol refused).
EXIT_TLS = 4
#: `diagnose`: no response head came within --timeout (or the request could not be sent);
#: `compare`, `raw`: a stream was not over within --timeout.
EXIT_TIMEOUT = 5
#: `diagnose`: what came back is not HTTP (or WebSocket) it can follow, or redirects went on too long.
EXIT_BAD_RESPONSE = 6
#: A size bound stopped the reading: what a body decodes to (--max-decoded-bytes); a line, an
#: SSE event, a JSON item or a WebSocket message (--max-message-bytes); for `compare` and
#: `raw`, a stream's bytes (--max-bytes: for SSE, all its connections together).
EXIT_TOO_LARGE = 7
#: `diagnose`: the server answered an error status (400 and above): an error, not a stream
#: (verdict `error`; the result is still printed).
EXIT_ERROR_STATUS = 8
#: `diagnose`: a ws:// or wss:// URL was answered without 101 Switching Protocols: not a
#: WebSocket (verdict `not-upgraded`; the result is still printed).
EXIT_NOT_UPGRADED = 9
#: `diagnose`: the connection was cut before the stream was whole (no last chunk, no close
#: frame; cause `idle-timeout` or `connection-cut`; the result is still printed).
EXIT_CUT = 10
#: 128 + SIGINT: what a shell reports for a command stopped by Ctrl-C.
EXIT_INTERRUPTED = 130
#: 128 + SIGPIPE: what a shell reports for a command whose reader went away (`| head`).
EXIT_BROKEN_PIPE = 141
