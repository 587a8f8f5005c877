// Turning bytes into messages. Pure: no DOM, no network. A framer is fed decoded text
// with the time its bytes were read, and calls `emit(text, stamp, t)` per completed
// message; reads may split or join messages anywhere, so every framer keeps its tail.

import { jsonFramer } from "./json-scanner.js";
import { jsonStamp, splitTextStamp, withoutJsonStamp } from "./stamps.js";

export { jsonFramer, jsonStamp, splitTextStamp };

/** Newline-delimited messages; `parse(line)` returns [text, stamp]. */
export function lineFramer(parse, emit) {
  let tail = "";
  const line = (raw, t) => {
    const text = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    const [shown, stamp] = parse(text);
    emit(shown, stamp, t);
  };
  return {
    push(text, t) {
      const parts = (tail + text).split("\n");
      tail = parts.pop();
      for (const part of parts) line(part, t);
    },
    end(t) {
      if (tail !== "") line(tail, t);
      tail = "";
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
 */
export function eventFramer(emit) {
  let tail = "";
  const block = (raw, t) => {
    const data = raw.split("\n").filter((line) => line === "data" || line.startsWith("data:"));
    if (data.length) emit(data.map((line) => line.slice(5).replace(/^ /, "")).join("\n"), null, t);
  };
  return {
    push(text, t) {
      const blocks = (tail + text).replaceAll("\r\n", "\n").replaceAll("\r", "\n").split("\n\n");
      tail = blocks.pop();
      for (const raw of blocks) block(raw, t);
    },
    end() {
      tail = ""; // an event without its blank line is never dispatched
    },
  };
}
