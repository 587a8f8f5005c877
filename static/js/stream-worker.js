// Streams are read in this worker, not on the page's main thread: a message's time is
// taken when its bytes are read here, however busy the page is drawing. Times go to the
// page as epoch milliseconds (both clocks share performance.timeOrigin's time base), in
// batches, each event in the order it happened.

import { readerFor } from "./readers.js";

const FLUSH_MS = 8;

let runId = 0;
let controller = null;
let outbox = [];
let flushTimer = 0;

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
  if (!flushTimer) flushTimer = setTimeout(flush, FLUSH_MS);
}

function sinkFor(index, signal) {
  // A stopped run's sockets may still deliver what was already buffered: drop it.
  const live = (report) => (...args) => signal.aborted || report(...args);
  return {
    opened: live((t) => post(["opened", index, epoch(t)])),
    received: live((bytes, t) => post(["received", index, bytes, epoch(t)])),
    described: live((status, contentType, t) => post(["described", index, status, contentType, epoch(t)])),
    message: live((text, stamp, t, id) => post(["message", index, epoch(t), text, stamp, id ?? null])),
    dropped: live((t) => post(["dropped", index, epoch(t)])),
    reconnected: live((t) => post(["reconnected", index, epoch(t)])),
    roundTrip: live((ms) => post(["rtt", index, ms])),
    // `cap`: what made a reader stop before the end (your stream's bounds), or null.
    finished: live((t, cap) => post(["finished", index, epoch(t), cap ?? null])),
    failed: live((t, error) => post(["failed", index, epoch(t), error])),
  };
}

function start({ id, streams }) {
  controller?.abort();
  flush();
  runId = id;
  controller = new AbortController();
  const { signal } = controller;
  post(["started", -1, epoch(performance.now())]);
  // Every stream is opened in this one task: the same instant, as far as a page can tell.
  streams.forEach((stream, index) => {
    const sink = sinkFor(index, signal);
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
      return start(data);
    case "stop":
      controller?.abort();
      return flush();
    default:
      throw new Error(`unknown command ${data.type}`);
  }
};
