"""Which host names the server answers to.

A page on another site can make a browser send it requests under that site's own name
(DNS rebinding: `evil.example` resolving to 127.0.0.1), and then `Host` and `Origin`
both carry that name, so comparing one with the other proves nothing. The server answers
only names it serves: loopback names and addresses, the dashboard's `laneN.localhost`
names (which browsers resolve to loopback themselves), the address it is bound to, and
the names an operator lists (`--allowed-hosts`), as Django's ALLOWED_HOSTS does.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass

LOOPBACK_NAMES = frozenset({"localhost"})
LANE_NAME = re.compile(r"lane\d{1,3}\.localhost")
_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
_HOST_NAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*\.?")
#: `[v6]`, `[v6]:port`, `name` or `name:port`; a port of 1 to 5 digits.
_HOST_HEADER = re.compile(r"(?P<name>\[[0-9a-fA-F:.]+\]|[^:\[\]]+)(?::(?P<port>[0-9]{1,5}))?")
#: Addresses that bind every interface name no host in particular.
_UNSPECIFIED = frozenset({"", "0.0.0.0", "::"})


@dataclass(frozen=True, slots=True)
class HostHeader:
    """A well-formed `Host` value: the name (lower case, IPv6 without brackets), the port as written."""

    name: str
    port: int | None


def parse_host(value: str) -> HostHeader | None:
    """`Host: name[:port]`, or None when it is not one (bad characters, a port out of range)."""
    match = _HOST_HEADER.fullmatch(value.strip())
    if match is None:
        return None
    name, port_text = match["name"].lower(), match["port"]
    port = int(port_text) if port_text is not None else None
    if port is not None and not 0 < port < 65536:
        return None
    if name.startswith("["):
        name = name[1:-1]
        return HostHeader(name, port) if _ip(name) is not None else None
    if _ip(name) is None and not _HOST_NAME.fullmatch(name):
        return None
    return HostHeader(name.rstrip("."), port)


def _ip(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(name)
    except ValueError:
        return None


def is_valid_pattern(pattern: str) -> bool:
    """An operator's entry: a host name or address, or `.example.com` (it and every subdomain)."""
    name = pattern.lower().removeprefix(".")
    return bool(name) and (_ip(name.strip("[]")) is not None or bool(_HOST_NAME.fullmatch(name)))


def is_loopback(name: str) -> bool:
    """`localhost` or a loopback address (any of 127.0.0.0/8, ::1); brackets allowed."""
    name = name.lower().strip("[]")
    if name in LOOPBACK_NAMES:
        return True
    address = _ip(name)
    return address is not None and address.is_loopback


@dataclass(frozen=True, slots=True)
class AllowedHosts:
    names: frozenset[str]
    #: `.example.com` entries, kept as `.example.com`.
    suffixes: tuple[str, ...] = ()

    @classmethod
    def of(cls, bound_host: str, listed: Iterable[str] = ()) -> AllowedHosts:
        """Loopback, lanes and the bound address always; `listed` besides."""
        names = {bound_host.lower().strip("[]")} - _UNSPECIFIED
        suffixes = []
        for pattern in (entry.lower().strip() for entry in listed):
            if pattern.startswith("."):
                suffixes.append(pattern)
            else:
                names.add(pattern.strip("[]").rstrip("."))
        return cls(frozenset(names), tuple(suffixes))

    def allows(self, name: str) -> bool:
        """Whether `name` (lower case, IPv6 without brackets) is one this server answers to."""
        if is_loopback(name) or name in self.names or LANE_NAME.fullmatch(name):
            return True
        if _ip(name) is not None:
            return False
        return any(name.endswith(suffix) or name == suffix[1:] for suffix in self.suffixes)

    def allows_header(self, value: str) -> bool:
        host = parse_host(value)
        return host is not None and self.allows(host.name)
