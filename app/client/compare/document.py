"""What `compare --json` keeps of a run's messages for its document: each stream's first ones.

The live view shows a message and lets it go; the document is printed at the end, so what
it lists is held until then. A server that sends without end (2 MiB of empty lines is 2
million messages, a few hundred bytes held for each) would make the document, and the
memory that holds it, as large as it likes. Each stream lists its first KEPT_MESSAGES
messages and counts the rest (`messages_not_kept`); its figures (`messages`, bytes, first
and last) count every one all the same.

Why the first ones, and not the document written as it goes: a script gets a document of
bounded size, every stream's messages listed from its start without holes (`messages` minus
`messages_not_kept` of them); written as it went, the document would still grow with what
the server sends (2 MiB of empty lines made 328 MB of JSON), for the script to load whole.
The text of the messages kept is bounded by the stream's own bounds (--max-bytes,
--max-decoded-bytes).
"""

from __future__ import annotations

from collections import Counter

from .model import Message, StreamResult

#: The most messages of one stream the document lists: hours of a stream paced at a
#: second, all of any endpoint's at its defaults, about 5 MiB held at most.
KEPT_MESSAGES = 10_000


class KeptMessages:
    """The messages the document lists, in arrival order, each stream's first KEPT_MESSAGES;
    a message past them is counted on its stream's result (`messages_not_kept`), not kept."""

    def __init__(self, results: list[StreamResult]) -> None:
        self.messages: list[Message] = []
        self._results = {result.stream: result for result in results}
        self._kept: Counter[str] = Counter()

    def add(self, message: Message) -> None:
        if self._kept[message.stream] < KEPT_MESSAGES:
            self._kept[message.stream] += 1
            self.messages.append(message)
        else:
            self._results[message.stream].messages_not_kept += 1
