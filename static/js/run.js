// One run: every enabled stream opened in the same task, each recorded into a plain
// object that the view reads once per animation frame.

import { CONNECTIONS_PER_HOST, expectedCount, isHttpStream, streamUrl } from "./registry.js";
import { readerFor, utf8Length } from "./readers.js";

function newRecord(spec, url) {
  return {
    spec, url, state: "waiting", error: null, queued: false, queuedMs: null,
    openT: null, firstT: null, lastT: null, endT: null,
    count: 0, bytes: 0, messages: [], rtts: [],
  };
}

function sinkFor(record, run) {
  const touch = () => run.onChange();
  const live = (report) => (...args) => {
    // A stopped stream keeps the state "aborted", whatever its reader says afterwards.
    if (record.state !== "aborted") report(...args);
  };
  return mapValues({
    opened(t) {
      record.openT = t - run.t0;
      if (record.queued) record.queuedMs = record.openT;
      touch();
    },
    received(bytes) {
      record.bytes += bytes;
    },
    message(text, stamp, t) {
      const at = t - run.t0;
      const sent = stamp === null ? null : stamp - run.epoch0;
      record.messages.push({ t: at, sent, text, bytes: utf8Length(text) });
      record.count += 1;
      record.firstT ??= at;
      record.lastT = at;
      if (record.state === "waiting") record.state = "streaming";
      touch();
    },
    roundTrip(ms) {
      record.rtts.push(ms);
      touch();
    },
    finished(t) {
      record.endT = t - run.t0;
      record.state = "done";
      touch();
    },
    failed(t, error) {
      record.endT = t - run.t0;
      record.state = "error";
      record.error = error;
      touch();
    },
  }, live);
}

function mapValues(object, wrap) {
  return Object.fromEntries(Object.entries(object).map(([key, value]) => [key, wrap(value)]));
}

/** Streams beyond the connection limit of one host wait for the browser, not the server. */
function markQueued(records) {
  const perHost = new Map();
  for (const record of records) {
    if (!isHttpStream(record.spec) || !record.url.startsWith("http")) continue;
    const host = new URL(record.url).host;
    const open = (perHost.get(host) ?? 0) + 1;
    perHost.set(host, open);
    record.queued = open > CONNECTIONS_PER_HOST;
  }
}

function openStream(record, run) {
  const sink = sinkFor(record, run);
  try {
    return readerFor(record.spec.transport)({
      url: record.url, signal: run.controller.signal, sink, spec: record.spec,
      stamped: record.spec.stampable, expected: expectedCount(record.spec, run.params),
    });
  } catch (error) {
    sink.failed(performance.now(), { status: 0, message: error.message, param: null });
    return Promise.resolve();
  }
}

/**
 * Open every stream of `specs` now. `onChange` is called (often) when anything was recorded;
 * the returned run has `records`, `stop()` and `finished` (a promise).
 */
export function startRun({ specs, params, location, lanes, onChange }) {
  const controller = new AbortController();
  const run = { params: { ...params }, lanes, onChange, stopped: false, records: [], controller };
  run.records = specs.map((spec) => newRecord(spec, streamUrl(spec, params, location, lanes)));
  markQueued(run.records);
  run.t0 = performance.now();
  run.epoch0 = performance.timeOrigin + run.t0;
  run.startedAt = new Date(run.epoch0).toISOString();
  const reading = run.records.map((record) => openStream(record, run));
  run.finished = Promise.allSettled(reading).then(() => {
    run.endT = performance.now() - run.t0;
    onChange();
  });
  run.stop = () => stopRun(run);
  return run;
}

function stopRun(run) {
  const t = performance.now() - run.t0;
  run.stopped = true;
  for (const record of run.records) {
    if (record.state === "waiting" || record.state === "streaming") {
      record.state = "aborted";
      record.endT = t;
    }
  }
  run.controller.abort();
  run.onChange();
}
