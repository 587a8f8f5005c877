"""The check a client's frames pass before aiohttp reads them: masked frames, valid close
codes, wherever the reads happen to split the frames."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from app.server.transports.client_frames import ClientFrameCheck, Violation, is_valid_close_code
from app.wire.websocket import Opcode, close_payload, encode_frame

GOOD = b"".join(
    [
        encode_frame(Opcode.TEXT, b"hello", mask=True),
        encode_frame(Opcode.PING, b"p", mask=True),
        encode_frame(Opcode.TEXT, b"x" * 300, mask=True),  # a 16-bit length
        encode_frame(Opcode.TEXT, b"", mask=True),
        encode_frame(Opcode.CLOSE, b"", mask=True),  # no code at all: 1005
        encode_frame(Opcode.CLOSE, close_payload(4999, "bye"), mask=True),
    ]
)


def forwarded(pieces: Iterable[bytes]) -> tuple[int, str | None]:
    """Bytes that pass on to aiohttp's reader before the first violation, and its reason.
    Reads before the one that shows the violation have passed whole, so the start of the
    bad frame may have too: never all of it."""
    check, passed = ClientFrameCheck(), 0
    for piece in pieces:
        try:
            check.feed(piece)
        except Violation as violation:
            return passed + violation.offset, violation.reason
        passed += len(piece)
    return passed, None


def splits(data: bytes) -> Iterable[list[bytes]]:
    """`data` whole, cut in two at every byte, and one byte a read."""
    yield [data]
    for cut in range(1, len(data)):
        yield [data[:cut], data[cut:]]
    yield [data[i : i + 1] for i in range(len(data))]


def test_masked_frames_with_valid_close_codes_pass_however_they_are_split() -> None:
    for pieces in splits(GOOD):
        assert forwarded(pieces) == (len(GOOD), None)


def assert_refused(good: bytes, bad: bytes, reason: str) -> None:
    """However `good + bad` is split: every byte of `good` passes, `bad` never whole."""
    for pieces in splits(good + bad):
        passed, refused = forwarded(pieces)
        assert refused == reason
        assert len(good) <= passed < len(good) + len(bad), pieces


def test_an_unmasked_frame_is_refused_and_the_frames_before_it_pass() -> None:
    good = encode_frame(Opcode.TEXT, b"hello", mask=True) + encode_frame(Opcode.PING, b"p", mask=True)
    assert_refused(good, encode_frame(Opcode.TEXT, b"unmasked", mask=False), "a client's frames must be masked")


@pytest.mark.parametrize("code", [5000, 65535, 999, 1004, 1005, 1006, 1015, 1016, 2999])
def test_a_close_code_no_endpoint_may_send_is_refused(code: int) -> None:
    bad = encode_frame(Opcode.CLOSE, close_payload(code), mask=True)
    assert_refused(encode_frame(Opcode.TEXT, b"hi", mask=True), bad, f"invalid close code {code}")


def test_a_close_frame_of_one_byte_is_refused() -> None:
    assert forwarded([encode_frame(Opcode.CLOSE, b"\x03", mask=True)]) == (0, "a close frame's code takes two bytes")


@pytest.mark.parametrize("code", [1000, 1003, 1007, 1011, 1014, 3000, 4999])
def test_defined_and_open_close_codes_are_valid(code: int) -> None:
    assert is_valid_close_code(code)
