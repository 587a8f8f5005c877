// A run as JSON or CSV, for analysis elsewhere: the parameters each stream really ran
// with, a summary per stream and every message. A big run's file is built in slices that
// give the page its turn between them, so exporting 80,000 messages never freezes it.

import { PARAM_NAMES } from "./registry.js";
import { yoursDocument } from "./yours.js";
import { comparisonDocument } from "./hops.js";
import { isYours } from "./run.js";

/** 2: per-stream `params` and `summary`, payload and wire bytes per message, the user agent. */
/** 3: the summary's `headers_ms` and the stream's `delay_max_ms` (2 said `ttfb_ms`, `held_max_ms`). */
export const EXPORT_FORMAT = 3;
/** Work per slice before the page gets its turn back: well under a 50 ms long task. */
const SLICE_MS = 6;
/** Text per slice: turning it into a Blob (UTF-8) costs ~1 ms per 100 kB, after the slice's own work. */
const SLICE_CHARS = 256 * 1024;
// Query keys that say how the page reads a stream, not what the server sends.
const NOT_PARAMS = new Set(["stamp", "via"]);
// Each stream's messages are written into the document's text here, a slice at a time.
const HOLE = (i) => `\u0000messages ${i}\u0000`;
const HOLE_TEXT = /"\\u0000messages (\d+)\\u0000"/;

export function round(ms) {
  return ms === null || ms === undefined ? null : Math.round(ms * 1000) / 1000;
}

/**
 * What the server ran for this stream: each parameter as its URL asked, else the
 * registry's default (what the server falls back to). Someone's own stream has none.
 */
export function usedParams(record) {
  const { spec } = record;
  if (spec.url) return null;
  const query = new URL(record.url, location.href).searchParams;
  const used = {};
  for (const name of PARAM_NAMES) used[name] = query.has(name) ? Number(query.get(name)) : (spec.defaults?.[name] ?? null);
  used.stamp = query.has("stamp") ? query.get("stamp") === "1" : Boolean(spec.defaults?.stamp);
  for (const [name, value] of query) if (!(name in used) && !NOT_PARAMS.has(name)) used[name] = Number(value);
  return used;
}

/** One stream's figures; byte counts are null until the readers count them. */
export function endpointSummary(record) {
  return {
    outcome: record.state,
    error: record.error,
    queued_ms: round(record.queuedMs),
    request_ms: round(record.requestT),
    headers_ms: round(record.openT),
    first_byte_ms: round(record.firstByteT),
    first_ms: round(record.firstT),
    last_ms: round(record.lastT),
    end_ms: round(record.endT),
    message_count: record.count,
    wire_bytes: record.wireBytes ?? null,
    payload_bytes: record.payloadBytes ?? null,
    // The transfer framing alone: a JSON array's `]` is in wire - payload but is body.
    framing_bytes: record.framingBytes ?? null,
    extra_wire_bytes: record.extraWireBytes ?? null,
  };
}

function messageRow(m, i) {
  const sent = m.sent ?? null;
  return {
    index: i,
    receive_ms: round(m.t),
    server_sent_ms: round(sent),
    delay_ms: sent === null ? null : round(m.t - sent),
    payload_bytes: m.payload ?? null,
    wire_bytes: m.wire ?? null,
    ...(m.id === null || m.id === undefined ? {} : { id: m.id }),
    text: m.text,
  };
}

function endpointHead(record, i) {
  const { spec } = record;
  return {
    name: spec.name,
    label: spec.label ?? spec.name,
    index: spec.index,
    endpoint: spec.endpoint,
    via: spec.via,
    path: spec.path,
    transport: spec.transport,
    url: record.url,
    params: usedParams(record),
    summary: endpointSummary(record),
    round_trips_ms: record.rtts.map(round),
    delay_max_ms: round(record.heldMax),
    most_messages_in_one_read: record.burst,
    dropped_ms: record.drops.map(round),
    reconnected_ms: record.reconnects.map(round),
    messages: HOLE(i),
    // Someone's own stream also carries its timeline and verdict, as `diagnose --json` does.
    ...(isYours(record) ? { your_stream: yoursDocument(record) } : {}),
  };
}

