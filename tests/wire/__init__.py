"""The wire codecs as pure functions: every decoder fed its input split at every byte, the
strict and counting decoders held to each other, and the cases shared with the page."""
