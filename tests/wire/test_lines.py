"""Newline-delimited text: the splitter keeps partial lines across every split, and the
counter counts the lines it gives, in each of its modes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.wire.errors import Limit, TooLarge
from app.wire.lines import LineCounter, LineSplitter
from tests.wire.splits import cut_at, examples, fed, splits

LINE_CASES = [
    (b"Chunk 0\nChunk 1\n", ["Chunk 0", "Chunk 1"], []),
    (b"Chunk 0\r\nChunk 1\r\n", ["Chunk 0", "Chunk 1"], []),
    (b'{"id": 1}\n{"id": 2}', ['{"id": 1}'], ['{"id": 2}']),
    (b"\n\n", ["", ""], []),
    ("caf\u00e9 \u2603\n".encode(), ["caf\u00e9 \u2603"], []),
    (b"", [], []),
]


@pytest.mark.parametrize(("data", "lines", "tail"), LINE_CASES)
def test_the_splitter_keeps_partial_lines_across_every_split(data: bytes, lines: list[str], tail: list[str]) -> None:
    for reads in splits(data):
        splitter, counter = LineSplitter(), LineCounter()
        assert fed(splitter.feed, reads) == lines, reads
        assert sum(counter.feed(read) for read in reads) == len(lines), reads
        assert (splitter.close(), counter.close()) == (tail, len(tail))


def test_a_line_comes_out_as_soon_as_its_newline_arrives() -> None:
    splitter = LineSplitter()
    assert splitter.feed(b"Chunk 0\nChu") == ["Chunk 0"]
    assert splitter.feed(b"nk 1") == []
    assert splitter.feed(b"\n") == ["Chunk 1"]


def test_json_array_items_are_the_lines_that_end_with_a_brace() -> None:
    body = b'[\n{"id": 1}\n,\n{"id": 2}\n,\n{"id": 3, "pad": "}x"}\n]'
    for reads in splits(body):
        counter = LineCounter(suffix=b"}")
        assert (sum(counter.feed(read) for read in reads), counter.close(), counter.received) == (3, 0, len(body))


def test_blank_lines_are_skipped_when_asked_and_the_last_line_counts_at_the_close() -> None:
    body = b'{"a":1}\n \n\n{"a":2}\r\n\t\n{"a":3}'
    for reads in splits(body):
        counter = LineCounter(skip_blank=True)
        assert sum(counter.feed(read) for read in reads) == 2, reads
        assert (counter.close(), counter.messages) == (1, 3)


def test_a_suffix_is_what_a_line_ends_with_and_not_with_skip_blank() -> None:
    for bad in ({"suffix": b"\n"}, {"suffix": b"}", "skip_blank": True}):
        with pytest.raises(ValueError, match="suffix"):
            LineCounter(**bad)  # type: ignore[arg-type]


text = st.text(st.sampled_from(["a", "}", " ", "\t", "\n", "\r", "é", "✓"]), max_size=60)


@examples(100)
@given(body=text, cuts=st.lists(st.integers(min_value=1, max_value=200), max_size=8))
def test_the_counter_counts_what_the_splitter_splits_however_the_reads_fall(body: str, cuts: list[int]) -> None:
    data = body.encode()
    splitter = LineSplitter()
    every, non_blank, braced = LineCounter(), LineCounter(skip_blank=True), LineCounter(suffix=b"}")
    lines: list[str] = []
    for read in cut_at(data, cuts):
        lines += splitter.feed(read)
        for counter in (every, non_blank, braced):
            counter.feed(read)
    ended = len(lines)
    lines += splitter.close()
    for counter in (every, non_blank, braced):
        counter.close()
    assert every.messages == len(lines)
    assert non_blank.messages == sum(1 for line in lines if line.encode().strip())
    # A brace right before the LF: a CR between them ends the line otherwise.
    raw_lines = data.split(b"\n")
    assert braced.messages == sum(1 for line in raw_lines[:ended] if line.endswith(b"}")) + (
        len(lines) > ended and raw_lines[-1].endswith(b"}")
    )


def test_a_line_longer_than_the_bound_is_refused_ended_or_not() -> None:
    splitter = LineSplitter(max_line=8)
    assert splitter.feed(b"12345678\r\n1234") == ["12345678"]
    assert splitter.feed(b"5678") == []
    with pytest.raises(TooLarge, match="line over 8 bytes") as raised:
        splitter.feed(b"9")  # no end yet: refused all the same
    assert raised.value.limit is Limit.LINE
    with pytest.raises(TooLarge):
        LineSplitter(max_line=8).feed(b"123456789\n")


def test_the_bound_counts_a_lines_bytes_not_its_characters() -> None:
    four = "\U0001f600"  # one character, four bytes
    splitter = LineSplitter(max_line=8)
    assert splitter.feed(f"{four * 2}\n".encode()) == [four * 2]
    with pytest.raises(TooLarge, match="line over 8 bytes"):
        splitter.feed((four * 3).encode())  # 3 characters, 12 bytes, not ended
