"""WebSocket frames: one encoder for both ends, the strict decoder and the counting decoder at
every split and held to each other, their bounds, and the handshake's keys."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.wire.errors import WireError
from app.wire.websocket import (
    DATA_OPCODES,
    Frame,
    FrameCounter,
    FrameDecoder,
    Opcode,
    accept_key,
    close_code,
    close_payload,
    encode_frame,
    frame_header_bytes,
)
from tests.wire.splits import cut_at, examples, fed, splits

STREAM = [
    Frame(Opcode.TEXT, b"hello"),
    Frame(Opcode.BINARY, b"x" * 300),
    Frame(Opcode.PING, b"are you there"),
    Frame(Opcode.TEXT, b"z" * 70_000),
    Frame(Opcode.CLOSE, close_payload(1000)),
]


def server_bytes(frames: list[Frame]) -> bytes:
    return b"".join(encode_frame(f.opcode, f.payload, fin=f.fin) for f in frames)


def test_frames_come_out_whole_wherever_the_bytes_are_split() -> None:
    data = server_bytes(STREAM[:3] + STREAM[4:])
    for reads in splits(data):
        assert fed(FrameDecoder(max_payload=1 << 20).feed, reads) == STREAM[:3] + STREAM[4:], [len(r) for r in reads]


def test_every_length_form_is_decoded_and_counted_in_reads_of_any_size() -> None:
    data = server_bytes(STREAM)
    for size in (1, 2, 3, 7, 1000, len(data)):
        reads = [data[start : start + size] for start in range(0, len(data), size)]
        counter = FrameCounter()
        for read in reads:
            counter.feed(read)
        assert fed(FrameDecoder(max_payload=1 << 20).feed, reads) == STREAM
        assert (counter.messages, counter.payload_bytes, counter.closed) == (3, 5 + 300 + 70_000, True), size


def test_a_client_frame_is_masked_and_the_same_codec_unmasks_it() -> None:
    for payload in (b"", b"ping!", b"y" * 200, b"w" * 70_000):
        data = encode_frame(Opcode.TEXT, payload, mask=True)
        assert data[1] & 0x80 and len(data) == frame_header_bytes(len(payload), masked=True) + len(payload)
        assert payload == b"" or data[-len(payload) :] != payload
        for reads in ([data], cut_at(data, [1, 2, 5, 9])):
            assert fed(FrameDecoder(max_payload=1 << 20, masked=True).feed, reads) == [Frame(Opcode.TEXT, payload)]


def test_a_frame_over_the_bound_is_refused_before_it_is_buffered() -> None:
    with pytest.raises(WireError, match="more than the 100 allowed"):
        FrameDecoder(max_payload=100).feed(bytes([0x82, 126]) + (1000).to_bytes(2, "big"))


@pytest.mark.parametrize(
    ("data", "masked", "error"),
    [
        (encode_frame(Opcode.TEXT, b"x", mask=True), False, "server's frames must not be masked"),
        (encode_frame(Opcode.TEXT, b"x"), True, "client's frames must be masked"),
        (bytes([0x83, 0]), False, "unknown opcode 0x3"),
        (bytes([0x09, 0]), False, "control frames are final"),
        (bytes([0x89, 126]) + (126).to_bytes(2, "big"), False, "control frames are final and short"),
    ],
    # Named by the rule: a masked frame's key is random, and every test process (pytest-xdist's
    # workers) must collect the same ids.
    ids=["masked-from-server", "unmasked-from-client", "unknown-opcode", "fragmented-control", "long-control"],
)
def test_frames_that_break_the_rules_are_refused(data: bytes, masked: bool, error: str) -> None:
    with pytest.raises(WireError, match=error):
        FrameDecoder(max_payload=1000, masked=masked).feed(data)


def test_the_encoder_refuses_a_control_frame_it_must_not_send() -> None:
    with pytest.raises(ValueError, match="125"):
        encode_frame(Opcode.PING, b"x" * 126)
    with pytest.raises(ValueError, match="final"):
        encode_frame(Opcode.CLOSE, fin=False)


frames = st.lists(
    st.one_of(
        st.builds(Frame, st.sampled_from(sorted(DATA_OPCODES)), st.binary(max_size=300), st.booleans()),
        st.builds(Frame, st.sampled_from([Opcode.PING, Opcode.PONG]), st.binary(max_size=125)),
    ),
    max_size=6,
)


@examples(60)
@given(frames=frames, cuts=st.lists(st.integers(min_value=1, max_value=2000), max_size=8))
def test_the_strict_and_counting_decoders_agree_however_the_reads_fall(frames: list[Frame], cuts: list[int]) -> None:
    data = server_bytes([*frames, Frame(Opcode.CLOSE, close_payload(1001))])
    decoder, counter = FrameDecoder(max_payload=1 << 20), FrameCounter()
    decoded = []
    for read in cut_at(data, cuts):
        decoded += decoder.feed(read)
        counter.feed(read)
    data_frames = [f for f in decoded if f.opcode in DATA_OPCODES]
    assert decoded[:-1] == frames and close_code(decoded[-1].payload) == 1001
    assert counter.messages == sum(f.fin for f in data_frames)
    assert counter.payload_bytes == sum(len(f.payload) for f in data_frames)
    assert counter.closed


@pytest.mark.parametrize(
    ("payload", "masked", "header"),
    [(0, False, 2), (125, False, 2), (126, False, 4), (65535, False, 4), (65536, False, 10), (20, True, 6)],
)
def test_frame_header_bytes_is_what_the_encoder_writes(payload: int, masked: bool, header: int) -> None:
    assert frame_header_bytes(payload, masked) == header
    assert len(encode_frame(Opcode.BINARY, bytes(payload), mask=masked)) == header + payload


def test_a_close_frame_without_a_code_stands_for_1005() -> None:
    assert (close_code(b""), close_code(close_payload(1011, "oops"))) == (1005, 1011)


def test_the_accept_key_is_rfc_6455s_example() -> None:
    assert accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
