"""The `transport-lab` command: serve (the default), or a subcommand."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

#: subcommand -> module (relative to this package) whose `main(argv) -> int` runs it; imported only when used.
SUBCOMMANDS = {
    "serve": ".server.run",
    "compare": ".client.compare",
    "raw": ".client.compare",
    "bench": ".bench.runner",
}


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in SUBCOMMANDS:
        command, rest = args[0], args[1:]
    else:
        command, rest = "serve", args
    module = importlib.import_module(SUBCOMMANDS[command], __package__)
    if command == "raw":
        rest = ["--raw", *rest]
    return int(module.main(rest) or 0)


def run() -> None:
    sys.exit(main())
