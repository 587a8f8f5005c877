// The parameters checked in the page against the bounds the server enforces (the same
// document as /api/endpoints "params"), so a bad value is marked on its field and Run
// sends nothing, instead of eight requests that all come back 400.
//
// Stricter than the server on purpose: plain ASCII digits (and one decimal point where the
// bound allows fractions), no exponent, sign or spaces, so `-5e`, `1e6` and `abc` are refused
// as typed rather than read as something else.

/** The server refuses a raw value longer than this before parsing it (app/params.py). */
const MAX_VALUE_LENGTH = 32;
const DIGITS = /^[0-9]+$/;
const DECIMAL = /^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$/;
/** How each bound's values are counted, for its message. */
const UNITS = { interval: " of seconds", size: " of bytes", drop: " of messages", idle: " of seconds", heartbeat: " of seconds" };
const SHOWN_CHARS = 20;

/** `[{name, min, max, type, doc}, …]` (choices included) as a Map by name, numbers only. */
export function numericBounds(list) {
  return new Map(list.filter((bound) => bound.type === "integer" || bound.type === "number").map((b) => [b.name, b]));
}

/** A bound as a person writes it: `1,000,000`, never `1e+06`; decimals only when it has them. */
export function formatBound(value) {
  return Number(value).toLocaleString("en-US", { maximumFractionDigits: 3 });
}

/** `count must be a whole number from 1 to 1,000,000`. */
export function rangeText(bound) {
  const kind = bound.type === "integer" ? "a whole number" : "a number";
  return `${bound.name} must be ${kind}${UNITS[bound.name] ?? ""} from ${formatBound(bound.min)} to ${formatBound(bound.max)}`;
}

function shown(raw) {
  return raw.length > SHOWN_CHARS ? `${raw.slice(0, SHOWN_CHARS)}…` : raw;
}

/** Null when `raw` may be sent ("" leaves the endpoint's default), else what is wrong, naming the bound. */
export function problem(bound, raw) {
  if (raw === "") return null;
  const shape = bound.type === "integer" ? DIGITS : DECIMAL;
  if (raw.length <= MAX_VALUE_LENGTH && shape.test(raw)) {
    const value = Number(raw);
    if (value >= bound.min && value <= bound.max) return null;
  }
  return `${rangeText(bound)}, not “${shown(raw)}”`;
}

/** Every value of `values` ({name: raw}) that has a bound and breaks it: [{name, message}], in order. */
export function problems(values, bounds) {
  const found = [];
  for (const [name, raw] of Object.entries(values)) {
    const bound = bounds.get(name);
    const message = bound ? problem(bound, raw) : null;
    if (message) found.push({ name, message });
  }
  return found;
}
