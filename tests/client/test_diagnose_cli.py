"""`transport-lab diagnose` as a user and a CI job meet it: what it prints, --json, --expect,
its bounds, and a clear line with its own exit status for each way an exchange can fail."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from aiohttp import web
from pytest_aiohttp import AiohttpServer

import app.client.diagnose.command as diagnose
from app import Settings, create_app
from app.client.diagnose.fetch import MAX_REDIRECTS
from app.exits import EXIT_BAD_RESPONSE, EXIT_FAILED, EXIT_OK, EXIT_TIMEOUT, EXIT_TLS, EXIT_UNREACHABLE, EXIT_USAGE
from tests.processes import free_port, run_app_command
from tests.tls import self_signed, server_context

Main = Callable[[Sequence[str]], int]
SLOW = "count=4&interval=0.15"


async def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """diagnose's main() in a worker thread (it runs its own event loop) while this loop serves."""
    status = await asyncio.to_thread(diagnose.main, list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


async def test_the_terminal_shows_headers_timeline_verdict_and_the_fix(base_url: str, capsys) -> None:
    status, out, err = await run(capsys, f"{base_url}/non-chunked?{SLOW}")
    assert (status, err) == (EXIT_OK, "")
    for line in ("  HTTP/1.1 200 OK", "  Content-Length: ", "  X-Accel-Buffering: no", "verdict: BUFFERED: "):
        assert line in out, line
    assert "[content-length]" in out and "fix: stream the body" in out
    assert "then open http://127.0.0.1:8080/?stream=http%3A%2F%2F127.0.0.1%3A" in out
    assert "&terminal=buffered" in out


async def test_chunk_framing_is_shown_on_plain_http(base_url: str, capsys) -> None:
    _, out, _ = await run(capsys, f"{base_url}/chunked?{SLOW}")
    assert "chunked: 4 chunks, " in out and "bytes of framing" in out
    assert "verdict: PROGRESSIVE" in out


async def test_json_is_one_object_with_the_documented_fields(base_url: str, capsys) -> None:
    status, out, _ = await run(capsys, f"{base_url}/chunked?{SLOW}&via=gzip", "--json")
    result = json.loads(out)
    assert status == EXIT_OK
    assert {"url", "http_version", "status", "headers", "timeline", "verdict", "causes"} <= result.keys()
    assert (result["http_version"], result["status"], result["verdict"]) == ("HTTP/1.1", 200, "buffered")
    assert result["headers"]["content-encoding"] == "gzip"
    assert {"t_ms", "wire_bytes", "decoded_bytes"} <= result["timeline"][0].keys()
    # Compressed: the wire carried bytes that decoded to nothing until the end.
    assert result["timeline"][0]["wire_bytes"] > 0 and result["timeline"][0]["decoded_bytes"] == 0
    assert [c["id"] for c in result["causes"]] == ["compression"]
    assert {"id", "evidence", "fix"} == result["causes"][0].keys()


@pytest.mark.parametrize(
    ("query", "expect", "status"),
    [
        (SLOW, "progressive", EXIT_OK),
        (f"{SLOW}&via=proxy", "progressive", EXIT_FAILED),
        (f"{SLOW}&via=proxy", "buffered", EXIT_OK),
    ],
)
async def test_expect_makes_it_a_ci_check(base_url: str, capsys, query: str, expect: str, status: int) -> None:
    code, out, err = await run(capsys, f"{base_url}/chunked?{query}", "--expect", expect)
    assert code == status
    assert "verdict: " in out  # the result is printed either way
    assert ("expected progressive, got buffered" in err) == (status == EXIT_FAILED)


async def test_a_stream_still_going_at_the_timeout_is_judged_on_what_came(base_url: str, capsys) -> None:
    code, out, _ = await run(capsys, f"{base_url}/chunked?count=50&interval=0.1", "--timeout", "0.8", "--json")
    result = json.loads(out)
    assert (code, result["ending"], result["verdict"]) == (EXIT_OK, "timeout", "progressive")
    assert 0.7 * 800 <= result["end_ms"] <= 800 + 500


async def test_it_never_reads_more_than_max_bytes(base_url: str, capsys) -> None:
    code, out, _ = await run(
        capsys, f"{base_url}/chunked?count=1000&interval=0.001&size=1000", "--max-bytes", "5000", "--json"
    )
    result = json.loads(out)
    assert (code, result["ending"]) == (EXIT_OK, "max-bytes")
    assert 0 < result["wire_bytes"] <= 5000


async def redirect(request: web.Request) -> web.Response:
    hops = int(request.match_info["hops"])
    target = "/done" if hops == 0 else f"/hop/{hops - 1}"
    raise web.HTTPFound(target)


async def done(request: web.Request) -> web.Response:
    return web.Response(text="done", content_type="text/plain")


@pytest.fixture
async def redirects(aiohttp_server: AiohttpServer) -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_get("/hop/{hops}", redirect)
    app.router.add_get("/done", done)
    server = await aiohttp_server(app, host="127.0.0.1")
    yield f"http://127.0.0.1:{server.port}"


async def test_redirects_are_followed_up_to_the_cap_and_recorded(redirects: str, capsys) -> None:
    code, out, _ = await run(capsys, f"{redirects}/hop/{MAX_REDIRECTS - 1}", "--json")
    result = json.loads(out)
    assert (code, result["status"], result["url"]) == (EXIT_OK, 200, f"{redirects}/done")
    assert len(result["redirects"]) == MAX_REDIRECTS


async def test_one_redirect_too_many_stops_with_its_own_status(redirects: str, capsys) -> None:
    code, out, err = await run(capsys, f"{redirects}/hop/{MAX_REDIRECTS}")
    assert (code, out) == (EXIT_BAD_RESPONSE, "")
    assert f"more than {MAX_REDIRECTS} redirects" in err


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed(tmp_path_factory.mktemp("tls"))


@pytest.fixture
async def https_base(aiohttp_server: AiohttpServer, certificate: tuple[Path, Path]) -> AsyncIterator[str]:
    server = await aiohttp_server(create_app(Settings()), host="127.0.0.1", ssl=server_context(*certificate))
    yield f"https://127.0.0.1:{server.port}"


async def test_a_self_signed_certificate_is_refused_without_insecure(https_base: str, capsys) -> None:
    code, out, err = await run(capsys, f"{https_base}/chunked?{SLOW}")
    assert (code, out) == (EXIT_TLS, "")
    assert "certificate" in err and "not trusted" in err and "--insecure" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(("scheme", "path"), [("https", "/chunked"), ("wss", "/ws")])
async def test_insecure_diagnoses_tls_streams(https_base: str, capsys, scheme: str, path: str) -> None:
    url = scheme + https_base.removeprefix("https") + f"{path}?{SLOW}"
    code, out, _ = await run(capsys, url, "--insecure", "--json")
    result = json.loads(out)
    assert (code, result["verdict"], result["http_version"]) == (EXIT_OK, "progressive", "HTTP/1.1")


@pytest.mark.parametrize(("scheme", "path", "plain"), [("https", "/chunked", "http"), ("wss", "/ws", "ws")])
async def test_tls_to_a_plain_http_server_says_to_try_it_without(
    base_url: str, capsys, scheme: str, path: str, plain: str
) -> None:
    address = base_url.removeprefix("http://")  # the app on loopback, plain HTTP only
    code, out, err = await run(capsys, f"{scheme}://{address}{path}")
    assert (code, out) == (EXIT_TLS, "")
    assert err == (
        f"transport-lab diagnose: TLS handshake with {address} failed: "
        f"the server answered plain HTTP, not TLS: try {plain}://{address}{path}\n"
    )


async def test_nothing_listening_is_unreachable(capsys) -> None:
    code, out, err = await run(capsys, f"http://127.0.0.1:{free_port()}/")
    assert (code, out) == (EXIT_UNREACHABLE, "")
    assert "connection refused" in err


@asynccontextmanager
async def raw_server(answer: bytes | None) -> AsyncIterator[int]:
    """A TCP server that reads a request head, then sends `answer` and closes, or with None
    never answers; every connection is closed when the test is done with it."""
    writers: list[asyncio.StreamWriter] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        await reader.readuntil(b"\r\n\r\n")  # all of it: unread data would turn the close into a reset
        if answer is not None:
            writer.write(answer)
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    async with server:
        yield server.sockets[0].getsockname()[1]
        for writer in writers:
            writer.close()


async def test_no_answer_before_the_timeout_has_its_own_status(capsys) -> None:
    async with raw_server(None) as port:
        code, out, err = await run(capsys, f"http://127.0.0.1:{port}/", "--timeout", "0.5")
    assert (code, out) == (EXIT_TIMEOUT, "")
    assert "no response head before --timeout" in err


@pytest.mark.parametrize(
    ("answer", "message"),
    [(b"SSH-2.0-OpenSSH_9.2\r\n\r\n", "not HTTP/1.1"), (b"", "closed the connection without an answer")],
)
async def test_an_answer_that_is_not_http_has_its_own_status(capsys, answer: bytes, message: str) -> None:
    async with raw_server(answer) as port:
        code, out, err = await run(capsys, f"http://127.0.0.1:{port}/", "--timeout", "5")
    assert (code, out) == (EXIT_BAD_RESPONSE, "")
    assert message in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["127.0.0.1:8080/chunked"], "not '127.0.0.1:8080/chunked' (did you mean http://127.0.0.1:8080/chunked?)"),
        # Refused before any name is looked up: nothing leaves this machine.
        (["example.invalid"], "not 'example.invalid' (did you mean http://example.invalid?)"),
        (["ftp://127.0.0.1/"], "URL must be http://, https://, ws:// or wss://"),
        (["http://127.0.0.1/", "--header", "NoColon"], "--header must be 'Name: value'"),
        (["http://127.0.0.1/", "--header", "Host: evil.test"], "--header Host is set by the exchange itself"),
        (["http://127.0.0.1/", "--method", "GET", "--data", "x"], "--data needs --method POST"),
        (["ws://127.0.0.1/ws", "--data", "x"], "a WebSocket opens with a GET"),
        (["http://127.0.0.1/", "--timeout", "0"], "--timeout must be between 0.1 and 3600"),
        (["http://127.0.0.1/", "--max-bytes", "2e9"], "--max-bytes must be a number"),
        (["http://127.0.0.1/", "--max-bytes", "0"], "--max-bytes must be between 1 and 1073741824"),
        (["http://127.0.0.1/", "--expect", "fast"], "invalid choice: 'fast'"),
    ],
)
def test_bad_usage_is_one_line_and_status_2(argv: list[str], message: str) -> None:
    done = run_app_command("diagnose", *argv)
    assert done.returncode == EXIT_USAGE
    assert message in done.stderr and "Traceback" not in done.stderr
    assert done.stdout == ""


def test_help_names_every_exit_status() -> None:
    done = run_app_command("diagnose", "--help")
    text = " ".join(done.stdout.split())
    assert done.returncode == 0
    for status in ("3 unreachable", "4 TLS failed", "5 timed out", "6 not HTTP", "1 --expect did not match"):
        assert status in text
    assert "8 an error status (400 or above: verdict error)" in text
    assert "9 a ws:// or wss:// URL answered without 101 (verdict not-upgraded)" in text
