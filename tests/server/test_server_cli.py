"""`python -m app` as a user starts it: it prints its URL, serves, and refuses bad options."""

from __future__ import annotations

import asyncio
import sys

import aiohttp

from app.server.run import banner
from app.server.settings import Settings, settings_from_args
from tests.processes import free_port


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
