// Streams are read in this worker, not on the page's main thread: a message's time is
// taken when its bytes are read here, however busy the page is drawing. Times go to the
// page as epoch milliseconds (`at`: both clocks share performance.timeOrigin's time base),
// in batches, each event in the order it happened. An event is one object named by `type`,
// about stream `index` (run.js APPLY reads them):
//   {type: "started", at}                          the streams were opened
//   {type: "opened", index, at}                    headers (or the socket) arrived
//   {type: "received", index, bytes, at}           a read of `bytes` decoded bytes
//   {type: "described", index, status, contentType, head, at}   head: your stream's (yours-reader.js), else null
//   {type: "message", index, at, text, stamp, id, payloadBytes, wireBytes}
//   {type: "wire-extra", index, bytes, framingBytes}   wire bytes of no message
//   {type: "dropped" | "reconnected", index, at}
//   {type: "rtt", index, ms}                       a WebSocket ping's round trip
//   {type: "timing", index, figures}               the browser's Resource Timing of the request
//   {type: "echo", index, at, text, ms}            the server's echo of a text the page sent
//   {type: "finished", index, at, cap}  {type: "failed", index, at, error}

import { readerFor } from "./readers.js";
import { entryFor, resetTimings, timingFigures } from "./resource-timing.js";

const FLUSH_MS = 8;
/**
 * Events in one message to the page at most: while data is already buffered the flush timer
 * never gets its turn, and a stream read faster than it is posted would make one batch of tens
 * of thousands of events, one long task on the page to take in.
 */
const MAX_BATCH = 500;

let runId = 0;
let controller = null;
let outbox = [];
let flushTimer = 0;
/** Each open WebSocket's send, by stream index (for the page's send box). */
const senders = new Map();
/** The current run's HTTP streams not yet ended, by index: their timing is still to come. */
const unsettled = new Map();

const epoch = (t) => performance.timeOrigin + t;

function flush() {
  clearTimeout(flushTimer);
  flushTimer = 0;
  if (!outbox.length) return;
  self.postMessage({ runId, events: outbox });
  outbox = [];
}

function post(event) {
  outbox.push(event);
  if (outbox.length >= MAX_BATCH) flush();
  else if (!flushTimer) flushTimer = setTimeout(flush, FLUSH_MS);
}

/** HTTP requests (not WebSocket) get a Resource Timing entry when their response ends. */
const TIMED = new Set(["chunked", "buffered", "sse", "yours"]);

function sinkFor(index, signal, stream) {
  // A stopped run's sockets may still deliver what was already buffered: drop it.
  const live = (report) => (...args) => signal.aborted || report(...args);
  // The browser's own timing goes to the page before the end, so a settled run has it; a stream
  // stopped meanwhile is already aborted on the page, but what the browser measured still counts.
  const run = runId;
  const settle = (report) => live(async (t, ...rest) => {
    unsettled.delete(index);
    const figures = TIMED.has(stream.transport) ? timingFigures(await entryFor(stream.url)) : null;
    if (figures && runId === run) post({ type: "timing", index, figures });
    if (!signal.aborted) report(t, ...rest);
  });
  return {
    opened: live((t) => post({ type: "opened", index, at: epoch(t) })),
    received: live((bytes, t) => post({ type: "received", index, bytes, at: epoch(t) })),
    described: live((status, contentType, t, head) => post({
      type: "described", index, status, contentType, head: head ?? null, at: epoch(t),
    })),
    message: live((text, stamp, t, id, payload, wire) => post({
      type: "message", index, at: epoch(t), text, stamp, id: id ?? null, payloadBytes: payload ?? null, wireBytes: wire ?? null,
    })),
    wireExtra: live((bytes, framing) => post({ type: "wire-extra", index, bytes, framingBytes: framing })),
    dropped: live((t) => post({ type: "dropped", index, at: epoch(t) })),
    reconnected: live((t) => post({ type: "reconnected", index, at: epoch(t) })),
    roundTrip: live((ms) => post({ type: "rtt", index, ms })),
    // The page's own texts over a WebSocket: how to send one, and each echo (not a stream message).
    talk: (send) => senders.set(index, send),
    echoed: live((text, ms, t) => post({ type: "echo", index, at: epoch(t), text, ms })),
    // `cap`: what made a reader stop before the end (your stream's bounds), or null.
    finished: settle((t, cap) => post({ type: "finished", index, at: epoch(t), cap: cap ?? null })),
    failed: settle((t, error) => post({ type: "failed", index, at: epoch(t), error })),
  };
}

/** A stopped stream's request still has an entry (once aborted): when it was sent, how long it was queued. */
function timeStopped() {
  const stopped = runId;
  for (const [index, url] of unsettled) {
    entryFor(url).then((entry) => {
      if (entry && runId === stopped) post({ type: "timing", index, figures: timingFigures(entry) });
    });
  }
  unsettled.clear();
}

function start({ id, streams }) {
  controller?.abort();
  flush();
  runId = id;
  controller = new AbortController();
  const { signal } = controller;
  resetTimings();
  unsettled.clear();
  post({ type: "started", at: epoch(performance.now()) });
  // Every stream is opened in this one task: the same instant, as far as a page can tell.
  streams.forEach((stream, index) => {
    if (TIMED.has(stream.transport)) unsettled.set(index, stream.url);
    const sink = sinkFor(index, signal, stream);
    try {
      readerFor(stream.transport)({ ...stream, signal, sink });
    } catch (error) {
      sink.failed(performance.now(), { status: 0, message: error.message, param: null });
    }
  });
}

self.onmessage = ({ data }) => {
  switch (data.type) {
    case "start":
      senders.clear();
      return start(data);
    case "stop":
      controller?.abort();
      timeStopped();
      return flush();
    case "send":
      // Only over the current run's socket: a text meant for an earlier run is dropped.
      if (data.runId === runId) senders.get(data.index)?.(data.text);
      return undefined;
    default:
      throw new Error(`unknown command ${data.type}`);
  }
};
