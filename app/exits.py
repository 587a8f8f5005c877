"""Exit statuses every `transport-lab` command shares, so a script can tell outcomes apart."""

from __future__ import annotations

__all__ = ["EXIT_FAILED", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_UNREACHABLE", "EXIT_USAGE"]

EXIT_OK = 0
#: A stream was refused or failed, the server could not listen, the benchmark failed.
EXIT_FAILED = 1
#: A bad command line or environment value: argparse's own status, kept for ours.
EXIT_USAGE = 2
#: The client found no server at its URL.
EXIT_UNREACHABLE = 3
#: 128 + SIGINT: what a shell reports for a command stopped by Ctrl-C.
EXIT_INTERRUPTED = 130
