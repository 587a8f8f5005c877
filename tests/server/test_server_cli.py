"""`python -m app` as a user starts it: it prints its URL, serves, lists its commands, and
refuses bad options, bad environment values and a port in use, each in one plain line."""

from __future__ import annotations

import asyncio
import socket
import sys

import aiohttp
import pytest

from app.cli import SUBCOMMANDS
from app.server.run import banner
from app.server.settings import Settings, settings_from_args
from tests.processes import free_port, run_app_command


async def test_python_m_app_prints_its_url_and_serves_the_tutorial() -> None:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "app", "--port", str(port), stdout=asyncio.subprocess.PIPE
    )
    try:
        assert process.stdout is not None
        first_line = await asyncio.wait_for(process.stdout.readline(), 10)
        assert f"http://127.0.0.1:{port}/" in first_line.decode()
        async with aiohttp.ClientSession() as session:
            for _ in range(100):
                try:
                    async with session.get(f"http://127.0.0.1:{port}/chunked?interval=0") as response:
                        assert await response.text() == "".join(f"Chunk {i}\n" for i in range(5))
                        break
                except aiohttp.ClientConnectorError:
                    await asyncio.sleep(0.05)
            else:
                raise AssertionError("the server never accepted a connection")
    finally:
        process.terminate()
        await process.wait()


async def test_bad_port_exits_non_zero_with_a_message() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "app", "--port", "99999", stderr=asyncio.subprocess.PIPE
    )
    _, stderr = await process.communicate()
    assert process.returncode == 2
    assert b"port must be 0..65535" in stderr


def test_environment_sets_host_and_port_and_flags_win() -> None:
    env = {"TRANSPORT_LAB_HOST": "0.0.0.0", "TRANSPORT_LAB_PORT": "9000"}
    assert settings_from_args([], env) == Settings(host="0.0.0.0", port=9000)
    assert settings_from_args(["--port", "9001"], env).port == 9001


def test_binding_a_public_address_is_announced_loudly() -> None:
    assert "WARNING" in banner(Settings(host="0.0.0.0"))
    assert "WARNING" not in banner(Settings())


def test_help_lists_the_subcommands_and_the_servers_own_options() -> None:
    done = run_app_command("--help")
    assert (done.returncode, done.stderr) == (0, "")
    commands = done.stdout.split("commands", 1)[1]
    listed = [line.split()[0] for line in commands.splitlines()[1:] if line.startswith("  ")]
    assert listed == list(SUBCOMMANDS)
    assert {"serve", "compare", "raw", "diagnose", "bench"} <= set(listed)
    for option in ("--host", "--port", "--max-streams"):
        assert option in done.stdout.split("commands", 1)[0], option


@pytest.mark.parametrize(
    ("variable", "value", "why"),
    [
        ("TRANSPORT_LAB_PORT", "abc", "port must be an integer, not 'abc'"),
        ("TRANSPORT_LAB_PORT", "70000", "port must be 0..65535, not 70000"),
        ("TRANSPORT_LAB_MAX_STREAMS", "many", "max streams must be an integer, not 'many'"),
        ("TRANSPORT_LAB_HOST", "", "host must not be empty (0.0.0.0 binds every IPv4 address)"),
        ("TRANSPORT_LAB_HOST", " ", "host must not be empty (0.0.0.0 binds every IPv4 address)"),
        ("TRANSPORT_LAB_MEMORY_BUDGET", "16", "memory budget must be 32..65536 MiB, not 16"),
        ("TRANSPORT_LAB_MEMORY_BUDGET", "1e3", "memory budget must be an integer, not '1e3'"),
        ("TRANSPORT_LAB_SEND_TIMEOUT", "0", "send timeout must be 1..3600 seconds, not 0"),
        ("TRANSPORT_LAB_SEND_TIMEOUT", "nan", "send timeout must be 1..3600 seconds, not nan"),
        ("TRANSPORT_LAB_SEND_TIMEOUT", "soon", "send timeout must be a number of seconds, not 'soon'"),
    ],
)
def test_a_bad_environment_value_exits_2_naming_its_variable(
    variable: str, value: str, why: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        settings_from_args([], {variable: value})
    assert exited.value.code == 2
    assert capsys.readouterr().err == f"transport-lab: error: {variable}: {why}\n"


def test_an_empty_host_on_the_command_line_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        settings_from_args(["--host", ""], {})
    assert exited.value.code == 2
    assert "argument --host: host must not be empty" in capsys.readouterr().err


def test_a_non_integer_port_option_is_named_plainly(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        settings_from_args(["--port", "abc"], {})
    assert "argument --port: port must be an integer, not 'abc'" in capsys.readouterr().err


def test_an_empty_host_variable_stops_the_real_command_before_it_binds() -> None:
    # Were the empty value taken, the server would bind every address and serve on: the
    # run would then time out instead of exiting.
    done = run_app_command("--port", str(free_port()), env={"TRANSPORT_LAB_HOST": ""}, within=15)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("transport-lab: error: TRANSPORT_LAB_HOST: host must not be empty")
    done = run_app_command(env={"TRANSPORT_LAB_PORT": "abc"})
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == "transport-lab: error: TRANSPORT_LAB_PORT: port must be an integer, not 'abc'\n"


def test_a_port_in_use_is_one_line_and_exit_1_with_no_banner() -> None:
    with socket.create_server(("127.0.0.1", 0)) as holder:
        port = holder.getsockname()[1]
        done = run_app_command("--host", "127.0.0.1", "--port", str(port))
    assert done.returncode == 1
    assert done.stdout == ""  # no "Transport Lab on ..." banner before the failure
    assert done.stderr.splitlines() == [
        f"transport-lab: cannot listen on 127.0.0.1 port {port}: Address already in use"
        " (another process holds it: stop it, or choose another --port)"
    ]


def test_memory_budget_and_send_timeout_come_from_options_or_the_environment() -> None:
    from_flags = settings_from_args(["--memory-budget", "64", "--send-timeout", "2.5"], {})
    assert (from_flags.memory_budget, from_flags.send_timeout) == (64 * 1024 * 1024, 2.5)
    from_env = settings_from_args([], {"TRANSPORT_LAB_MEMORY_BUDGET": "48", "TRANSPORT_LAB_SEND_TIMEOUT": "9"})
    assert (from_env.memory_budget, from_env.send_timeout) == (48 * 1024 * 1024, 9.0)
    assert settings_from_args([], {}) == Settings()
