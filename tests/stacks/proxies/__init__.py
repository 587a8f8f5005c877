"""The proxies and servers as the tests run them: each a plain foreground process on free
loopback ports, its configuration (a template beside this file) and every path it writes in
the test's directory, never the system service of its Debian package.

Each starter yields a `Proxy`: the running process and its ports by setup name ("default",
"gzip", …), so one process serves every setup of a program.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.nginx import main_config
from tests.stacks.harness import HERE, Running, foreground, free_port, python_command, render

CONFIGS = Path(__file__).resolve().parent
#: Where Debian's apache2 package keeps its modules.
APACHE_MODULES = Path("/usr/lib/apache2/modules")
#: The user Apache switches to when started as root (it refuses to serve as root).
APACHE_USER = "www-data"

#: The tools, each with how .ci/run installs it.
TOOLS = {
    "nginx": "apt-get install nginx",
    "apache2": "apt-get install apache2",
    "haproxy": "apt-get install haproxy",
    "varnishd": "apt-get install varnish",
    "caddy": "apt-get install caddy",
    "curl": "apt-get install curl",
}


@dataclass(frozen=True)
class Proxy:
    running: Running
    ports: dict[str, int]

    def url(self, setup: str, path: str) -> str:
        return f"http://127.0.0.1:{self.ports[setup]}{path}"


def ports(*setups: str) -> dict[str, int]:
    """A distinct free port per setup."""
    chosen: dict[str, int] = {}
    while len(chosen) < len(setups):
        port = free_port()
        if port not in chosen.values():
            chosen[setups[len(chosen)]] = port
    return chosen


@contextmanager
def upstream(workdir: Path) -> Iterator[Running]:
    """tests/stacks/upstream.py: the app behind every proxy."""
    port = free_port()
    with foreground("upstream", python_command(HERE / "upstream.py", str(port)), port, workdir) as running:
        yield running


@contextmanager
def blockwriter(workdir: Path) -> Iterator[Running]:
    """tests/stacks/blockwriter.py: a server with its own 8 KiB write buffer, nothing in front."""
    port = free_port()
    with foreground("blockwriter", python_command(HERE / "blockwriter.py", str(port)), port, workdir) as running:
        yield running


@contextmanager
def nginx(binary: str, workdir: Path, upstream_port: int) -> Iterator[Proxy]:
    """nginx (one process, a server block per setup of proxies/nginx.conf)."""
    named = ports("default", "gzip", "unbuffered", "gzip_unbuffered", "static")
    (workdir / "htdocs").mkdir(parents=True, exist_ok=True)
    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (workdir / kind).mkdir(exist_ok=True)
    http = render(CONFIGS / "nginx.conf", workdir / "http.conf", root=workdir, upstream=upstream_port, **_ported(named))
    conf = workdir / "nginx.conf"
    conf.write_text(main_config(workdir, http.read_text()))
    command = [binary, "-p", str(workdir), "-c", str(conf), "-e", str(workdir / "error.log"), "-g", "daemon off;"]
    with foreground("nginx", command, named["default"], workdir) as running:
        yield Proxy(running, named)


def _ported(named: dict[str, int]) -> dict[str, int]:
    return {f"{setup}_port": port for setup, port in named.items()}


def cgi_python() -> str:
    """An interpreter the CGI's user can run: Debian's python3 when Apache switches to www-data
    (this venv may sit in root's home), else this one."""
    system = shutil.which("python3", path="/usr/bin:/bin")
    return system if os.geteuid() == 0 and system else sys.executable


def _apache_root(workdir: Path) -> Path:
    """Started as root, Apache serves as www-data, which may not read pytest's temporary
    directories (root's alone): then it gets a directory of its own that www-data may read."""
    if os.geteuid() != 0:
        workdir.mkdir(parents=True, exist_ok=True)
        return workdir
    root = Path(tempfile.mkdtemp(prefix="transport-lab-apache-"))
    root.chmod(0o755)
    return root


@contextmanager
def apache(binary: str, workdir: Path, upstream_port: int) -> Iterator[Proxy]:
    """Apache httpd (prefork, mod_cgi with proxies/cgi_lines.py as /cgi/lines.cgi, mod_proxy
    under /proxy/) in the foreground."""
    root = _apache_root(workdir)
    try:
        for folder in ("cgi", "htdocs"):
            (root / folder).mkdir(mode=0o755, exist_ok=True)
        script = root / "cgi" / "lines.cgi"
        script.write_text(f"#!{cgi_python()}\n" + (CONFIGS / "cgi_lines.py").read_text())
        script.chmod(0o755)
        named = ports("default")
        user = f"User {APACHE_USER}\nGroup {APACHE_USER}" if os.geteuid() == 0 else ""
        values = {"root": root, "port": named["default"], "upstream": upstream_port, "user": user}
        conf = render(CONFIGS / "apache.conf", root / "httpd.conf", **values)
        with foreground("apache", [binary, "-f", str(conf), "-DFOREGROUND"], named["default"], root) as running:
            yield Proxy(running, named)
    finally:
        if root != workdir:
            shutil.rmtree(root, ignore_errors=True)


@contextmanager
def haproxy(binary: str, workdir: Path, upstream_port: int) -> Iterator[Proxy]:
    """HAProxy in the foreground (-db): a frontend per setup of proxies/haproxy.cfg."""
    named = ports("default", "gzip", "nodelay")
    conf = render(CONFIGS / "haproxy.cfg", workdir / "haproxy.cfg", upstream=upstream_port, port=named["default"],
                  gzip_port=named["gzip"], nodelay_port=named["nodelay"])  # fmt: skip
    with foreground("haproxy", [binary, "-db", "-f", str(conf)], named["default"], workdir) as running:
        yield Proxy(running, named)


@contextmanager
def varnish(binary: str, workdir: Path, upstream_port: int) -> Iterator[Proxy]:
    """varnishd in the foreground (-F) with its own -n directory, no jail (it runs as whoever
    started it), no management port, a small memory store."""
    named = ports("default")
    vcl = render(CONFIGS / "varnish.vcl", workdir / "default.vcl", upstream=upstream_port)
    command = [binary, "-F", "-j", "none", "-n", str(workdir / "varnish"), "-T", "none", "-s", "malloc,32m"]
    command += ["-a", f"127.0.0.1:{named['default']}", "-f", str(vcl)]
    with foreground("varnish", command, named["default"], workdir, within=30) as running:
        yield Proxy(running, named)


@contextmanager
def caddy(binary: str, workdir: Path, upstream_port: int) -> Iterator[Proxy]:
    """caddy run with proxies/Caddyfile; HOME and XDG_* in the test's directory."""
    named = ports("default", "gzip", "flushing")
    conf = render(CONFIGS / "Caddyfile", workdir / "Caddyfile", upstream=upstream_port, port=named["default"],
                  gzip_port=named["gzip"], flushing_port=named["flushing"])  # fmt: skip
    home = {"HOME": str(workdir), "XDG_DATA_HOME": str(workdir / "data"), "XDG_CONFIG_HOME": str(workdir / "config")}
    command = [binary, "run", "--config", str(conf), "--adapter", "caddyfile"]
    with foreground("caddy", command, named["default"], workdir, env=home) as running:
        yield Proxy(running, named)


Starter = Callable[[str, Path, int], AbstractContextManager[Proxy]]
#: Each proxy: the tool it runs (a key of TOOLS) and its starter (binary, workdir, upstream port).
PROXIES: dict[str, tuple[str, Starter]] = {
    "nginx": ("nginx", nginx),
    "apache": ("apache2", apache),
    "haproxy": ("haproxy", haproxy),
    "varnish": ("varnishd", varnish),
    "caddy": ("caddy", caddy),
}
