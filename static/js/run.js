// One run: the worker opens every enabled stream at once and reports what it read; this
// module records it into plain objects that the view reads once per animation frame.
// All times are milliseconds since the worker opened the streams.

import { expectedCount, faultsFor, streamUrl } from "./registry.js";
import { queuedMs } from "./resource-timing.js";
import { LAST_CHUNK, utf8Length } from "./wire.js";
import { askedStreams } from "./yours.js";

export const SETTLED = new Set(["done", "error", "aborted"]);
/** Transports read with fetch: their reads are kept, and their head, as diagnose reads them. */
const READ_BY_FETCH = new Set(["chunked", "buffered", "yours"]);
/** Someone's own stream, not this server's. */
export const isYours = (record) => record.spec.transport === "yours";
let worker = null;
let current = null;
let runs = 0;

function newRecord(spec, url, faults) {
  // Wire bytes are computed from what this server writes: not through a culprit, nor for someone's own stream.
  const computed = !spec.via && spec.transport !== "yours";
  return {
    spec, url, state: "waiting", error: null, queued: false, queuedMs: null,
    openT: null, firstT: null, lastT: null, endT: null,
    // Request sent and first body bytes read (Resource Timing; EventSource/WebSocket: the
    // first message), and the browser's own figures of the request, all ms since Run.
    requestT: null, firstByteT: null, timing: null,
    // Decoded bytes read; the messages' payload and wire bytes, and wire bytes of no message
    // (wireBytes = Σ message.wire + extraWireBytes); wireExact false through a culprit.
    count: 0, bytes: 0, messages: [], rtts: [],
    payloadBytes: 0, wireBytes: computed ? 0 : null, extraWireBytes: 0, framingBytes: computed ? 0 : null,
    wireExact: computed,
    // Connections that broke off, and the new ones the transport opened by itself (ms since Run);
    // the faults asked of this stream ({drop, idle, heartbeat}: numbers), to say what cut it.
    drops: [], reconnects: [], faults,
    // The longest a message was held (receive - send stamp), and the most messages one read carried.
    heldMax: null, burst: 0, sameRead: 0,
    // A fetch-read stream (someone's own too): every read (ms since Run, decoded bytes), its status, type and
    // headers' time and what this page could see of its head, and the bound that stopped its reading, if one did.
    arrivals: READ_BY_FETCH.has(spec.transport) ? [] : null, status: null, contentType: null, headersT: null, head: null,
    capped: null,
    // Its longest silence so far, from Run through the reads: kept as reads come, not re-sorted per frame.
    largestGap: 0,
  };
}

const APPLY = {
  started(run, record, { at }) {
    run.epoch0 = at;
  },
  opened(run, record, { at }) {
    record.openT = at - run.epoch0;
  },
  received(run, record, { bytes, at }) {
    record.bytes += bytes;
    if (bytes > 0) record.firstByteT ??= at - run.epoch0;
    if (record.arrivals) {
      const t = at - run.epoch0;
      record.largestGap = Math.max(record.largestGap, t - (record.arrivals.at(-1)?.t ?? 0));
      record.arrivals.push({ t, bytes });
    }
  },
  described(run, record, { status, contentType, head, at }) {
    record.status = status;
    record.contentType = contentType;
    record.head = head;
    record.headersT = at - run.epoch0;
  },
  message(run, record, { at, text, stamp, id, payloadBytes, wireBytes }) {
    const t = at - run.epoch0;
    const sent = stamp === null ? null : stamp - run.epoch0;
    const payload = payloadBytes ?? utf8Length(text); // someone's own stream: the text as the page got it
    const wire = wireBytes ?? null;
    record.messages.push({ t, sent, text, id, payload, wire });
    record.payloadBytes += payload;
    if (wire !== null && record.wireBytes !== null) {
      record.wireBytes += wire;
      record.framingBytes += wire - payload;
    }
    if (sent !== null) record.heldMax = Math.max(record.heldMax ?? -Infinity, t - sent);
    record.sameRead = t === record.lastT ? record.sameRead + 1 : 1;
    record.burst = Math.max(record.burst, record.sameRead);
    record.count += 1;
    record.firstT ??= t;
    record.lastT = t;
    if (record.state === "waiting" || record.state === "reconnecting") record.state = "streaming";
  },
  dropped(run, record, { at }) {
    record.drops.push(at - run.epoch0);
    record.state = "reconnecting"; // until the reader says it failed, or a new connection opens
  },
  reconnected(run, record, { at }) {
    record.reconnects.push(at - run.epoch0);
    // Each new connection begins with a `retry:` field the page never sees: the count becomes a floor.
    record.wireExact = false;
    record.state = "streaming";
  },
  rtt(run, record, { ms }) {
    record.rtts.push(ms);
  },
  "wire-extra"(run, record, { bytes, framingBytes }) {
    record.extraWireBytes += bytes;
    record.wireBytes += bytes;
    record.framingBytes += framingBytes;
  },
  /** Resource Timing of an ended HTTP request: epoch ms turned into ms since Run, sizes as they are. */
  timing(run, record, { figures }) {
    const timing = {};
    for (const [name, value] of Object.entries(figures)) {
      timing[name] = value === null || name.endsWith("Size") ? value : value - run.epoch0;
    }
    record.timing = timing;
    record.requestT = timing.requestStart;
    record.queuedMs = queuedMs(timing);
    record.queued = record.queuedMs !== null;
    // An EventSource the page closed gets an entry without sizes (0): that is no size at all.
    if (record.spec.via && timing.encodedBodySize) culpritWire(record, timing.encodedBodySize);
  },
  // The server's echo of a text the page sent over the socket: beside the messages, not one of them.
  echo(run, record, { at, text, ms }) {
    (record.echoes ??= []).push({ t: at - run.epoch0, text, ms });
  },
  finished(run, record, { at, cap }) {
    record.endT = at - run.epoch0;
    record.state = "done";
    record.capped = cap ?? null;
  },
  failed(run, record, { at, error }) {
    record.endT = at - run.epoch0;
    record.state = "error";
    record.error = error;
    // The browser logs a refused cross-origin fetch in the worker's console, which a page's
    // developer tools may not show: said here too, where someone debugging their stream looks.
    if (error?.unreadable) console.warn(`Transport Lab: your stream ${record.url} could not be read. ${error.message}`);
  },
};

