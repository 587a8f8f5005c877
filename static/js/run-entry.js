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

/** A document of Export JSON (format 2 on); throws an Error that says what is wrong. */
export function entryFromDocument(doc, fileName) {
  if (doc?.tool !== "Transport Lab" || !Array.isArray(doc.endpoints) || !doc.run) {
    throw new Error("it is not a run exported by this page (Export JSON)");
  }
  if (!(doc.format >= 2)) throw new Error("it was exported by an older page, without per-stream summaries");
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
      requestT: s.request_ms, openT: s.ttfb_ms, firstByteT: s.first_byte_ms, firstT: s.first_ms, lastT: s.last_ms,
      endT: s.end_ms, count: s.message_count, wireBytes: s.wire_bytes, payloadBytes: s.payload_bytes,
      extraWireBytes: s.extra_wire_bytes, framingBytes: s.framing_bytes, messages, rtts: [], drops: stream.drops, reconnects: stream.reconnects,
      heldMax: null, burst: 0, arrivals: null, timing: null, sampled: !entry.whole,
    };
  });
}
