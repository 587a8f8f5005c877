"""A self-signed certificate for loopback, made by openssl (installed by .ci/run), and the
server-side TLS context that serves it."""

from __future__ import annotations

import ssl
import subprocess
from pathlib import Path

from tests.processes import require_tool


def self_signed(folder: Path) -> tuple[Path, Path]:
    """(certificate, key) for CN=localhost with 127.0.0.1 and localhost as its names."""
    openssl = require_tool("openssl", "apt-get install openssl")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subject = ["-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"]
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            *subject,
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def server_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context
