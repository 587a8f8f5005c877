// Someone's own stream, read by this browser itself (in the stream worker): fetch with CORS
// and without cookies, every read recorded with its time and size, and its messages counted
// as `transport-lab diagnose` counts them, within diagnose's default bounds (16 MiB, 30 s),
// so that the browser's verdict and the terminal's rest on the same kind of timeline.

import { countedLineFramer, eventFramer } from "./framing.js";

/** Decoded bytes read at most, then reading stops: diagnose's default `--max-bytes`. */
export const YOURS_MAX_BYTES = 16 * 1024 * 1024;
/** How long the lane reads at most, from the fetch call on: diagnose's default `--timeout`. */
export const YOURS_MAX_MS = 30_000;
/** The browser tells a page nothing more when a cross-origin fetch is refused. */
export const UNREADABLE = "This browser could not read it: the server did not allow this page by CORS " +
  "(no Access-Control-Allow-Origin for it), it could not be reached, or it redirected to another origin " +
  "— a browser does not say which.";

const now = () => performance.now();
const MIB = 1024 * 1024;

/** SSE events for an event stream, else lines (as diagnose reads them). */
export function messageFramer(contentType, emit) {
  const mime = contentType.split(";")[0].trim().toLowerCase();
  return mime === "text/event-stream" ? eventFramer(emit) : countedLineFramer(emit);
}

/** Reads until the end, or until YOURS_MAX_BYTES; returns [time, whether it stopped at the cap]. */
async function pumpUpTo(reader, framer, sink) {
  const decoder = new TextDecoder();
  let total = 0;
  for (;;) {
    const { value, done } = await reader.read();
    const t = now();
    if (done || total + value.byteLength > YOURS_MAX_BYTES) {
      if (!done) reader.cancel();
      framer.push(decoder.decode(), t);
      framer.end(t);
      return [t, !done];
    }
    total += value.byteLength;
    sink.received(value.byteLength, t);
    framer.push(decoder.decode(value, { stream: true }), t);
  }
}

/** What this page may see of the head: a cross-origin answer shows only the headers CORS exposes. */
export function headOf(response) {
  return { type: response.type, statusText: response.statusText, headers: Object.fromEntries(response.headers) };
}

/** An error status: its body is not a stream, and may be anything, so it is not read. */
function refusal(response) {
  response.body?.cancel().catch(() => {});
  const message = `${response.statusText || "an error status"}: the server answered with an error, not a stream`;
  return { status: response.status, message, param: null };
}

/** Reads `url` until it ends, fails, is stopped (`signal`) or reaches a cap. */
export async function readYours({ url, signal, sink }) {
  // Its own controller: the page's Stop aborts it, and so does the time cap.
  const reading = new AbortController();
  const stop = () => reading.abort();
  signal.addEventListener("abort", stop, { once: true });
  let timedOut = false, opened = false;
  const timer = setTimeout(() => {
    timedOut = true;
    reading.abort();
  }, YOURS_MAX_MS);
  try {
    const options = { signal: reading.signal, mode: "cors", credentials: "omit", cache: "no-store" };
    const response = await fetch(url, options);
    const t = now();
    const contentType = response.headers.get("Content-Type") ?? "";
    sink.described(response.status, contentType, t, headOf(response));
    if (!response.ok) return sink.failed(t, refusal(response));
    sink.opened(t);
    opened = true;
    const [end, capped] = await pumpUpTo(response.body.getReader(), messageFramer(contentType, sink.message), sink);
    sink.finished(end, capped ? `${YOURS_MAX_BYTES / MIB} MiB` : null);
  } catch (error) {
    if (signal.aborted) return;
    const t = now();
    if (timedOut && opened) return sink.finished(t, `${YOURS_MAX_MS / 1000} s`);
    if (timedOut) return sink.failed(t, { status: 0, message: `no answer within ${YOURS_MAX_MS / 1000} s`, param: null });
    if (!opened) return sink.failed(t, { status: 0, message: UNREADABLE, param: null, unreadable: true });
    sink.dropped(t);
    sink.failed(t, { status: 0, message: `the body broke off (${error.name}: ${error.message})`, param: null });
  } finally {
    clearTimeout(timer);
    signal.removeEventListener("abort", stop);
  }
}
