"""Ways of cutting an input into reads, as a socket may: whole, in two at every byte, one byte
at a time."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import TypeVar

from hypothesis import settings

T = TypeVar("T")


def examples(count: int) -> settings:
    """Hypothesis settings for a pure codec: `count` examples, no deadline (a loaded machine
    is no bug), and no example database written into the checkout."""
    return settings(max_examples=count, deadline=None, database=None)


def splits(data: bytes) -> Iterator[list[bytes]]:
    """The whole input, then every way of cutting it in two, then one byte at a time."""
    yield [data]
    for cut in range(1, len(data)):
        yield [data[:cut], data[cut:]]
    yield [data[i : i + 1] for i in range(len(data))]


def cut_at(data: bytes, cuts: list[int]) -> list[bytes]:
    """`data` cut at the given positions (in any order, repeats and out-of-range ignored)."""
    edges = [0, *sorted({cut for cut in cuts if 0 < cut < len(data)}), len(data)]
    return [data[start:end] for start, end in itertools.pairwise(edges)]


def fed(feed: Callable[[bytes], list[T]], reads: list[bytes]) -> list[T]:
    """Everything a decoder's `feed` gave over the reads, in order."""
    return [item for read in reads for item in feed(read)]
