// A run as the history keeps it: each stream's summary (the export's own figures, so a run
// and its exported file read back alike) and its message times as typed arrays. A run too
// big to keep whole keeps its summaries and an evenly spread sample of each stream's times.
// Pure functions: no DOM, no storage.

import { endpointSummary, round, usedParams } from "./exporter.js";

/** Past this many messages in one run (4 numbers each: 1 MiB) only a sample of times is kept. */
export const MAX_KEPT_MESSAGES = 32_768;
/** Message times kept per stream of a run too big to keep whole, its first and last included. */
export const SAMPLE_PER_STREAM = 200;
const BYTES_PER_MESSAGE = 4 * Float64Array.BYTES_PER_ELEMENT;
/** A stream's names, parameters and summary, roughly. */
const BYTES_PER_STREAM = 1024;

/** `n` evenly spread positions in 0..length-1, first and last included (all when length <= n). */
export function sampleIndexes(length, n) {
  if (length <= n) return Array.from({ length }, (_, i) => i);
  return Array.from({ length: n }, (_, k) => Math.round((k * (length - 1)) / (n - 1)));
}

const number = (value) => (value === null || value === undefined ? NaN : value);
const orNull = (value) => (Number.isNaN(value) ? null : value);

/** Times and byte counts of messages `at(0..length-1)`, whole or sampled. */
function pack(length, at, whole) {
  const kept = whole ? null : sampleIndexes(length, SAMPLE_PER_STREAM);
  const n = kept ? kept.length : length;
  const packed = { t: new Float64Array(n), sent: new Float64Array(n), wire: new Float64Array(n), payload: new Float64Array(n) };
  for (let k = 0; k < n; k++) {
    const message = at(kept ? kept[k] : k);
    packed.t[k] = message.t;
    packed.sent[k] = number(message.sent);
    packed.wire[k] = number(message.wire);
    packed.payload[k] = number(message.payload);
  }
  return packed;
}

function finish(entry) {
  const kept = entry.streams.reduce((sum, stream) => sum + stream.messages.t.length, 0);
  const id = `${entry.source} ${entry.startedAt}`;
  return { ...entry, id, savedAt: Date.now(), bytes: entry.streams.length * BYTES_PER_STREAM + kept * BYTES_PER_MESSAGE };
}

/** A settled run of this page. Times are rounded as the export rounds them. */
export function entryFromRun(run) {
  const total = run.records.reduce((sum, record) => sum + record.messages.length, 0);
  const whole = total <= MAX_KEPT_MESSAGES;
  const fromRecord = (m) => ({ t: round(m.t), sent: round(m.sent), wire: m.wire, payload: m.payload });
  return finish({
    source: "page",
    fileName: null,
    startedAt: run.startedAt,
    durationMs: round(run.endT),
    stoppedMs: round(run.stopT ?? (run.stopped ? run.endT : null)),
    userAgent: navigator.userAgent,
    typed: { ...run.params },
    total,
    whole,
    streams: run.records.map((record) => ({
      name: record.spec.name,
      label: record.spec.label ?? record.spec.name,
      index: record.spec.index,
      via: record.spec.via ?? null,
      transport: record.spec.transport,
      url: record.url,
      params: usedParams(record),
      summary: endpointSummary(record),
      drops: record.drops.map(round),
      reconnects: record.reconnects.map(round),
      messages: pack(record.messages.length, (i) => fromRecord(record.messages[i]), whole),
    })),
  });
}

// What the Runs panel and the timeline read of a run, checked before it is kept and again
// before a kept one is shown: a file that fails says which field is wrong and is not kept.

const isObject = (value) => value !== null && typeof value === "object" && !Array.isArray(value);
const finite = (value) => typeof value === "number" && Number.isFinite(value);
const finiteOrNull = (value) => value === null || value === undefined || finite(value);
const count = (value) => Number.isInteger(value) && value >= 0;
const text = (value) => typeof value === "string";
const nonEmpty = (value) => typeof value === "string" && value !== "";
const textOrNull = (value) => value === null || value === undefined || text(value);
const errorOrNull = (value) => textOrNull(value) || (isObject(value) && text(value.message ?? ""));
const date = (value) => nonEmpty(value) && Number.isFinite(Date.parse(value));
const scalar = (value) => value === null || ["string", "number", "boolean"].includes(typeof value);
const scalars = (value) => isObject(value) && Object.values(value).every(scalar);
const times = (value) => Array.isArray(value) && value.every(finite);
const numbers = (value) => (Array.isArray(value) || value instanceof Float64Array) && Array.from(value).every((n) => typeof n === "number");

