"""The check a client's frames pass before aiohttp reads them: masked frames, valid close
codes, wherever the reads happen to split the frames; and the pace a socket is read at:
no message before the last is answered, none the memory budget cannot take."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import pytest

from app.server.streams import StreamStats
from app.server.transports.client_frames import ClientFrameCheck, Violation, is_valid_close_code
from app.server.transports.inbound import FRAME_OVERHEAD, InboundFlow
from app.wire.websocket import Opcode, close_payload, encode_frame, parse_header

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


# What the messages hold, and what the flow of a socket makes of it.

#: The data frames of GOOD that begin a message: where their headers start, and their size.
GOOD_MESSAGES = [(5, 1), (300, 1), (0, 1)]


def message_headers(data: bytes) -> list[range]:
    """Where the header of each frame that begins a message lies in `data` (GOOD's are final)."""
    headers, position = [], 0
    while position < len(data):
        first, size, header_bytes, _ = parse_header(data, position)  # type: ignore[misc]
        if first & 0x0F in (Opcode.TEXT, Opcode.BINARY):
            headers.append(range(position, position + header_bytes))
        position += header_bytes + size
    return headers


class RefuseOnce:
    """An `admit` that refuses each message once, then lets it begin."""

    def __init__(self) -> None:
        self.refuse = True

    def __call__(self, size: int, begins: bool) -> bool:
        self.refuse = not self.refuse
        return self.refuse


def test_a_message_refused_is_not_taken_and_passes_when_fed_again_however_split() -> None:
    """`feed` stops where the refused message begins (or at the start of the read, when
    the last read held the start of its header: that was taken then), and the rest, fed
    again, passes whole."""
    headers = message_headers(GOOD)
    for pieces in splits(GOOD):
        check, admit, passed, refusals = ClientFrameCheck(), RefuseOnce(), 0, list[int]()
        for piece in pieces:
            while piece:
                taken = check.feed(piece, admit)
                passed += taken
                if taken < len(piece):
                    refusals.append(passed)
                piece = piece[taken:]
        assert passed == len(GOOD)
        assert check.messages == GOOD_MESSAGES
        assert len(refusals) == len(headers)
        assert all(at in header for header, at in zip(headers, refusals, strict=True)), pieces


def test_a_fragmented_message_is_one_message_of_all_its_frames() -> None:
    check, asked = ClientFrameCheck(max_payload=100), []
    data = b"".join(
        [
            encode_frame(Opcode.TEXT, b"ab", fin=False, mask=True),
            encode_frame(Opcode.PING, b"p", mask=True),  # a control frame may come between
            encode_frame(Opcode.CONTINUATION, b"c" * 300, fin=False, mask=True),
            encode_frame(Opcode.CONTINUATION, b"de", mask=True),
        ]
    )
    assert check.feed(data, lambda size, begins: asked.append((size, begins)) is None) == len(data)
    # A frame announcing more than aiohttp takes counts as what it takes (it fails the socket).
    assert asked == [(2, True), (100, False), (2, False)]
    assert check.messages == [(104, 3)]


class Connection:
    """What InboundFlow uses of aiohttp's connection: its reading hold."""

    def __init__(self) -> None:
        self._buffer_paused = False
        self.transport = None

    def _pause_reading_for_buffer(self) -> None:
        self._buffer_paused = True

    def _resume_reading_for_buffer(self) -> None:
        self._buffer_paused = False


class Socket:
    """One socket's frames through its check and flow, as CheckedReader feeds them."""

    def __init__(self, budget: StreamStats) -> None:
        self.budget, self.check, self.connection = budget, ClientFrameCheck(), Connection()
        self.flow = InboundFlow(budget)
        self.withheld, self.taken = b"", b""
        self.flow.attach(self.connection, self.retry)  # type: ignore[arg-type]

    def send(self, data: bytes) -> None:
        taken = self.check.feed(data, self.admit)
        self.taken += data[:taken]
        if taken < len(data):
            self.withheld += data[taken:]
            self.flow.withheld(len(data) - taken)
        self.flow.read(self.check)

    def admit(self, size: int, begins: bool) -> bool:
        self.flow.read(self.check)
        return self.flow.admit(size, begins)

    def retry(self) -> None:
        data, self.withheld = self.withheld, b""
        self.send(data)

    @property
    def reading(self) -> bool:
        return not self.connection._buffer_paused


#: Three client messages of 1,000 bytes.
A, B, C = (encode_frame(Opcode.TEXT, letter * 1000, mask=True) for letter in (b"a", b"b", b"c"))


COST = 1000 + FRAME_OVERHEAD  # what a 1000-byte message holds


def test_a_socket_reads_no_next_message_until_the_last_is_answered() -> None:
    budget = StreamStats(max_streams=10, memory_budget=1 << 20)
    socket = Socket(budget)
    socket.send(A + B)
    assert not socket.reading
    assert socket.withheld == B  # not even the second one's header passed
    assert budget.inbound == COST + len(socket.withheld)
    socket.flow.answering(40)
    assert budget.inbound == 40 + len(socket.withheld)  # the answer, instead of the message
    socket.flow.answered()
    assert (budget.inbound, socket.withheld, socket.reading) == (COST, b"", False)
    socket.flow.answering(40)
    socket.flow.answered()
    assert (budget.inbound, socket.reading) == (0, True)


async def test_a_message_the_budget_cannot_take_waits_for_room_in_turn() -> None:
    budget = StreamStats(max_streams=10, memory_budget=2 * COST)
    first, second, third = Socket(budget), Socket(budget), Socket(budget)
    first.send(A)
    second.send(B[:500])
    third.send(C)
    assert (first.reading, second.reading, third.reading) == (False, True, False)
    assert third.taken == b"" and list(budget.waiting) == [third.flow]
    second.send(B[500:])  # the rest of a message begun: taken, room or not
    assert second.taken == B
    first.flow.answered()
    second.flow.answered()
    await asyncio.sleep(0)  # what waited is fed on the loop's next pass
    assert third.taken == C and not budget.waiting
    assert budget.inbound == COST


def test_a_socket_that_waits_holds_no_charge_and_gives_everything_back_when_it_ends() -> None:
    budget = StreamStats(max_streams=10, memory_budget=COST // 2)
    socket = Socket(budget)
    socket.send(A)
    assert socket.taken == b"" and not socket.reading
    assert budget.inbound == len(socket.withheld)  # what it read, and no more
    socket.flow.stop(read_on=True)
    assert (budget.inbound, budget.waiting, socket.reading) == (0, {}, True)