/** Several of someone's own streams are hops of one: their comparison, as `diagnose --json` gives it. */
function hopsOf(run) {
  const yours = run.records.filter(isYours);
  return yours.length > 1 ? { hops: comparisonDocument(yours) } : {};
}

/** The document without its messages. Times are ms since Run; `run.started_at` anchors them. */
function runHead(run) {
  return {
    tool: "Transport Lab",
    format: EXPORT_FORMAT,
    run: {
      started_at: run.startedAt,
      epoch_ms_at_run: round(run.epoch0),
      page: location.href,
      user_agent: navigator.userAgent,
      lanes: run.lanes,
      duration_ms: round(run.endT),
      stopped_ms: round(run.stopT ?? (run.stopped ? run.endT : null)),
    },
    // As typed (empty: each stream's default); each endpoint's `params` says what ran.
    params: run.params,
    ...(run.resolved ? { resolved: run.resolved } : {}),
    ...hopsOf(run),
    endpoints: run.records.map(endpointHead),
  };
}

function* jsonPieces(run) {
  const pieces = JSON.stringify(runHead(run), null, 2).split(HOLE_TEXT);
  for (let i = 0; i < pieces.length; i++) {
    if (i % 2 === 0) {
      yield pieces[i];
      continue;
    }
    const { messages } = run.records[Number(pieces[i])];
    yield "[";
    for (let j = 0; j < messages.length; j++) yield `${j ? "," : ""}\n        ${JSON.stringify(messageRow(messages[j], j))}`;
    yield messages.length ? "\n      ]" : "]";
  }
}

/**
 * One row per message. A stream that delivered none still has one row: its name and
 * nothing else (empty index), so every stream of the run is in the file.
 */
const CSV_COLUMNS = ["endpoint", "index", "receive_ms", "server_sent_ms", "delay_ms", "payload_bytes", "wire_bytes", "text"];
const MESSAGE_CELLS = CSV_COLUMNS.slice(1);

export function csvCell(value) {
  if (value === null || value === undefined) return "";
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function* csvLines(run) {
  yield `${CSV_COLUMNS.join(",")}\r\n`;
  for (const record of run.records) {
    const name = csvCell(record.spec.name);
    const { messages } = record;
    if (!messages.length) yield `${name}${",".repeat(MESSAGE_CELLS.length)}\r\n`;
    for (let i = 0; i < messages.length; i++) {
      const row = messageRow(messages[i], i);
      yield `${name},${MESSAGE_CELLS.map((key) => csvCell(row[key])).join(",")}\r\n`;
    }
  }
}

const yieldToPage = () =>
  globalThis.scheduler?.yield ? globalThis.scheduler.yield() : new Promise((resolve) => setTimeout(resolve, 0));

/** `pieces` (strings) into a Blob, a few ms of work at a time, each slice kept as a Blob of its own. */
async function slicedBlob(pieces, type) {
  const parts = [];
  let slice = [];
  let chars = 0;
  let start = performance.now();
  for (const piece of pieces) {
    slice.push(piece);
    chars += piece.length;
    if (chars > SLICE_CHARS || (slice.length % 16 === 0 && performance.now() - start > SLICE_MS)) {
      parts.push(new Blob(slice));
      slice = [];
      chars = 0;
      await yieldToPage();
      start = performance.now();
    }
  }
  parts.push(new Blob(slice));
  return new Blob(parts, { type });
}

/** The finished run as a file: "json" or "csv". */
export function exportBlob(run, format) {
  return format === "csv" ? slicedBlob(csvLines(run), "text/csv") : slicedBlob(jsonPieces(run), "application/json");
}

export async function exportRun(run, format) {
  download(exportName(run, format), await exportBlob(run, format));
}

export function download(filename, blob) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function exportName(run, extension) {
  return `transport-lab-${run.startedAt.replaceAll(":", "-").replace(/\..*$/, "")}.${extension}`;
}
