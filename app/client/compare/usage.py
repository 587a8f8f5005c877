"""`compare`'s command line: its options, and a help that lists the culprits one per line.

The culprits, each with a clause of its cause, make an unreadable paragraph in one option's
help (argparse wraps it, and splits `br-flush` at its hyphen); so `--via` says where it
applies and the culprits get a table of their own after the options, as a command list
does. The faults' options are made from the registry's FAULTS, each applied where it says.
"""

from __future__ import annotations

import argparse
import shutil
import textwrap

from ...culprits import CULPRITS, FAULTS, Culprit, Fault
from ...endpoints import ENDPOINTS
from ...params import BOUNDS
from ..options import EXIT_HELP, add_size_options, add_stream_options, add_timeout_option, as_typed
from .document import KEPT_MESSAGES
from .plan import Applies, fault_applies, via_applies

__all__ = ["build_parser", "culprits_help", "first_clause"]

PROG = "transport-lab compare"
DESCRIPTION = "Open several Transport Lab endpoints at once and print every message as it arrives."
#: What each fault does to what the terminal reads, `{between}` its range; a fault not
#: named here is described by its registry doc.
FAULT_EFFECTS = {
    "drop": "the server cuts each connection after N messages ({between}): an HTTP body ends cut short "
    "(exit 1), a WebSocket closes with 1006, SSE reconnects as EventSource does and still gets every "
    "message once",
    "idle": "the server cuts a connection once it has sent nothing for S seconds ({between}), as an idle "
    "timeout on the way does: an HTTP body ends cut short (exit 1), a WebSocket closes with 1006, SSE "
    "reconnects as EventSource does; a response whose head was not sent yet (non-chunked) is answered 504",
    "heartbeat": "after S seconds without a message ({between}) the server sends what a reader ignores, an "
    "SSE comment or a WebSocket ping: it keeps a quiet stream whole under --idle",
}
#: Narrowest help the table is wrapped to, whatever the terminal says.
MIN_WIDTH = 40


def help_width() -> int:
    """The width argparse wraps its help to (the terminal's, less 2), for what we wrap ourselves."""
    return max(shutil.get_terminal_size().columns - 2, MIN_WIDTH)


def first_clause(culprit: Culprit) -> str:
    """A culprit's cause up to its first colon: what it does, without how or why."""
    return culprit.cause.split(":")[0]


def culprits_help(width: int) -> str:
    """`--via`'s choices, one per culprit: its name, then its cause's first clause (wrapped
    under itself, never at a hyphen)."""
    column = max(len(culprit.name) for culprit in CULPRITS)
    indent = " " * (2 + column + 2)
    lines = ["culprits (--via CULPRIT), each shown beside the healthy stream:"]
    for culprit in CULPRITS:
        lines += textwrap.wrap(
            first_clause(culprit),
            width,
            initial_indent=f"  {culprit.name:<{column}}  ",
            subsequent_indent=indent,
            break_on_hyphens=False,
            break_long_words=False,
        )
    return "\n".join(lines)


def applies_to(applies: Applies) -> str:
    return ", ".join(endpoint.name for endpoint in ENDPOINTS if applies(endpoint))


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """argparse's, with the culprits' table kept as it is, and an option's help never
    wrapped inside a hyphenated name (`non-` then `chunked`)."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        return textwrap.wrap(" ".join(text.split()), width, break_on_hyphens=False)


def build_parser() -> argparse.ArgumentParser:
    width = help_width()
    names = ", ".join(endpoint.name for endpoint in ENDPOINTS)
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=textwrap.fill(DESCRIPTION, width),
        # The description and epilog are wrapped here, the culprits' table line by line.
        formatter_class=HelpFormatter,
        epilog=f"{culprits_help(width)}\n\n{textwrap.fill(EXIT_HELP, width, break_on_hyphens=False)}",
    )
    parser.add_argument(
        "--endpoints",
        help=f"comma-separated names, or all (the default; with --via or a fault, those they apply to): {names}",
    )
    add_stream_options(parser, stamp=True)
    add_timeout_option(parser)
    add_size_options(parser, "bytes of each stream read from the wire at most (SSE: all its connections together)")
    add_culprit_options(parser)
    parser.add_argument("--upper", action="store_true", help="upper-case each message as it arrives (processing)")
    parser.add_argument(
        "--json",
        action="store_true",
        help=f"print the result as JSON at the end, nothing else: every figure, and each stream's first "
        f"{KEPT_MESSAGES} messages (its messages_not_kept counts the rest)",
    )
    return parser


def add_culprit_options(parser: argparse.ArgumentParser) -> None:
    """--via, and one option per fault of the registry (--drop, --idle, --heartbeat)."""
    parser.add_argument(
        "--via",
        action="append",
        default=[],
        choices=[culprit.name for culprit in CULPRITS],
        metavar="CULPRIT",
        help="also open each endpoint through a culprit (listed below), beside the healthy one (`chunked` and "
        f"`chunked via gzip`). Repeatable. Applies to {applies_to(via_applies)}",
    )
    for fault in FAULTS:
        add_fault_option(parser, fault)


def add_fault_option(parser: argparse.ArgumentParser, fault: Fault) -> None:
    """`--NAME N` (a count) or `--NAME S` (seconds), passed on as typed: the server checks it."""
    bound = BOUNDS[fault.name]
    effect = FAULT_EFFECTS.get(fault.name, f"{fault.doc} ({{between}})")
    parser.add_argument(
        f"--{fault.name}",
        type=as_typed(int if bound.integer else float),
        metavar="N" if bound.integer else "S",
        help=f"{effect.format(between=bound.between())}. Applies to {applies_to(fault_applies(fault.name))}",
    )
