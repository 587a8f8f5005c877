// Bytes on the wire, counted as `transport-lab compare` counts them (app/wire/):
// the body as sent plus its transfer framing, response headers excluded. Pure arithmetic:
// a page never sees chunk size lines, SSE field syntax or frame headers, so it computes
// them from what this server writes (one chunk per message, app/server/transports/).

/** `0\r\n\r\n`: the last chunk and the end of an empty trailer. */
export const LAST_CHUNK = 5;

/** What the page means by wire bytes, in one line (shown once above the columns). */
export const WIRE_EXPLAINED =
  "Wire bytes = each body as sent + its transfer framing (chunk size lines, SSE id:/data: lines, WebSocket " +
  "frame headers), response headers not counted, as transport-lab compare counts them; the page's own " +
  "pings and echoes and the close frame are not counted.";

export function utf8Length(text) {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0x7f) bytes += code > 0x7ff && (code < 0xd800 || code > 0xdfff) ? 2 : 1;
  }
  return bytes;
}

/** Bytes chunked encoding adds around an n-byte chunk: `<hex>\r\n` before, `\r\n` after. */
export function chunkFraming(n) {
  return n > 0 ? n.toString(16).length + 4 : 0;
}

/** One event as this server writes it (app/wire/sse.py encode_event). */
export function sseEventBytes(id, data) {
  const lines = data.split("\n");
  return utf8Length(`id: ${id}\n`) + lines.reduce((sum, line) => sum + utf8Length(`data: ${line}\n`), 0) + 1;
}

/** RFC 6455 header of an unmasked (server) frame: 2 bytes, +2 or +8 for an extended length. */
export function wsFrameHeader(n) {
  return n < 126 ? 2 : n < 65536 ? 4 : 10;
}

/** A message that is one chunk on the wire: its bytes and their framing. */
export function chunkedWire(bytes) {
  return bytes + chunkFraming(bytes);
}

/** An SSE event, one chunk of its own: the event's bytes, then the chunk framing around them. */
export function sseWire(id, data) {
  return chunkedWire(sseEventBytes(id, data));
}

/** A WebSocket text message of `payload` bytes in one frame. */
export function wsWire(payload) {
  return payload + wsFrameHeader(payload);
}

/**
 * What a culprit lane's column says of its wire bytes ("" where they are computed exactly):
 * through gzip or a buffering proxy the body is re-cut into chunks the page cannot see.
 */
export function wireNote(record) {
  const via = record.spec?.via;
  if (!via || !record.state || record.state === "idle") return "";
  if (record.wireBytes !== null && record.wireBytes !== undefined && record.wireExact) {
    return `Wire bytes are the body's (${record.wireBytes} B, the browser's Resource Timing): ${via} sent it whole ` +
      "with a Content-Length, so it has no chunk framing to hide.";
  }
  if (record.wireBytes !== null && record.wireBytes !== undefined) {
    return `Wire bytes are a floor: the body as it crossed the wire (${record.wireBytes - LAST_CHUNK} B, ` +
      `the browser's Resource Timing) and the last chunk; how ${via} cut the body into chunks is hidden ` +
      "from a page, so their size lines (hex digits + 4 bytes each) and each message's wire bytes are not known.";
  }
  if (record.state === "waiting" || record.state === "streaming" || record.state === "reconnecting") {
    return `Through ${via} the page cannot see each message's wire bytes; the body's are known when it ends.`;
  }
  return `Wire bytes unknown: through ${via} the page cannot count them, and the browser's Resource Timing ` +
    "gave no body size for this request (it gives none for an EventSource the page closed).";
}
