"""Debian's nginx as a plain process in front of the app: the configuration of
docs/deploy.md, run from a temporary prefix on a loopback port (never the system service).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.processes import require_tool

DEPLOY_DOC = Path(__file__).resolve().parent.parent / "docs" / "deploy.md"
DEBIAN_NGINX = "/usr/sbin/nginx"
#: The first line of the fenced block in docs/deploy.md that the tests run.
CONFIG_MARKER = "# /etc/nginx/conf.d/transport-lab.conf"
#: What a test adds to prove streams survive compression of their own content types.
GZIP_STREAM_TYPES = "text/plain application/json application/x-ndjson text/event-stream"

_FENCE = re.compile(r"^```nginx\n(.*?)^```", re.MULTILINE | re.DOTALL)


def require_nginx() -> str:
    """nginx's path (Debian installs it in /usr/sbin, often not on a user's PATH)."""
    if os.path.exists(DEBIAN_NGINX) and shutil.which("nginx") is None:
        return DEBIAN_NGINX
    return require_tool("nginx", "apt-get install nginx")


def documented_config() -> str:
    """The nginx configuration block of docs/deploy.md, exactly as an operator copies it."""
    blocks = [block for block in _FENCE.findall(DEPLOY_DOC.read_text()) if block.startswith(CONFIG_MARKER)]
    assert len(blocks) == 1, f"docs/deploy.md must hold one ```nginx block starting {CONFIG_MARKER!r}"
    return blocks[0]


def documented_upstream(addresses: list[str]) -> str:
    """The doc's several-hosts `upstream` block, with its hosts replaced by `addresses`."""
    blocks = [b for b in _FENCE.findall(DEPLOY_DOC.read_text()) if b.startswith("upstream transport_lab {")]
    assert len(blocks) == 1, "docs/deploy.md must hold one several-hosts upstream block"
    documented = re.findall(r"^\s*server \S+;$", blocks[0], flags=re.MULTILINE)
    assert len(documented) == len(addresses), "one test backend per documented host"
    block = blocks[0]
    for line, address in zip(documented, addresses, strict=True):
        block = block.replace(line, f"    server {address};")
    return block


def with_upstream(config: str, upstream: str) -> str:
    """`config` with its upstream block swapped for `upstream`."""
    result, count = re.subn(r"^upstream transport_lab \{.*?^\}\n", upstream, config, flags=re.MULTILINE | re.DOTALL)
    assert count == 1, "expected one upstream block in the documented nginx config"
    return result


def _replace_once(pattern: str, replacement: str, text: str) -> str:
    result, count = re.subn(pattern, replacement, text, flags=re.MULTILINE)
    assert count == 1, f"expected exactly one {pattern!r} in the documented nginx config, found {count}"
    return result


def adapt(config: str, listen_port: int, upstream_port: int) -> str:
    """The documented config with only its addresses changed to loopback test ports."""
    config = _replace_once(r"^(\s*)listen 80;$", rf"\g<1>listen 127.0.0.1:{listen_port};", config)
    return _replace_once(r"^(\s*)server 127\.0\.0\.1:8080;$", rf"\g<1>server 127.0.0.1:{upstream_port};", config)


def main_config(prefix: Path, http_block: str) -> str:
    """A complete nginx.conf that keeps every path (pid, logs, temp files) under `prefix`."""
    user = "user root;\n" if os.geteuid() == 0 else ""
    temp = "\n".join(
        f"    {kind}_temp_path {prefix / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return (
        f"{user}worker_processes 1;\n"
        f"pid {prefix / 'nginx.pid'};\n"
        f"error_log {prefix / 'error.log'} info;\n"
        "events { worker_connections 1024; }\n"
        "http {\n"
        f"    access_log {prefix / 'access.log'};\n"
        f"{temp}\n"
        f"{http_block}\n"
        "}\n"
    )


def _wait_until_listening(process: subprocess.Popen[bytes], port: int, error_log: Path, within: float) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited with {process.returncode}: {error_log.read_text(errors='replace')}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"nginx did not listen on {port} within {within} s")


@dataclass(frozen=True)
class RunningNginx:
    port: int
    prefix: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def make_url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def error_log(self) -> str:
        return (self.prefix / "error.log").read_text(errors="replace")


@contextmanager
def run_nginx(binary: str, prefix: Path, http_block: str, port: int) -> Iterator[RunningNginx]:
    """nginx in the foreground (`daemon off`) with `http_block`; stopped gracefully after."""
    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (prefix / kind).mkdir(parents=True, exist_ok=True)
    conf = prefix / "nginx.conf"
    conf.write_text(main_config(prefix, http_block))
    error_log = prefix / "error.log"
    command = [binary, "-p", str(prefix), "-c", str(conf), "-e", str(error_log), "-g", "daemon off;"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_until_listening(process, port, error_log, within=10)
        yield RunningNginx(port, prefix)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)  # fast shutdown: a test's streams are over or abandoned
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        if process.stderr is not None:
            process.stderr.close()