function shown(value) {
  if (Array.isArray(value)) return "a list";
  if (isObject(value)) return "an object";
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 24 ? `${json.slice(0, 24)}…` : json;
}

/** Throws an Error naming `path` when `ok(value)` fails: "run.started_at must be a date, not "yesterday"". */
function need(ok, value, path, expected) {
  if (ok(value)) return;
  throw new Error(`${path} ${value === undefined ? "is missing" : `must be ${expected}, not ${shown(value)}`}`);
}

const SUMMARY_TIMES = ["queued_ms", "request_ms", "headers_ms", "first_byte_ms", "first_ms", "last_ms", "end_ms"];

/** A summary of format 2 (and runs kept before it changed) said `ttfb_ms` for what is now `headers_ms`. */
function upgraded(summary) {
  if (isObject(summary) && summary.headers_ms === undefined && "ttfb_ms" in summary) summary.headers_ms = summary.ttfb_ms;
  return summary;
}
const SUMMARY_BYTES = ["wire_bytes", "payload_bytes", "framing_bytes", "extra_wire_bytes"];

function checkSummary(summary, path) {
  need(isObject, upgraded(summary), path, "an object");
  need(nonEmpty, summary.outcome, `${path}.outcome`, "a word");
  // The export writes a failed stream's error as the page holds it: {status, message, param}.
  need(errorOrNull, summary.error, `${path}.error`, "text, an error object or null");
  need(count, summary.message_count, `${path}.message_count`, "a whole number");
  for (const name of SUMMARY_TIMES) need(finiteOrNull, summary[name], `${path}.${name}`, "a number of ms or null");
  for (const name of SUMMARY_BYTES) need(finiteOrNull, summary[name], `${path}.${name}`, "a number of bytes or null");
}

/** Throws an Error that says which field of an Export JSON document (format 2 on) is wrong. */
export function checkDocument(doc) {
  if (!isObject(doc) || doc.tool !== "Transport Lab") throw new Error("it is not a run exported by this page (Export JSON)");
  if (!(finite(doc.format) && doc.format >= 2)) throw new Error("it was exported by an older page, without per-stream summaries");
  need(isObject, doc.run, "run", "an object");
  need(date, doc.run.started_at, "run.started_at", "a date");
  need(finiteOrNull, doc.run.duration_ms, "run.duration_ms", "a number of ms or null");
  need(finiteOrNull, doc.run.stopped_ms, "run.stopped_ms", "a number of ms or null");
  need(textOrNull, doc.run.user_agent, "run.user_agent", "text or null");
  need((v) => v === null || v === undefined || scalars(v), doc.params, "params", "an object of values");
  need((v) => Array.isArray(v) && v.length > 0, doc.endpoints, "endpoints", "a list of streams");
  doc.endpoints.forEach((endpoint, i) => {
    let path = `endpoints[${i}]`;
    need(isObject, endpoint, path, "an object");
    need(nonEmpty, endpoint.name, `${path}.name`, "a name");
    path = `${path} (${endpoint.name})`;
    need(textOrNull, endpoint.label, `${path}.label`, "text");
    need(finiteOrNull, endpoint.index, `${path}.index`, "a number");
    need(textOrNull, endpoint.via, `${path}.via`, "text or null");
    need(nonEmpty, endpoint.transport, `${path}.transport`, "a word");
    need(text, endpoint.url, `${path}.url`, "text");
    need((v) => v === null || v === undefined || isObject(v), endpoint.params, `${path}.params`, "an object or null");
    checkSummary(endpoint.summary, `${path}.summary`);
    need((v) => v === undefined || times(v), endpoint.dropped_ms, `${path}.dropped_ms`, "a list of ms");
    need((v) => v === undefined || times(v), endpoint.reconnected_ms, `${path}.reconnected_ms`, "a list of ms");
    need(Array.isArray, endpoint.messages, `${path}.messages`, "a list");
    endpoint.messages.forEach((row, k) => {
      const at = `${path}.messages[${k}]`;
      need(isObject, row, at, "an object");
      need(finite, row.receive_ms, `${at}.receive_ms`, "a number of ms");
      need(finiteOrNull, row.server_sent_ms, `${at}.server_sent_ms`, "a number of ms or null");
      need(finiteOrNull, row.wire_bytes, `${at}.wire_bytes`, "a number of bytes or null");
      need(finiteOrNull, row.payload_bytes, `${at}.payload_bytes`, "a number of bytes or null");
    });
  });
}

