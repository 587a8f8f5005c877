// Turning bytes into messages. Pure: no DOM, no network. A framer is fed decoded text
// with the time its bytes were read, and calls `emit(text, stamp, t, raw)` per completed
// message; reads may split or join messages anywhere, so every framer keeps its tail.
// `raw` (lineFramer, jsonFramer) is the message's extent in the body: its UTF-8 bytes from
// the end of the previous message through its own end (a line with its line break), and
// `end(t)` returns the bytes left after the last message, so together they are the body.

import { jsonFramer } from "./json-scanner.js";
import { jsonStamp, splitTextStamp, withoutJsonStamp } from "./stamps.js";
import { utf8Length } from "./wire.js";

export { jsonFramer, jsonStamp, splitTextStamp };

/** Newline-delimited messages; `parse(line)` returns [text, stamp]. */
export function lineFramer(parse, emit) {
  let tail = "";
  const line = (raw, t, breakBytes) => {
    const text = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    const [shown, stamp] = parse(text);
    emit(shown, stamp, t, utf8Length(raw) + breakBytes);
  };
  return {
    push(text, t) {
      const parts = (tail + text).split("\n");
      tail = parts.pop();
      for (const part of parts) line(part, t, 1);
    },
    end(t) {
      if (tail !== "") line(tail, t, 0);
      tail = "";
      return 0;
    },
  };
}

export function ndjsonLine(text) {
  try {
    const stamp = jsonStamp(JSON.parse(text));
    return [stamp === null ? text : withoutJsonStamp(text), stamp];
  } catch {
    return [text, null];
  }
}

/**
 * The framer for a content type, from the registry. `stamped` says whether the page
 * asked for stamps (so a trailing ` @123` on an unstamped line is left alone).
 */
export function framerFor(contentType, stamped, emit) {
  const mime = contentType.split(";")[0].trim().toLowerCase();
  const text = stamped ? splitTextStamp : (line) => [line, null];
  switch (mime) {
    case "application/json":
      return jsonFramer(emit);
    case "application/x-ndjson":
      return lineFramer(ndjsonLine, emit);
    default:
      if (mime.startsWith("text/")) return lineFramer(text, emit);
      throw new Error(`no reader for content type ${contentType}`);
  }
}

/**
 * Server-Sent Events, counted as EventSource would dispatch them: a block of fields ended
 * by a blank line, with at least one `data` field (comments and bare `retry:` are not events).
 * Lines end in CRLF, LF or CR, and a CRLF may be split between two reads: a CR ends its
 * line at once (an event is dispatched when its bytes are read, not at the next read), and
 * an LF right after it is then skipped.
 */
export function eventFramer(emit) {
  let tail = "", skipLf = false, first = true;
  const block = (raw, t) => {
    const data = raw.split("\n").filter((line) => line === "data" || line.startsWith("data:"));
    if (data.length) emit(data.map((line) => line.slice(5).replace(/^ /, "")).join("\n"), null, t);
  };
  return {
    push(text, t) {
      if (!text) return; // the decoder may hold a partial character back
      if (first) text = text.replace(/^\ufeff/, ""); // one BOM may open a stream
      first = false;
      if (skipLf && text.startsWith("\n")) text = text.slice(1);
      skipLf = text.endsWith("\r");
      const blocks = (tail + text).replaceAll("\r\n", "\n").replaceAll("\r", "\n").split("\n\n");
      tail = blocks.pop();
      for (const raw of blocks) block(raw, t);
    },
    end() {
      tail = ""; // an event without its blank line is never dispatched
    },
  };
}

/** What separates words but is no content: the white space Python's bytes.strip() removes. */
const CONTENT = /[^ \t\n\r\v\f]/;

/**
 * The lines of any other body, counted as `diagnose` counts them (app/client/diagnose/body.py):
 * a line with something besides white space is a message; the last line counts without its
 * line break only when the body had lines at all (a body without one is read as bytes).
 * Only the new text is split and a line keeps at most `maxShown` characters, so a long
 * body without line breaks costs neither time nor memory here.
 */
export function countedLineFramer(emit, maxShown = 400) {
  let open = "", filled = false, lines = 0;
  const close = (t) => {
    if (filled) {
      lines += 1;
      emit(open.endsWith("\r") ? open.slice(0, -1) : open, null, t);
    }
    open = "";
    filled = false;
  };
  const extend = (part) => {
    if (open.length < maxShown) open += part.slice(0, maxShown - open.length);
    filled ||= CONTENT.test(part);
  };
  return {
    push(text, t) {
      const parts = text.split("\n");
      extend(parts[0]);
      for (const part of parts.slice(1)) {
        close(t);
        extend(part);
      }
    },
    end(t) {
      if (lines) close(t);
    },
  };
}
