"""The socket under `diagnose` (and `raw`): a connection opened (TLS when asked) with each
step's failure told apart, and every read bounded by the exchange's deadline."""

from __future__ import annotations

import asyncio
import socket
import ssl
import time

from ...exits import EXIT_TIMEOUT, EXIT_TLS, EXIT_UNREACHABLE

READ_SIZE = 65536
CLOSE_SECONDS = 1.0
#: OpenSSL's reasons when the first bytes back are no TLS record at all, as when a plain
#: HTTP server answers the handshake with its 400 (3.2 and later say record layer failure).
NOT_TLS_REASONS = frozenset({"WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE"})


class Failure(Exception):
    """The exchange could not be had: a line to print and the exit status it ends with."""

    def __init__(self, exit_code: int, message: str) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class Connection:
    """A socket's two ends, with every read bounded by the exchange's deadline."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, deadline: float) -> None:
        self.reader, self.writer, self.deadline = reader, writer, deadline

    async def read(self, size: int = READ_SIZE) -> bytes:
        """The next bytes (b"" at the end); TimeoutError once the deadline has passed."""
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        return await asyncio.wait_for(self.reader.read(size), remaining)

    async def send(self, data: bytes) -> None:
        """`data` written; TimeoutError when the peer has not taken it by the deadline."""
        self.writer.write(data)
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        await asyncio.wait_for(self.writer.drain(), remaining)

    async def close(self) -> None:
        """Closed for real before the command's loop ends (a close only scheduled would leave
        the socket open); a peer that never finishes a TLS goodbye, or never reads what is
        still to be written, gets a second, then the socket is dropped."""
        self.writer.close()
        try:
            await asyncio.wait_for(self.writer.wait_closed(), CLOSE_SECONDS)
        except TimeoutError:
            self.writer.transport.abort()
        except OSError:
            pass


class Clock:
    """Milliseconds since the request went out."""

    def __init__(self) -> None:
        self.start = time.perf_counter()

    def ms(self) -> float:
        return round((time.perf_counter() - self.start) * 1000, 3)


def tls_context(insecure: bool) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    context.set_alpn_protocols(["http/1.1"])
    return context


async def connect(host: str, port: int, tls: bool, insecure: bool, deadline: float, plain_url: str = "") -> Connection:
    """A connection, or a Failure that says which step failed; `plain_url`, the URL without
    TLS, is suggested when the server answers the handshake in plain text."""
    context = tls_context(insecure) if tls else None
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port, ssl=context, server_hostname=host if tls else None),
            max(deadline - time.monotonic(), 0.001),
        )
    except ssl.SSLCertVerificationError as error:
        raise Failure(
            EXIT_TLS,
            f"TLS: the certificate of {host} is not trusted ({error.verify_message}); "
            "--insecure diagnoses it anyway, without checking who answers",
        ) from None
    except ssl.SSLError as error:
        if error.reason in NOT_TLS_REASONS:
            try_plain = f": try {plain_url}" if plain_url else ""
            raise Failure(
                EXIT_TLS, f"TLS handshake with {host}:{port} failed: the server answered plain HTTP, not TLS{try_plain}"
            ) from None
        raise Failure(EXIT_TLS, f"TLS handshake with {host}:{port} failed: {error.reason or error}") from None
    except TimeoutError:
        raise Failure(EXIT_TIMEOUT, f"no connection to {host}:{port} before --timeout") from None
    except socket.gaierror as error:
        raise Failure(EXIT_UNREACHABLE, f"cannot resolve {host}: {error.strerror}") from None
    except ConnectionRefusedError:
        raise Failure(EXIT_UNREACHABLE, f"nothing listens at {host}:{port} (connection refused)") from None
    except OSError as error:
        raise Failure(EXIT_UNREACHABLE, f"cannot connect to {host}:{port}: {error.strerror or error}") from None
    return Connection(reader, writer, deadline)
