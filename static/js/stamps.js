// Server send times carried in messages (see `stamp` in /api/endpoints).

const TEXT_STAMP = / @(\d+(?:\.\d+)?)$/;

/** `Chunk 0 @1764000000000.000` -> ["Chunk 0", 1764000000000]; unstamped -> [text, null]. */
export function splitTextStamp(text) {
  const match = TEXT_STAMP.exec(text);
  if (!match) return [text, null];
  return [text.slice(0, match.index), Number(match[1])];
}

/** The `ts` member of a parsed JSON object, or null. */
export function jsonStamp(value) {
  if (value !== null && typeof value === "object" && typeof value.ts === "number") return value.ts;
  return null;
}

const JSON_STAMP_MEMBER = /,\s*"ts"\s*:\s*-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?=\s*\}\s*$)/;

/** The JSON text without its trailing `"ts"` member: the stamp is shown as a delay instead. */
export function withoutJsonStamp(text) {
  return text.replace(JSON_STAMP_MEMBER, "");
}
