"""The frame decoder's message bound (what bounds a WebSocket message in `diagnose`): a
message is counted over all its frames from their headers, at every split of the reads, and
refused past `max_message` by the length a header declares, before the frame's payload arrives."""

from __future__ import annotations

import pytest

from app.wire.errors import Limit, TooLarge
from app.wire.websocket import FrameDecoder, Opcode, encode_frame

#: A message of 1024 bytes in two fragments with a ping between them, then one of 1000 bytes.
STREAM = b"".join(
    [
        encode_frame(Opcode.TEXT, b"a" * 600, fin=False),
        encode_frame(Opcode.PING, b"p" * 125),
        encode_frame(Opcode.CONTINUATION, b"b" * 424),
        encode_frame(Opcode.BINARY, b"c" * 1000),
    ]
)


def bound(max_message: int) -> FrameDecoder:
    return FrameDecoder(max_payload=max_message, max_message=max_message)


def fed(bound: FrameDecoder, data: bytes, cut: int) -> None:
    bound.feed(data[:cut])
    bound.feed(data[cut:])


@pytest.mark.parametrize("cut", range(len(STREAM) + 1))
def test_a_message_at_the_bound_passes_at_every_split(cut: int) -> None:
    fed(bound(1024), STREAM, cut)  # the ping's bytes are no message's; the next starts afresh


@pytest.mark.parametrize("cut", range(0, len(STREAM) + 1, 7))
def test_a_message_one_byte_past_the_bound_is_refused_at_every_split(cut: int) -> None:
    with pytest.raises(TooLarge) as refused:
        fed(bound(1023), STREAM, cut)
    assert (refused.value.limit, refused.value.size) == (Limit.MESSAGE, 1023)


def test_a_frame_is_refused_by_its_header_before_its_payload() -> None:
    with pytest.raises(TooLarge):
        bound(4 * 1024 * 1024).feed(bytes([0x80 | Opcode.TEXT, 127]) + (1024**3).to_bytes(8, "big"))
