// One reader per transport, all of the same shape: read({ url, signal, sink, ... })
// returns a promise that settles when the stream has ended, failed or been aborted.
// Every time is performance.now() taken when the bytes were read, never when drawn.
//
// sink: opened(t), received(bytes, t), message(text, stamp, t, id, payload, wire), finished(t),
//       failed(t, error), dropped(t) when a connection broke off, reconnected(t) when
//       the transport opened a new one by itself (EventSource), and for WebSocket roundTrip(ms);
//       wireExtra(bytes, framing) for wire bytes of no message (the last chunk, a JSON array's
//       `]`), `framing` of them transfer framing rather than body.
// `payload` is a message's bytes as the body carried it (stamp, line break included), `wire`
// those plus its transfer framing (wire.js), null where the page cannot know it (a culprit).

import { framerFor, splitTextStamp } from "./framing.js";
import { codingRefusal, httpUrl } from "./registry.js";
import { chunkFraming, chunkedWire, LAST_CHUNK, sseWire, utf8Length, wsWire } from "./wire.js";
import { headOf, readYours } from "./yours-reader.js";

const PING_INTERVAL_MS = 500;
/** EventSource retries forever: after this many connections in a row cut before any message, the page gives up. */
const FRUITLESS_RECONNECTS = 3;
const PING_PREFIX = "ping ";

const now = () => performance.now();

/** A failed response's JSON error (`{"error","param"}`), or its status text. */
export async function describeResponse(response) {
  const error = { status: response.status, message: response.statusText || "request failed", param: null };
  try {
    const text = await response.text();
    try {
      const body = JSON.parse(text);
      error.message = String(body.error ?? text);
      error.param = body.param ?? null;
    } catch {
      if (text) error.message = text.slice(0, 300);
    }
  } catch { /* keep the status text */ }
  return error;
}

/** EventSource and WebSocket hide a refusal's body: ask the same URL over plain HTTP. */
async function explainFailure(url, headers = {}) {
  const controller = new AbortController();
  try {
    const response = await fetch(httpUrl(url), { signal: controller.signal, headers, cache: "no-store" });
    if (response.ok || response.status === 204) return { status: response.status, message: null, param: null };
    return await describeResponse(response);
  } catch (error) {
    return { status: 0, message: `network error: ${error.message}`, param: null };
  } finally {
    controller.abort();
  }
}

/** Reads the body to its end; returns [the time, the body's bytes after its last message]. */
async function pump(response, framer, sink) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  for (;;) {
    const { value, done } = await reader.read();
    const t = now();
    if (done) {
      framer.push(decoder.decode(), t);
      return [t, framer.end(t)];
    }
    sink.received(value.byteLength, t);
    framer.push(decoder.decode(value, { stream: true }), t);
  }
}

/** fetch() + a ReadableStream reader: chunked and buffered HTTP alike. */
export async function readHttp({ url, signal, sink, spec, stamped }) {
  let opened = false, messages = 0, chunked = false;
  // Through a culprit the body is re-cut (and gzip re-encodes it): no message's wire is known.
  const wireOf = (raw) => (spec.via ? null : chunked ? chunkedWire(raw) : raw);
  const message = (text, stamp, t, raw) => {
    messages += 1;
    sink.message(text, stamp, t, null, raw, wireOf(raw));
  };
  try {
    const response = await fetch(url, { signal, cache: "no-store" });
    const t = now();
    if (!response.ok) return sink.failed(t, await describeResponse(response));
    sink.opened(t);
    opened = true;
    // Without a Content-Length an HTTP/1.1 body is chunked: one chunk per message from this server.
    chunked = response.headers.get("Content-Length") === null;
    const contentType = response.headers.get("Content-Type") || spec.content_type;
    // The head as diagnose reads it: the lane's causes rest on it (why.js).
    sink.described(response.status, contentType, t, headOf(response));
    const framer = framerFor(contentType, stamped, message);
    const [end, tail] = await pump(response, framer, sink);
    const framing = chunked ? chunkFraming(tail) + LAST_CHUNK : 0;
    if (!spec.via) sink.wireExtra(tail + framing, framing);
    sink.finished(end);
  } catch (error) {
    if (signal.aborted) return;
    const t = now();
    // A coding this browser refuses fails before any head: said in words, not as "Failed to fetch".
    if (!opened) return sink.failed(t, { status: 0, message: codingRefusal(spec, url) || error.message, param: null });
    sink.dropped(t);
    const why = `the body broke off after ${messages} ${messages === 1 ? "message" : "messages"} (${error.name}: ${error.message})`;
    sink.failed(t, { status: 0, message: why, param: null });
  }
}

/**
 * EventSource: closed by the page once it has every message, so it never reconnects
 * after the end. A connection that breaks off before is reopened by EventSource itself
 * (after the stream's `retry`, sending Last-Event-ID): reported as dropped, then reconnected.
 */