/** One of the worker's events (stream-worker.js lists their shapes). */
function apply(run, event) {
  const record = run.records[event.index];
  // A stopped stream keeps the state "aborted", whatever its reader said afterwards; what the
  // browser measured of its request (timing) still counts.
  if (record && record.state === "aborted" && event.type !== "timing") return;
  APPLY[event.type](run, record, event);
}

function onWorkerMessage({ data }) {
  const run = current;
  if (!run || data.runId !== run.id) return;
  for (const event of data.events) apply(run, event);
  settleIfDone(run);
  run.onChange();
}

function settleIfDone(run) {
  if (run.endT !== undefined || !run.records.every((record) => SETTLED.has(record.state))) return;
  run.endT = Math.max(0, ...run.records.map((record) => record.endT ?? 0));
  run.settle();
}

/**
 * The worker obeys the policy its script was served with: asked with the page's `stream=`
 * values, the server lets it (like the page) read those origins besides its own.
 */
function streamWorker(asked = []) {
  if (!worker) {
    const script = new URL("./stream-worker.js", import.meta.url);
    for (const value of asked) script.searchParams.append("stream", value);
    worker = new Worker(script, { type: "module" });
    worker.onmessage = onWorkerMessage;
  }
  return worker;
}

/**
 * Through a culprit the page knows the body as it crossed the wire (gzip's compressed bytes,
 * from Resource Timing) and that the last chunk ended it, but not how the culprit cut the body
 * into chunks: the count is a floor, said so on the column (wireExact false); unless the
 * culprit sent it whole with a Content-Length (a body-reading middleware): then it is exact.
 */
function culpritWire(record, encodedBodySize) {
  // A culprit that rebuilds the body whole sends it with a Content-Length: no chunks, nothing hidden.
  const whole = record.spec.culprit?.diagnosed?.cause === "content-length";
  record.extraWireBytes = encodedBodySize + (whole ? 0 : LAST_CHUNK);
  record.wireBytes = record.extraWireBytes;
  record.framingBytes = whole ? 0 : null;
  record.wireExact = whole && !record.reconnects.length;
}

function describeStream(record, params) {
  return {
    url: record.url,
    transport: record.spec.transport,
    // What the readers say of a culprit lane rests on what its culprit holds (registry.js culpritHolds).
    spec: {
      content_type: record.spec.content_type, via: record.spec.via ?? null,
      culprit: record.spec.culprit ? { diagnosed: record.spec.culprit.diagnosed } : null,
    },
    stamped: record.spec.stampable,
    expected: expectedCount(record.spec, params),
  };
}

/**
 * Open every stream of `specs`. `onChange` is called whenever something was recorded;
 * the run has `records`, `now()`, `stop()` and `finished` (a promise).
 */
export function startRun({ specs, params, faults, chosenFaults, location, lanes, onChange }) {
  const run = { id: ++runs, params: { ...params, ...chosenFaults }, lanes, onChange, stopped: false, stopT: null, endT: undefined };
  const url = (spec) => streamUrl(spec, params, location, lanes, faults, chosenFaults);
  run.records = specs.map((spec) => newRecord(spec, url(spec), faultsFor(spec, faults, chosenFaults)));
  run.epoch0 = performance.timeOrigin + performance.now(); // until the worker says when it started
  run.startedAt = new Date(run.epoch0).toISOString();
  run.finished = new Promise((resolve) => {
    run.settle = resolve;
  });
  run.now = () => performance.timeOrigin + performance.now() - run.epoch0;
  run.stop = () => stopRun(run);
  current = run;
  streamWorker(askedStreams(location)).postMessage({ type: "start", id: run.id, streams: run.records.map((r) => describeStream(r, params)) });
  return run;
}

/** Text over the run's open WebSocket (stream `index`); false when this run is no longer the worker's. */
export function sendText(run, index, text) {
  if (run !== current || !worker || run.endT !== undefined) return false;
  worker.postMessage({ type: "send", runId: run.id, index, text });
  return true;
}

function stopRun(run) {
  const t = run.now();
  run.stopped = true;
  run.stopT = t;
  streamWorker().postMessage({ type: "stop" });
  for (const record of run.records) {
    if (!SETTLED.has(record.state)) {
      record.state = "aborted";
      record.endT = t;
    }
  }
  settleIfDone(run);
  run.onChange();
}
