// What the browser measured of each HTTP request (Resource Timing): when it was really sent,
// how long the browser held it back first, and how big the body was on the wire. The stream
// worker reads its own requests' entries (they appear when a response ends) and the page
// turns them into the record's figures. A cross-origin lane shows them only when the server
// answers with Timing-Allow-Origin; without it the browser gives zeros, read here as null.

/** An entry may appear a little after the reader saw the end of its body. */
const ENTRY_WAIT_MS = 500;
/**
 * Held back at least this long (beyond DNS and connecting) counts as queued. A loopback
 * connect costs ~1 ms, but seven requests started at once reach their sockets 1-16 ms after
 * fetchStart even when none waits (measured on an idle 2-core machine: the browser's own
 * handling); a wait for a free connection lasts until another stream ends, an interval or more.
 */
export const QUEUED_MIN_MS = 50;

const TIMES = [
  "fetchStart", "domainLookupStart", "domainLookupEnd", "connectStart", "connectEnd",
  "requestStart", "responseStart", "responseEnd",
];
const SIZES = ["encodedBodySize", "decodedBodySize", "transferSize"];

const waiting = new Map(); // url -> { since, resolve }, until its entry comes
let observer = null;
/** performance.now() when the current run began: an older request to the same URL is not its. */
let since = 0;

function observe() {
  if (observer || typeof PerformanceObserver === "undefined") return;
  observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const wait = waiting.get(entry.name);
      if (wait && entry.startTime >= wait.since) {
        waiting.delete(entry.name);
        wait.resolve(entry);
      }
    }
  });
  observer.observe({ type: "resource" });
}

/** A new run: the last run's entries go, so an entry found by URL is this run's. */
export function resetTimings() {
  observe();
  since = performance.now();
  performance.clearResourceTimings();
  // EventSource reconnections and many lanes: more than the default 250 entries per run is possible.
  performance.setResourceTimingBufferSize(2000);
}

/**
 * The entry of `url`'s first request of this run (an EventSource may have reconnected since)
 * once its response has ended; null when none comes.
 */
export function entryFor(url) {
  const found = performance.getEntriesByName(url, "resource").find((entry) => entry.startTime >= since);
  if (found) return Promise.resolve(found);
  return new Promise((resolve) => {
    const wait = { since, resolve };
    waiting.set(url, wait);
    setTimeout(() => {
      if (waiting.get(url) !== wait) return;
      waiting.delete(url);
      resolve(null);
    }, ENTRY_WAIT_MS);
  });
}

/** An entry's times as epoch ms (null where hidden) and its sizes in bytes (null where hidden). */
export function timingFigures(entry) {
  if (!entry) return null;
  const figures = {};
  for (const name of TIMES) figures[name] = entry[name] > 0 ? performance.timeOrigin + entry[name] : null;
  for (const name of SIZES) figures[name] = entry[name] > 0 || figures.responseStart !== null ? entry[name] : null;
  return figures;
}

/**
 * How long the browser held the request back before sending it: fetchStart to requestStart,
 * less the DNS lookup and the connect (which are the request's own work, not a wait). Null
 * when not measured (hidden) or below QUEUED_MIN_MS.
 */
export function queuedMs(timing) {
  if (!timing || timing.fetchStart === null || timing.requestStart === null) return null;
  const span = (from, to) => (timing[from] !== null && timing[to] !== null ? timing[to] - timing[from] : 0);
  const held = span("fetchStart", "requestStart") - span("domainLookupStart", "domainLookupEnd") -
    span("connectStart", "connectEnd");
  return held >= QUEUED_MIN_MS ? held : null;
}