export function readSse({ url, signal, sink, spec, stamped, expected }) {
  return new Promise((resolve) => {
    const source = new EventSource(url);
    let received = 0, opens = 0, connected = false, lastId = "", fruitless = 0, receivedAtOpen = 0, headless = 0;
    const finish = (report) => {
      source.close();
      if (report) report();
      resolve();
    };
    // The server ends its body with the last chunk, whether or not EventSource waits to read it.
    const ended = (t) => {
      if (!spec?.via) sink.wireExtra(LAST_CHUNK, LAST_CHUNK);
      sink.finished(t);
    };
    signal.addEventListener("abort", () => finish(), { once: true });
    source.onopen = () => {
      opens += 1;
      headless = 0;
      connected = true;
      receivedAtOpen = received;
      (opens === 1 ? sink.opened : sink.reconnected)(now());
    };
    source.onmessage = (event) => {
      const t = now();
      const payload = utf8Length(event.data);
      sink.received(payload, t);
      const [text, stamp] = stamped ? splitTextStamp(event.data) : [event.data, null];
      lastId = event.lastEventId;
      sink.message(text, stamp, t, lastId, payload, spec?.via ? null : sseWire(lastId, event.data));
      received += 1;
      if (received >= expected) finish(() => ended(t));
    };
    source.onerror = async () => {
      const t = now();
      // A coding this browser refuses here fails every connection the same way: said once, not retried.
      const refused = received ? "" : codingRefusal(spec ?? {}, url);
      if (refused) return finish(() => sink.failed(t, { status: 0, message: refused, param: null }));
      if (source.readyState !== EventSource.CLOSED) {
        // Reconnecting by itself; a failed attempt to reconnect is not another drop.
        if (connected) sink.dropped(t);
        fruitless = connected && received === receivedAtOpen ? fruitless + 1 : 0;
        headless = connected ? 0 : headless + 1;
        connected = false;
        if (fruitless >= FRUITLESS_RECONNECTS) finish(() => sink.failed(t, nothingGetsThrough(fruitless)));
        // Closed before any head, again and again: EventSource would retry forever.
        else if (headless >= FRUITLESS_RECONNECTS) finish(() => sink.failed(t, neverAnswered(headless)));
        return;
      }
      const why = await explainFailure(url, lastId ? { "Last-Event-ID": lastId } : {});
      // 204 is the server saying "no events left": the stream is complete.
      finish(() => (why.status === 204 ? ended(t) : sink.failed(t, why.message ? why : closedEarly(received))));
    };
  });
}

function nothingGetsThrough(connections) {
  const message = `${connections} connections in a row were cut before any message arrived: ` +
    "what each one sent was held back (a culprit?) until the cut, so resuming can never catch up";
  return { status: 0, message, param: null };
}

function neverAnswered(connections) {
  const message = `${connections} connections in a row were closed before any head came; ` +
    "EventSource would try again forever";
  return { status: 0, message, param: null };
}

function closedEarly(received) {
  return { status: 0, message: `the event stream closed after ${received} messages`, param: null };
}

function parseEcho(data) {
  if (!data.startsWith('{"echo"')) return null;
  try {
    const echo = JSON.parse(data);
    if (typeof echo.echo !== "string" || !echo.echo.startsWith(PING_PREFIX)) return null;
    return Number(echo.echo.split(" ")[2]);
  } catch {
    return null;
  }
}

/** WebSocket: server messages in, and timestamped pings out whose echoes give round trips. */
export function readWebSocket({ url, signal, sink, stamped, expected }) {
  return new Promise((resolve) => {
    const socket = new WebSocket(url);
    let opened = false, timer = 0, seq = 0, received = 0;
    const ping = () => socket.send(`${PING_PREFIX}${seq++} ${now()}`);
    // Texts the page sent over this socket, oldest first: the server echoes each, in order.
    const asked = [];
    const say = (text) => {
      if (socket.readyState !== WebSocket.OPEN) return false;
      asked.push({ text, at: now() });
      socket.send(text);
      return true;
    };
    const echoOfAsked = (data) => {
      if (!asked.length || !data.startsWith('{"echo"')) return false;
      try {
        return JSON.parse(data).echo === asked[0].text;
      } catch {
        return false;
      }
    };
    signal.addEventListener("abort", () => socket.close(1000, "stopped"), { once: true });
    socket.onopen = () => {
      opened = true;
      sink.opened(now());
      sink.talk?.(say);
      ping();
      timer = setInterval(ping, PING_INTERVAL_MS);
    };
    socket.onmessage = (event) => {
      const t = now();
      // Checked before the pings: a text the page sent may itself start with "ping ".
      if (echoOfAsked(event.data)) {
        const { text, at } = asked.shift();
        return sink.echoed?.(text, t - at, t);
      }
      const sent = parseEcho(event.data);
      if (sent !== null) return sink.roundTrip(t - sent);
      const payload = utf8Length(event.data);
      sink.received(payload, t);
      const [text, stamp] = stamped ? splitTextStamp(event.data) : [event.data, null];
      sink.message(text, stamp, t, null, payload, wsWire(payload));
      // The server closes right after its last message: a ping then would race its close.
      if (++received >= expected) clearInterval(timer);
    };
    socket.onclose = async (event) => {
      clearInterval(timer);
      const t = now();
      if (signal.aborted) return resolve();
      if (event.code === 1000) sink.finished(t);
      else if (!opened) sink.failed(t, await explainHandshake(url));
      else {
        sink.dropped(t);
        sink.failed(t, { status: 0, message: closeMessage(event), param: null });
      }
      resolve();
    };
  });
}

const CLOSE_CODES = {
  1001: "the server is going away",
  1006: "the connection dropped without a close frame",
  1009: "a message was too big",
  1011: "the server hit an error",
};

function closeMessage(event) {
  const meaning = CLOSE_CODES[event.code] ?? event.reason;
  return `closed with code ${event.code}${meaning ? `: ${meaning}` : ""}`;
}

async function explainHandshake(url) {
  const why = await explainFailure(url);
  return why.message ? why : { status: 0, message: "the WebSocket handshake failed", param: null };
}

/** The reader for a registry transport. */
export function readerFor(transport) {
  switch (transport) {
    case "chunked":
    case "buffered":
      return readHttp;
    case "sse":
      return readSse;
    case "websocket":
      return readWebSocket;
    case "yours":
      return readYours;
    default:
      throw new Error(`no reader for transport ${transport}`);
  }
}
