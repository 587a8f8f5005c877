"""Several places of one stream, named: `[NAME=]URL`, as `diagnose` and the page both take
them (`diagnose origin=URL edge=URL`, the page's `?stream=origin=URL&stream=edge=URL`)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

#: The most places read at once: each is a connection and a timeline held until the end.
MAX_HOPS = 8
#: `origin=https://...`: a name before the URL. A URL's own `=` (in its query) comes after
#: a `:` or a `/`, which a name never holds.
_NAMED = re.compile(r"^([A-Za-z][A-Za-z0-9_.-]{0,31})=(.+)$")


def split_target(text: str) -> tuple[str | None, str]:
    """(name, URL) of `[NAME=]URL`."""
    named = _NAMED.match(text)
    return (named.group(1), named.group(2)) if named else (None, text)


def hop_names(targets: list[tuple[str | None, str]]) -> list[str]:
    """Each hop's name: the one given, else its host (and port), else `hop N` when hosts repeat."""
    hosts = [name or urlsplit(url).netloc or url for name, url in targets]
    if len(set(hosts)) == len(hosts):
        return hosts
    return [name or f"hop {index}" for index, (name, _) in enumerate(targets, start=1)]
