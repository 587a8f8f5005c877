"""The `transport-lab` command: serve (the default), or a subcommand."""

from __future__ import annotations

import difflib
import importlib
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from .exits import EXIT_BROKEN_PIPE, EXIT_INTERRUPTED, EXIT_USAGE


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


def unknown_command(word: str) -> str:
    """What to say of a first word that is neither an option nor a command."""
    close = difflib.get_close_matches(word, SUBCOMMANDS, n=1)
    guess = f": did you mean {close[0]}?" if close else ""
    names = ", ".join(f"{name} (the default)" if name == DEFAULT else name for name in SUBCOMMANDS)
    listing = f"commands: {names}; transport-lab --help says what each does"
    return f"transport-lab: unknown command {word!r}{guess}\n{listing}"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in SUBCOMMANDS:
        command, rest = args[0], args[1:]
    elif args and not args[0].startswith("-"):
        # The server takes options only: a first word is a command, mistyped or unknown.
        print(unknown_command(args[0]), file=sys.stderr)
        return EXIT_USAGE
    else:
        command, rest = DEFAULT, args
    module = importlib.import_module(SUBCOMMANDS[command].module, __package__)
    if command == DEFAULT:
        return int(module.main(rest, epilog=commands_help()))
    return int(module.main(rest) or 0)


def run() -> None:
    try:
        status = main()
    except KeyboardInterrupt:
        # Ctrl-C before a command could take it (while the server or a client is still
        # importing and starting): one line and the shell's status, not a traceback.
        print("transport-lab: interrupted", file=sys.stderr)
        status = EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader of our output went away (`diagnose --json URL | head`): routine for a
        # command in a pipe, so no traceback; what is still buffered for stdout goes nowhere,
        # or flushing it at exit would fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        status = EXIT_BROKEN_PIPE
    sys.exit(status)