/** Null when a kept run (perhaps stored by an older page) can be shown, else what is wrong with it. */
export function entryProblem(entry) {
  try {
    need(isObject, entry, "the run", "an object");
    need(nonEmpty, entry.id, "id", "text");
    need(nonEmpty, entry.source, "source", "a word");
    need(textOrNull, entry.fileName, "fileName", "text or null");
    need(date, entry.startedAt, "startedAt", "a date");
    need((v) => v === null || finite(v), entry.durationMs, "durationMs", "a number of ms or null");
    need((v) => v === null || finite(v), entry.stoppedMs, "stoppedMs", "a number of ms or null");
    need(scalars, entry.typed, "typed", "an object of values");
    need(count, entry.total, "total", "a whole number");
    need((v) => typeof v === "boolean", entry.whole, "whole", "true or false");
    need(Array.isArray, entry.streams, "streams", "a list");
    entry.streams.forEach((stream, i) => {
      const path = `streams[${i}]`;
      need(isObject, stream, path, "an object");
      need(nonEmpty, stream.name, `${path}.name`, "a name");
      need(text, stream.label, `${path}.label`, "text");
      need(finite, stream.index, `${path}.index`, "a number");
      need(textOrNull, stream.transport, `${path}.transport`, "text");
      checkSummary(stream.summary, `${path}.summary`);
      need(times, stream.drops, `${path}.drops`, "a list of ms");
      need(times, stream.reconnects, `${path}.reconnects`, "a list of ms");
      need(isObject, stream.messages, `${path}.messages`, "an object");
      const { t } = stream.messages;
      need(numbers, t, `${path}.messages.t`, "a list of times");
      for (const name of ["sent", "wire", "payload"]) {
        need((v) => numbers(v) && v.length === t.length, stream.messages[name], `${path}.messages.${name}`, "a list as long as t");
      }
    });
    return null;
  } catch (error) {
    return error.message;
  }
}

/** A document of Export JSON (format 2 on); throws an Error that says which field is wrong. */
export function entryFromDocument(doc, fileName) {
  checkDocument(doc);
  const total = doc.endpoints.reduce((sum, endpoint) => sum + endpoint.messages.length, 0);
  const whole = total <= MAX_KEPT_MESSAGES;
  const fromRow = (row) => ({ t: row.receive_ms, sent: row.server_sent_ms, wire: row.wire_bytes, payload: row.payload_bytes });
  return finish({
    source: "file",
    fileName,
    startedAt: doc.run.started_at,
    durationMs: doc.run.duration_ms ?? null,
    stoppedMs: doc.run.stopped_ms ?? null,
    userAgent: doc.run.user_agent ?? null,
    typed: doc.params ?? {},
    total,
    whole,
    streams: doc.endpoints.map((endpoint, i) => ({
      name: endpoint.name,
      label: endpoint.label ?? endpoint.name,
      index: endpoint.index ?? i,
      via: endpoint.via ?? null,
      transport: endpoint.transport,
      url: endpoint.url,
      params: endpoint.params ?? null,
      summary: endpoint.summary,
      drops: endpoint.dropped_ms ?? [],
      reconnects: endpoint.reconnected_ms ?? [],
      messages: pack(endpoint.messages.length, (k) => fromRow(endpoint.messages[k]), whole),
    })),
  });
}

/** Records as the timeline reads them (a sampled run's records hold only its sample). */
export function recordsFromEntry(entry) {
  return entry.streams.map((stream) => {
    const { t, sent, wire, payload } = stream.messages;
    const messages = Array.from(t, (time, k) => ({
      t: time, sent: orNull(sent[k]), wire: orNull(wire[k]), payload: orNull(payload[k]), text: "", id: null,
    }));
    const s = stream.summary;
    const spec = {
      name: stream.name, label: stream.label, index: stream.index, endpoint: stream.name, via: stream.via,
      transport: stream.transport, ...(stream.transport === "yours" ? { url: stream.url } : {}),
    };
    return {
      spec, url: stream.url, state: s.outcome, error: s.error, queued: s.queued_ms !== null, queuedMs: s.queued_ms,
      requestT: s.request_ms, openT: upgraded(s).headers_ms, firstByteT: s.first_byte_ms, firstT: s.first_ms, lastT: s.last_ms,
      endT: s.end_ms, count: s.message_count, wireBytes: s.wire_bytes, payloadBytes: s.payload_bytes,
      extraWireBytes: s.extra_wire_bytes, framingBytes: s.framing_bytes, messages, rtts: [], drops: stream.drops, reconnects: stream.reconnects,
      heldMax: null, burst: 0, arrivals: null, timing: null, sampled: !entry.whole,
    };
  });
}
