// An incremental JSON scanner: it sees each value complete as its last byte arrives.
//
// A document whose root is an array is a stream of items (the streamed-array idiom):
// each direct child of the root is one message. Any other document is written node by
// node, so every completed value is one message, carrying the text received since the
// previous one (exactly what the server wrote between two pauses).
//
// A number is only known to be complete when the next character arrives, so it is
// reported with the time its own last byte was read, not the time of that delimiter.
//
// Each message also carries its raw extent: the UTF-8 bytes from the end of the previous
// message through the end of this value (separators and white space included), so the
// messages and what `end()` reports as left over add up to the whole body.

import { jsonStamp, withoutJsonStamp } from "./stamps.js";

const QUOTE = 34, BACKSLASH = 92, COMMA = 44, COLON = 58;
const OPEN_OBJECT = 123, CLOSE_OBJECT = 125, OPEN_ARRAY = 91, CLOSE_ARRAY = 93;
const LITERALS = new Set(["true", "false", "null"]);

function isSpace(code) {
  return code === 32 || code === 10 || code === 13 || code === 9;
}

/** UTF-8 bytes of one UTF-16 code unit (a surrogate pair's halves are 2 + 2). */
function utf8Width(code) {
  return code < 0x80 ? 1 : code < 0x800 || (code >= 0xd800 && code <= 0xdfff) ? 2 : 3;
}

function isDelimiter(code) {
  return isSpace(code) || code === COMMA || code === CLOSE_OBJECT || code === CLOSE_ARRAY || code === COLON;
}

export function jsonFramer(emit) {
  let buf = "";
  let base = 0; // absolute offset of buf[0]
  const stack = []; // frames: { array: bool, expectKey: bool }
  let itemsMode = null; // decided by the root's first character
  let inString = false, escaped = false, stringIsKey = false;
  let scalarStart = -1, scalarT = 0;
  let valueStart = -1; // items mode: where the current item began
  let mark = 0; // values mode: start of the text not yet emitted
  // Raw extents: bytes scanned before `current`, the width of the unit at `current`, and
  // the byte offset where the last message ended.
  let scanned = 0, current = 0, width = 0, emitted = 0;

  /** Bytes from the previous message's end through `end` (which is `current` or one past it). */
  function rawUpTo(end) {
    const through = scanned + (end > current ? width : 0);
    const raw = through - emitted;
    emitted = through;
    return raw;
  }

  const text = (from, to) => buf.slice(from - base, to - base);

  function complete(end, t) {
    const depth = stack.length;
    if (itemsMode && depth === 1) {
      const item = text(valueStart, end);
      let stamp = null;
      try { stamp = jsonStamp(JSON.parse(item)); } catch { /* shown as text anyway */ }
      emit(stamp === null ? item : withoutJsonStamp(item), stamp, t, rawUpTo(end));
      valueStart = -1;
    } else if (!itemsMode) {
      emit(text(mark, end).trim(), null, t, rawUpTo(end));
      mark = end;
    }
  }

  function startValue(at) {
    if (stack.length === 0 && itemsMode === null) {
      itemsMode = buf.charCodeAt(at - base) === OPEN_ARRAY;
      mark = at;
    }
    if (itemsMode && stack.length === 1 && valueStart < 0) valueStart = at;
  }

  function endScalar(end) {
    scalarStart = -1;
    complete(end, scalarT);
  }

  function closeContainer(end, t) {
    stack.pop();
    complete(end, t);
    if (stack.length === 0) itemsMode = null;
  }

  function scan(pos, t) {
    const code = buf.charCodeAt(pos - base);
    if (inString) {
      if (escaped) escaped = false;
      else if (code === BACKSLASH) escaped = true;
      else if (code === QUOTE) {
        inString = false;
        if (!stringIsKey) complete(pos + 1, t);
      }
      return;
    }
    if (scalarStart >= 0) {
      if (!isDelimiter(code)) {
        scalarT = t;
        if (LITERALS.has(text(scalarStart, pos + 1))) endScalar(pos + 1);
        return;
      }
      endScalar(pos);
    }
    if (isSpace(code)) return;
    const frame = stack[stack.length - 1];
    switch (code) {
      case COMMA:
        if (frame && !frame.array) frame.expectKey = true;
        return;
      case COLON:
        if (frame) frame.expectKey = false;
        return;
      case CLOSE_OBJECT:
      case CLOSE_ARRAY:
        closeContainer(pos + 1, t);
        return;
      case QUOTE:
        inString = true;
        stringIsKey = Boolean(frame && !frame.array && frame.expectKey);
        if (!stringIsKey) startValue(pos);
        return;
      case OPEN_OBJECT:
      case OPEN_ARRAY:
        startValue(pos);
        stack.push({ array: code === OPEN_ARRAY, expectKey: code === OPEN_OBJECT });
        return;
      default:
        startValue(pos);
        scalarStart = pos;
        scalarT = t;
        if (LITERALS.has(text(pos, pos + 1))) endScalar(pos + 1);
    }
  }

  function trim() {
    let keep = itemsMode ? (valueStart >= 0 ? valueStart : base + buf.length) : mark;
    if (scalarStart >= 0) keep = Math.min(keep, scalarStart);
    if (keep > base) {
      buf = buf.slice(keep - base);
      base = keep;
    }
  }

  return {
    push(chunk, t) {
      const from = base + buf.length;
      buf += chunk;
      for (let pos = from; pos < base + buf.length; pos++) {
        current = pos;
        width = utf8Width(buf.charCodeAt(pos - base));
        scan(pos, t);
        scanned += width;
      }
      trim();
    },
    /** The end of the body; returns the bytes after the last message (a closing `]`, white space). */
    end() {
      current = base + buf.length;
      width = 0;
      if (scalarStart >= 0) endScalar(base + buf.length);
      return scanned - emitted;
    },
  };
}
