"""The `transport-lab` command: serve (the default), or a subcommand."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Subcommand:
    """Where a subcommand lives (a module, relative to this package, whose `main(argv) -> int`
    runs it; imported only when used) and the line that sums it up in `--help`."""

    module: str
    summary: str


DEFAULT = "serve"
SUBCOMMANDS = {
    DEFAULT: Subcommand(".server.run", "serve the endpoints and the dashboard (the default; options above)"),
    "compare": Subcommand(
        ".client.compare.command", "open several endpoints at once, print every message as it arrives"
    ),
    "raw": Subcommand(".client.raw", "show one HTTP endpoint's response byte by byte, as it crosses the wire"),
    "diagnose": Subcommand(
        ".client.diagnose.command", "tell whether any URL's stream really streams, and what holds it back"
    ),
    "bench": Subcommand(".bench.runner", "benchmark throughput, concurrency and memory against baseline servers"),
}


def commands_help() -> str:
    """The subcommands, for the end of the server's `--help` (which is the top-level one)."""
    width = max(map(len, SUBCOMMANDS))
    lines = [f"  {name:<{width}}  {command.summary}" for name, command in SUBCOMMANDS.items()]
    return "\n".join(
        [
            "commands (transport-lab COMMAND [options]):",
            *lines,
            "",
            "Each command has its own --help: transport-lab compare --help",
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in SUBCOMMANDS:
        command, rest = args[0], args[1:]
    else:
        command, rest = DEFAULT, args
    module = importlib.import_module(SUBCOMMANDS[command].module, __package__)
    if command == DEFAULT:
        return int(module.main(rest, epilog=commands_help()))
    return int(module.main(rest) or 0)


def run() -> None:
    sys.exit(main())
