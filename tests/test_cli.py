"""The `transport-lab` command itself: what it loads, and how it takes a command it does not know."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import SUBCOMMANDS
from app.exits import EXIT_BROKEN_PIPE, EXIT_INTERRUPTED, EXIT_USAGE
from tests.processes import PROJECT_ROOT, app_server, run_app_command

#: Parses each terminal command's arguments (and every `--help`) the way `transport-lab`
#: does, then names the web app's template modules that got loaded.
PARSE_ONLY = """
import contextlib, importlib, io, sys
import app.cli

def parse(command, *argv):
    module = importlib.import_module(app.cli.SUBCOMMANDS[command].module, "app")
    if hasattr(module, "build_parser"):
        module.build_parser().parse_args(list(argv))

parse("compare", "--endpoints", "chunked,sse", "--count", "3")
parse("diagnose", "http://127.0.0.1:9/chunked")
parse("raw", "chunked")
for argv in (["--help"], ["compare", "--help"], ["diagnose", "--help"], ["raw", "--help"]):
    with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
        app.cli.main(argv)
print(sorted(name for name in ("jinja2", "aiohttp_jinja2", "app.server.factory") if name in sys.modules))
"""


def test_the_terminal_commands_do_not_load_the_web_app() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PARSE_ONLY], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert (done.returncode, done.stdout.strip()) == (0, "[]"), done.stderr[-2000:]


def test_the_app_factory_is_still_imported_from_the_package() -> None:
    from app import Settings, create_app

    assert create_app(Settings()) is not None


@pytest.mark.parametrize(("word", "guess"), [("comapre", "compare"), ("diagnos", "diagnose"), ("xyzzy", None)])
def test_an_unknown_command_lists_the_commands_and_guesses_the_closest(word: str, guess: str | None) -> None:
    done = run_app_command(word)
    assert (done.returncode, done.stdout) == (EXIT_USAGE, "")
    first, listing = done.stderr.splitlines()
    assert first.startswith(f"transport-lab: unknown command '{word}'")
    assert (f"did you mean {guess}?" in first) if guess else ("did you mean" not in first)
    assert all(name in listing for name in SUBCOMMANDS)


def interrupted_while_importing(*args: str) -> tuple[int, list[str]]:
    """Start `python -m app ARGS`, Ctrl-C it while it is still importing aiohttp (its import
    trace says when), and return its status and what it printed on stderr besides that trace."""
    command = [sys.executable, "-X", "importtime", "-m", "app", *args]
    with subprocess.Popen(
        command, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    ) as run:
        assert run.stderr is not None
        try:
            for line in run.stderr:
                if line.rstrip().endswith("multidict"):  # among aiohttp's first imports, long before it is done
                    run.send_signal(signal.SIGINT)
                    break
            said = [line.rstrip("\n") for line in run.stderr if not line.startswith("import time:")]
            return run.wait(timeout=30), said
        finally:
            run.kill()


@pytest.mark.parametrize(
    "args", [("--port", "9"), ("compare", "--url", "http://127.0.0.1:9")], ids=["serve", "compare"]
)
def test_ctrl_c_while_starting_is_one_line_and_status_130(args: tuple[str, ...]) -> None:
    assert interrupted_while_importing(*args) == (EXIT_INTERRUPTED, ["transport-lab: interrupted"])


def test_ctrl_c_while_compare_waits_on_a_silent_server_is_one_line_and_status_130() -> None:
    with socket.create_server(("127.0.0.1", 0)) as silent:
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        command = [sys.executable, "-m", "app", "compare", "--endpoints", "chunked", "--url", url]
        with subprocess.Popen(
            command, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        ) as run:
            try:
                silent.settimeout(30)
                connection, _ = silent.accept()  # connected; the answer never comes
                with connection:
                    run.send_signal(signal.SIGINT)
                    out, err = run.communicate(timeout=30)
            finally:
                run.kill()
    assert (run.returncode, err) == (EXIT_INTERRUPTED, "transport-lab compare: interrupted; connections closed\n")
    assert "Traceback" not in out


def test_the_readme_names_every_command_that_help_lists() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text()
    assert all(f"`{name}`" in readme for name in SUBCOMMANDS)


@pytest.mark.parametrize("command", ["diagnose", "compare"])
def test_output_to_a_reader_that_went_away_ends_quietly(command: str, tmp_path: Path) -> None:
    # `transport-lab diagnose --json URL | head`: the pipe's reader is gone before a line is written.
    with app_server(tmp_path) as server:
        target = server.make_url("/chunked?count=3&interval=0") if command == "diagnose" else server.base_url
        args = [command, "--json", target] if command == "diagnose" else [command, "--json", "--url", target]
        read, write = os.pipe()
        os.close(read)
        try:
            run = subprocess.run(
                [sys.executable, "-m", "app", *args], cwd=PROJECT_ROOT, stdout=write, stderr=subprocess.PIPE,
                text=True, timeout=60, check=False,
            )  # fmt: skip
        finally:
            os.close(write)
    assert "Traceback" not in run.stderr, run.stderr
    assert run.returncode == EXIT_BROKEN_PIPE
