"""The `transport-lab` command: serve (the default), or a subcommand."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

#: subcommand -> module whose `main(argv) -> int` runs it; imported only when used.
SUBCOMMANDS = {
    "serve": "app.server",
    "compare": "app.client",
    "raw": "app.client",
    "bench": "app.bench",
}


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in SUBCOMMANDS:
        command, rest = args[0], args[1:]
    else:
        command, rest = "serve", args
    module = importlib.import_module(SUBCOMMANDS[command])
    if command == "raw":
        rest = ["--raw", *rest]
    return int(module.main(rest) or 0)


def run() -> None:
    sys.exit(main())
