"""`transport-lab diagnose URL`: does this stream really stream, and if not, what holds it back?

It runs from the user's machine against any http(s):// or ws(s):// URL; the server never
fetches anything on anyone's behalf.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

from ...exits import EXIT_CUT, EXIT_ERROR_STATUS, EXIT_FAILED, EXIT_NOT_UPGRADED, EXIT_OK, EXIT_TOO_LARGE
from ...params import plain
from ...targets import MAX_HOPS, hop_names, split_target
from ..options import (
    DEFAULT_TIMEOUT,
    TIMEOUT_BOUNDS,
    UsageError,
    add_size_options,
    bounded,
    run_command,
    scheme_hint,
)
from ..terminal import say
from . import fleet, junit
from .connection import Failure
from .exchange import Ending, Exchange
from .fetch import MAX_REDIRECTS, Ask, exchange
from .hops import Hop, compare, hop_lines
from .redirects import CREDENTIAL_HEADERS, SCHEMES
from .report import Diagnosis, browser_hops_link, text_lines
from .verdict import Verdict

PROG = "transport-lab diagnose"
#: Headers the exchange itself must set, so a user's value would only break it.
RESERVED_HEADERS = ("host", "content-length", "transfer-encoding", "connection", "upgrade")
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")

EXIT_HELP = (
    "Exit status: 0 diagnosed (and, with --expect, the verdict matched), 1 --expect did not match, "
    "2 usage, 3 unreachable (no such host, refused), 4 TLS failed, 5 timed out before an answer, "
    f"6 not HTTP it can follow (or more than {MAX_REDIRECTS} redirects), 7 stopped by --max-decoded-bytes "
    "or --max-message-bytes, 8 an error status (400 or above: verdict error), 9 a ws:// or wss:// URL "
    "answered without 101 (verdict not-upgraded) (8 and 9 are 0 with --expect naming that verdict), "
    "10 the connection was cut before the stream was whole (cause idle-timeout or connection-cut; before "
    "--expect's 1); the result is printed for 1 and 7-10; 130 Ctrl-C."
)
#: The verdicts that say the answer is not a stream, each with its exit status.
NOT_A_STREAM = {Verdict.ERROR: EXIT_ERROR_STATUS, Verdict.NOT_UPGRADED: EXIT_NOT_UPGRADED}


def header(text: str) -> tuple[str, str]:
    name, colon, value = text.partition(":")
    name, value = name.strip(), value.strip()
    if not colon or not _TOKEN.match(name) or any(c in value for c in "\r\n\0"):
        raise argparse.ArgumentTypeError(f"--header must be 'Name: value' on one line, not {text[:80]!r}")
    if name.lower() in RESERVED_HEADERS:
        raise argparse.ArgumentTypeError(f"--header {name} is set by the exchange itself and cannot be replaced")
    return name, value


def header_name(text: str) -> str:
    if not _TOKEN.match(text):
        raise argparse.ArgumentTypeError(f"--sensitive-header must be a header name, not {text[:80]!r}")
    return text.lower()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Tell whether a stream is truly streamed (progressive, buffered or bursty), and if not, "
        "what holds it back: the evidence and the fix.",
        epilog=EXIT_HELP,
    )
    parser.add_argument(
        "targets",
        nargs="*",
        metavar="[NAME=]URL",
        help="an http://, https://, ws:// or wss:// URL; several (origin=URL edge=URL ...) are read at the "
        "same instant, each with its own request, and compared: the first hop where the stream changes shape",
    )
    parser.add_argument("--header", "-H", type=header, action="append", default=[], help="'Name: value' (repeatable)")
    parser.add_argument(
        "--sensitive-header",
        type=header_name,
        action="append",
        default=[],
        metavar="NAME",
        help="a header not to send on when a redirect leads to another origin (repeatable; "
        f"{', '.join(sorted(name.title() for name in CREDENTIAL_HEADERS))} never are)",
    )
    parser.add_argument("--method", "-X", choices=("GET", "POST"), help="GET, or POST (the default with --data)")
    parser.add_argument("--data", "-d", help="the request body, or @FILE to send a file's bytes")
    seconds = TIMEOUT_BOUNDS
    parser.add_argument(
        "--timeout",
        type=bounded(float, *seconds, "--timeout"),
        default=DEFAULT_TIMEOUT,
        help=f"seconds for the whole exchange, {plain(seconds[0])}..{plain(seconds[1])} "
        f"(default {plain(DEFAULT_TIMEOUT)}), sending the request included; "
        "a stream still going then is judged on what arrived",
    )
    add_size_options(parser, "bytes of body read at most (a stream still going then is judged on what arrived)")
    parser.add_argument("--insecure", "-k", action="store_true", help="do not verify the TLS certificate")
    parser.add_argument("--json", action="store_true", help="print the whole result as one JSON object")
    parser.add_argument(
        "--from",
        dest="from_file",
        type=Path,
        metavar="FILE",
        help=f"check the URLs FILE lists, one per line as [NAME=]URL [VERDICT] (its own --expect; # comments), "
        f"at most {fleet.MAX_TARGETS}, {fleet.CONCURRENT} at a time",
    )
    parser.add_argument(
        "--junit",
        type=Path,
        metavar="FILE",
        help="also write a JUnit XML report to FILE: one test case per URL, failed when the status is not 0 "
        "(the verdict, causes and fixes in its text)",
    )
    parser.add_argument(
        "--expect",
        choices=[verdict.value for verdict in Verdict],
        help="a check for CI: exit 1 unless the verdict is this one (8 for an error status, 9 for a "
        "WebSocket URL not upgraded, unless it is that one)",
    )
    return parser


def ask_of(args: argparse.Namespace, url: str) -> Ask:
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as error:
        raise UsageError(f"{url!r} is not a URL: {error}") from None
    if parts.scheme not in SCHEMES or not parts.hostname:
        allowed = "http://, https://, ws:// or wss://"
        raise UsageError(f"URL must be {allowed} and name a host, not {url!r}{scheme_hint(url)}")
    data = body_of(args.data)
    method = args.method or ("POST" if data is not None else "GET")
    if data is not None and method == "GET":
        raise UsageError("--data needs --method POST (a GET carries no body)")
    if parts.scheme in ("ws", "wss") and method != "GET":
        raise UsageError("a WebSocket opens with a GET: --method POST and --data do not apply")
    return Ask(
        url,
        method,
        tuple(args.header),
        data,
        args.timeout,
        args.max_bytes,
        args.insecure,
        sensitive=frozenset(args.sensitive_header),
        max_decoded=args.max_decoded_bytes,
        max_message=args.max_message_bytes,
    )


def body_of(data: str | None) -> bytes | None:
    if data is None or not data.startswith("@"):
        return None if data is None else data.encode()
    try:
        return Path(data[1:]).read_bytes()
    except OSError as error:
        raise UsageError(f"--data {data}: {error.strerror or error}") from None


def diagnose(args: argparse.Namespace) -> int:
    if args.from_file is not None:
        if args.targets:
            raise UsageError("give URLs or --from FILE, not both")
        return diagnose_fleet(args)
    if not args.targets:
        raise UsageError("give a URL (or several, or --from FILE)")
    targets = [split_target(text) for text in args.targets]
    if len(targets) > 1:
        return diagnose_hops(args, targets)
    name, url = targets[0]
    ask = ask_of(args, url)
    try:
        diagnosis = Diagnosis.of(asyncio.run(exchange(ask)))
    except Failure as failure:
        say(f"{PROG}: {failure}", file=sys.stderr)
        write_junit(args, [junit.Case(name or url, url, failure.exit_code, failure=str(failure))])
        return failure.exit_code
    if args.json:
        json.dump(diagnosis.as_json(), sys.stdout, indent=2)  # written as it is encoded: a timeline may be long
        print()
    else:
        say(*text_lines(diagnosis))
    status = exit_status(diagnosis, args.expect)
    write_junit(args, [junit.Case(name or url, url, status, diagnosis)])
    return status


def write_junit(args: argparse.Namespace, cases: list[junit.Case]) -> None:
    if args.junit is None:
        return
    try:
        junit.write(args.junit, cases, args.expect)
    except OSError as error:
        raise UsageError(f"--junit {args.junit}: {error.strerror or error}") from None


def exit_status(diagnosis: Diagnosis, expect: str | None, hop: str = "") -> int:
    """The outcome for a script: an answer that is not a stream has its own status (unless
    --expect asked for that very verdict), before --expect's 1 and the bounds' 7. `hop`
    names the hop in what is said, when there are several."""
    verdict = diagnosis.judgement.verdict
    who = f"{PROG}: {hop}: " if hop else f"{PROG}: "
    if expect and verdict.value != expect:
        say(f"{who}expected {expect}, got {verdict.value}", file=sys.stderr)
    if verdict in NOT_A_STREAM and verdict.value != expect:
        say(f"{who}{diagnosis.judgement.reason}", file=sys.stderr)
        return NOT_A_STREAM[verdict]
    if diagnosis.exchange.ending is Ending.CUT:
        say(f"{who}the connection was cut before the stream was whole", file=sys.stderr)
        return EXIT_CUT
    if expect and verdict.value != expect:
        return EXIT_FAILED
    if diagnosis.exchange.stopped_by:
        say(f"{who}{diagnosis.exchange.stopped_by}", file=sys.stderr)
        return EXIT_TOO_LARGE
    return EXIT_OK


def diagnose_hops(args: argparse.Namespace, targets: list[tuple[str | None, str]]) -> int:
    """Every hop read at the same instant, each shown, then where the stream changes shape.
    The status is the first hop's that is not 0, in the order given (--expect applies to
    every hop, and the ones that failed it are named)."""
    if len(targets) > MAX_HOPS:
        raise UsageError(f"at most {MAX_HOPS} URLs at once, not {len(targets)}")
    asks = [ask_of(args, url) for _, url in targets]
    results = asyncio.run(fleet.bounded([partial(_one, ask) for ask in asks], at_once=len(asks)))
    hops = [
        Hop(name, ask.url, failure=result) if isinstance(result, Failure) else Hop(name, ask.url, Diagnosis.of(result))
        for name, ask, result in zip(hop_names(targets), asks, results, strict=True)
    ]
    comparison = compare(hops)
    link = browser_hops_link(targets)
    if args.json:
        compared = {**comparison.as_json(), "browser": link}
        json.dump({"hops": [hop.as_json() for hop in hops], "comparison": compared}, sys.stdout, indent=2)
        print()
    else:
        for hop in hops:
            said = text_lines(hop.diagnosis) if hop.diagnosis else [f"{hop.url}", f"  failed: {hop.failure}"]
            say(f"== {hop.name}", *said, "")
        say(*hop_lines(comparison))
        if link:
            say("", "the same hops in a browser (a lane each, the same comparison): run `transport-lab`, then open")
            say(f"  {link}")
    statuses = []
    for hop in hops:
        if hop.failure is not None:
            say(f"{PROG}: {hop.name}: {hop.failure}", file=sys.stderr)
            statuses.append(hop.failure.exit_code)
        else:
            assert hop.diagnosis is not None
            statuses.append(exit_status(hop.diagnosis, args.expect, hop.name))
    write_junit(
        args,
        [
            junit.Case(hop.name, hop.url, status, hop.diagnosis, str(hop.failure or ""))
            for hop, status in zip(hops, statuses, strict=True)
        ],
    )
    missed = [hop.name for hop, status in zip(hops, statuses, strict=True) if status == EXIT_FAILED]
    if missed:
        say(f"{PROG}: --expect {args.expect} failed at {', '.join(missed)}", file=sys.stderr)
    return next((status for status in statuses if status), EXIT_OK)


def diagnose_fleet(args: argparse.Namespace) -> int:
    """Every URL the file lists, checked 8 at a time against its own expectation (or
    --expect): a line each, in the file's order, then how many passed."""
    targets = fleet.read(args.from_file)
    asks = []
    for target in targets:
        try:
            asks.append(ask_of(args, target.url))
        except UsageError as error:
            raise UsageError(f"{args.from_file}:{target.line}: {error}") from None
    results = asyncio.run(fleet.bounded([partial(_one, ask) for ask in asks]))
    rows, cases, statuses = [], [], []
    for target, result in zip(targets, results, strict=True):
        name, expect = target.name or target.url, target.expect or args.expect
        diagnosis: Diagnosis | None
        if isinstance(result, Failure):
            diagnosis, failed, status = None, str(result), result.exit_code
            say(f"{PROG}: {name}: {failed}", file=sys.stderr)
        else:
            diagnosis, failed = Diagnosis.of(result), ""
            status = exit_status(diagnosis, expect, name)
        statuses.append(status)
        cases.append(junit.Case(name, target.url, status, diagnosis, failed))
        rows.append((name, expect, status, diagnosis, failed))
    if args.json:
        listed = [
            {
                "name": name,
                "expect": expect,
                "status": status,
                **(diagnosis.as_json() if diagnosis else {"error": failed}),
            }
            for name, expect, status, diagnosis, failed in rows
        ]
        json.dump({"targets": listed}, sys.stdout, indent=2)
        print()
    else:
        passed = sum(1 for status in statuses if status == 0)
        say(*(fleet_row(*row) for row in rows), "", f"{passed} of {len(rows)} passed")
    write_junit(args, cases)
    return next((status for status in statuses if status), EXIT_OK)


def fleet_row(name: str, expect: str | None, status: int, diagnosis: Diagnosis | None, failed: str) -> str:
    """`ok    name: progressive, expected progressive`, or `FAIL  name: buffered (compression)`."""
    if diagnosis is None:
        outcome = f"failed: {failed}"
    else:
        causes = ", ".join(finding.id for finding in diagnosis.causes)
        outcome = diagnosis.judgement.verdict.value + (f" ({causes})" if causes else "")
    wanted = f", expected {expect}" if expect else ""
    return f"{'ok  ' if status == 0 else 'FAIL'}  {name}: {outcome}{wanted}"


async def _one(ask: Ask) -> Exchange | Failure:
    """The exchange, or the Failure that stopped it: one URL that fails is a result, not the
    end of the others."""
    try:
        return await exchange(ask)
    except Failure as failure:
        return failure


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_command(PROG, lambda: diagnose(args))


if __name__ == "__main__":
    sys.exit(main())
