// Why a stream did not stream, or was cut: the terminal's causes (app/client/diagnose/causes.py
// and cuts.py), with the same ids, evidence and fixes, from what this browser can see. Both are
// held to tests/causes_cases.json. Pure: an exchange and its verdict in, findings out.
//
// What a page sees, and what it does not (a rule that needs what it did not see is not
// claimed: it is listed as unchecked, with what was missing):
// - Headers: all of a same-origin answer's (Set-Cookie aside); of another origin's, only
//   the CORS-safelisted ones (SAFELISTED) and those it names in Access-Control-Expose-Headers
//   (`*`: all). A header CORS did not expose may have been sent: it is unseen, not absent.
// - When the request was sent: Resource Timing's requestStart, for another origin only with
//   Timing-Allow-Origin. Without it the times count from the fetch call (DNS, connecting and
//   TLS included), so a head that waited for the body cannot be told from a slow connection.
// - Bytes on the wire, read by read: never (the browser decodes gzip before the page reads),
//   so compression rests on Content-Encoding and the verdict, not on encoded bytes that came early;
//   and the silence before a cut is timed by the content's reads only when nothing was encoded.
// - A cut: a body that broke off after its head (a browser fails the read when the framing's
//   end never came: a chunked body without its last chunk, a Content-Length not reached).
//
// exchange: { url, status, reason, httpVersion, headers: {lower-case name: value},
//   exposed: null (every header seen) or the names that would have been seen if sent,
//   sent: whether times count from the request's sending, headersMs, endMs,
//   ending: "cut" when the body broke off (else "complete", or how the reading stopped),
//   arrivals: [{ tMs, wireBytes (null: unseen), decodedBytes, messages }], reading }.

import { roundHalfEven } from "./verdict.js";

const HELD_VERDICTS = ["buffered", "bursty"];
/** The one type many CDNs and tunnels stream (they hold the others whole). */
const STREAMED_TYPE = "text/event-stream";
/** A cut after at least this much silence on the wire is an idle timeout's (cuts.py IDLE_CUT_MS). */
export const IDLE_CUT_MS = 100;
/** Headers that proxies, caches and CDNs add (`Server` is not one: origins send it too). */
export const HOP_HEADERS = [
  "Via", "X-Cache", "X-Cache-Hits", "X-Varnish", "Age", "CF-Cache-Status", "CF-Ray", "X-Served-By",
  "X-Proxy-Cache", "Cache-Status", "X-Amz-Cf-Id", "X-Fastly-Request-Id", "X-Akamai-Transformed",
];
const CDN_HEADERS = ["cf-ray", "x-amz-cf-id", "x-served-by", "x-fastly-request-id", "x-akamai-transformed", "x-cache"];
const CACHE_HEADERS = ["age", "x-varnish", "x-cache", "cf-cache-status", "x-proxy-cache", "x-cache-hits", "cache-status"];
const STORED = ["hit", "stale", "updating", "revalidated"];
/** Response headers a page sees from any origin (the Fetch standard's CORS-safelisted names). */
export const SAFELISTED = [
  "cache-control", "content-language", "content-length", "content-type", "expires", "last-modified", "pragma",
];
export const POSTPONE_BYTES = 1460;
export const TOGETHER_MS = 50;
export const APART_MS = 100;
export const HEAD_WAIT_MS = 100;
export const BUFFER_SIZES = [65536, 32768, 16384, 8192, 4096, 2048];
export const HEAD_ROOM = 512;
export const JOIN_MS = 10;

/** When the head came against the content; the last two only in a browser, which may not see enough. */
export const HEAD = {
  HELD: "held", AT_ONCE: "at once", UNCLEAR: "unclear", UNSENT: "sending unseen", UNSIZED: "size unseen",
};

/** What a page may not see, as it says it: a rule missing one of these is unchecked, not claimed. */
export const UNSEEN = {
  hops: "CORS did not let this page see Via, Age, X-Cache or the other headers a proxy, cache or CDN adds",
  sent: "this browser did not say when the request was sent (for another origin, Resource Timing needs " +
    "Timing-Allow-Origin), so whether the head waited for the body cannot be told",
  size: "CORS hid part of the head, and its size decides whether a buffering nginx would have held it",
  encoding: "CORS did not let this page see Content-Encoding",
  nosniff: "CORS did not let this page see X-Content-Type-Options",
  accel: "CORS did not let this page see X-Accel-Buffering, which a hop that passed it on shows is no nginx",
  wire: "this browser decodes the body before the page reads it, so when the last compressed byte crossed the " +
    "wire before the cut is unseen",
};

const f0 = (value) => String(roundHalfEven(value));
/** Python's `:.1f`: the exact value to one decimal, a tie (n + 0.25, n + 0.75) to the even digit. */
const f1 = (value) => {
  const tie = Number.isInteger(value * 4) && !Number.isInteger(value * 2);
  return tie ? (roundHalfEven(value * 10) / 10).toFixed(1) : value.toFixed(1);
};
const counted = (number, noun) => `${number} ${noun}${number === 1 ? "" : "s"}`;
const header = (exchange, name) => (Object.hasOwn(exchange.headers, name) ? exchange.headers[name] : "");
const finding = (id, evidence, fix) => ({ id, evidence, fix });
const unchecked = (id, reasons) => ({ id, unseen: reasons });
const isHeld = (judgement) => HELD_VERDICTS.includes(judgement.verdict);
const isDigits = (text) => /^[0-9]+$/.test(text);

/** Whether `name` may have been sent and CORS kept it from this page. */
export function unseen(exchange, name) {
  return exchange.exposed !== null && !Object.hasOwn(exchange.headers, name) && !exchange.exposed.includes(name);
}

/** The names a page sees of a response: null when all of them (same origin, or exposed with `*`). */
export function exposedNames(type, headers) {
  if (type !== "cors") return null;
  const listed = (headers["access-control-expose-headers"] ?? "").split(",").map((name) => name.trim().toLowerCase());
  return listed.includes("*") ? null : [...SAFELISTED, ...listed.filter(Boolean)];
}

const firstContentMs = (exchange) => exchange.arrivals.find((a) => a.decodedBytes)?.tMs ?? null;

/** The headers by which a proxy, cache or CDN shows itself, as `Name: value`. */
function hopSigns(exchange) {
  return HOP_HEADERS.filter((name) => header(exchange, name.toLowerCase())).map((name) =>
    `${name}: ${header(exchange, name.toLowerCase())}`);
}

/** Reads closer than JOIN_MS, or than a tenth of the longest silence between reads, are one block. */
export function blocksOf(arrivals) {
  const content = arrivals.filter((a) => a.decodedBytes);
  const gaps = content.slice(1).map((a, i) => a.tMs - content[i].tMs);
  const join = Math.max(JOIN_MS, 0.1 * gaps.reduce((longest, gap) => Math.max(longest, gap), 0));
  const blocks = [];
  content.forEach((a, i) => {
    if (blocks.length && gaps[i - 1] < join) blocks.at(-1).size += a.decodedBytes;
    else blocks.push({ tMs: a.tMs, size: a.decodedBytes });
  });
  return blocks;
}

/** The power-of-two buffer that cut every block but the last (the first may be short by a head), or null. */
export function bufferSize(blocks, headInFirst) {
  if (blocks.length < 2) return null;
  const first = blocks[0].size, inner = blocks.slice(1, -1).map((block) => block.size);
  for (const size of BUFFER_SIZES) {
    const short = headInFirst && size - HEAD_ROOM <= first && first < size;
    if ((first % size === 0 || short) && inner.every((block) => block % size === 0)) return size;
  }
  return null;
}

/** The head's size, near enough (a page never sees Set-Cookie). */
export function headBytes(exchange) {
  const status = `${exchange.httpVersion} ${exchange.status} ${exchange.reason}\r\n`.length;
  const fields = Object.entries(exchange.headers).reduce((sum, [name, value]) => sum + name.length + value.length + 4, 0);
  return status + fields + 2;
}

/** Held: late, with the first content. At once: APART_MS or more before it, unless too large to tell. */
export function headTiming(exchange, blocks) {
  if (!blocks.length) return HEAD.UNCLEAR;
  const apart = blocks[0].tMs - exchange.headersMs;
  if (apart >= APART_MS) {
    if (headBytes(exchange) >= POSTPONE_BYTES) return HEAD.UNCLEAR;
    return exchange.exposed === null ? HEAD.AT_ONCE : HEAD.UNSIZED;
  }
  const cadence = blocks.slice(1).reduce((longest, block, i) => Math.max(longest, block.tMs - blocks[i].tMs), 0);
  // From the fetch call, headersMs is at least the true wait: only reaching the bar is in doubt.
  if (apart <= TOGETHER_MS && exchange.headersMs >= Math.max(HEAD_WAIT_MS, 0.5 * cadence)) {
    return exchange.sent ? HEAD.HELD : HEAD.UNSENT;
  }
  return HEAD.UNCLEAR;
}

export function evidenceOf(exchange) {
  const blocks = blocksOf(exchange.arrivals);
  const head = headTiming(exchange, blocks);
  const hidden = HOP_HEADERS.filter((name) => unseen(exchange, name.toLowerCase()));
  return {
    hops: hopSigns(exchange), hidden, blocks, head, buffer: bufferSize(blocks, head === HEAD.HELD),
    // Whatever the head's timing, a buffer may cut the blocks, or surely does (when a page cannot tell it).
    mayBuffer: bufferSize(blocks, true) !== null, mustBuffer: bufferSize(blocks, false) !== null,
  };
}

/** Why the rules that place the hold cannot be run here: [] when the page saw what they need. */
function blindSpots(seen) {
  const spots = [];
  if (!seen.hops.length && seen.hidden.length) spots.push(UNSEEN.hops);
  if (seen.head === HEAD.UNSENT) spots.push(UNSEEN.sent);
  if (seen.head === HEAD.UNSIZED) spots.push(UNSEEN.size);
  return spots;
}

function headStory(exchange, head) {
  const first = firstContentMs(exchange) || exchange.endMs;
  if (head === HEAD.HELD) return `the head came only at ${f0(exchange.headersMs)} ms, with the first content`;
  const told = `the head came at ${f0(exchange.headersMs)} ms and the content from ${f0(first)} ms`;
  if (head === HEAD.AT_ONCE || first - exchange.headersMs < APART_MS) return told;
  return `${told}, but the head is about ${headBytes(exchange)} bytes, and nginx sends a head of ` +
    `${POSTPONE_BYTES} bytes or more at once even when it buffers the body`;
}

function blocksStory(seen) {
  const sizes = seen.blocks.map((block) => `${block.size} B at ${f0(block.tMs)} ms`);
  const listed = sizes.slice(0, 4).join(", ") + (sizes.length > 4 ? ` and ${sizes.length - 4} more` : "");
  const short = seen.blocks[0].size % (seen.buffer || 1) ? " (the first less the head that shared it)" : "";
  return `the content came in ${counted(sizes.length, "block")} (${listed}): blocks cut by a buffer of ` +
    `${seen.buffer} bytes${short}, not messages`;
}

const shown = (hops) => `${hops.slice(0, 3).join(", ")} show${hops.length === 1 ? "s" : ""}`;

function noHop(exchange) {
  const server = header(exchange, "server");
  const named = server ? ` (Server: ${server} may name a proxy in front or the origin itself)` : "";
  return `no Via, cache or CDN header shows a proxy${named}`;
}

/** Buffered with a Content-Length, not chunked (a page may not see Transfer-Encoding, but RFC 9112
 * forbids a sender both, and HTTP/2 and 3 have none): the body was whole before it was sent. */
function lengthKnown(exchange, judgement) {
  const chunked = header(exchange, "transfer-encoding").toLowerCase().includes("chunked");
  return judgement.verdict === "buffered" && Boolean(header(exchange, "content-length")) && !chunked;
}

const storedStatus = (value) =>
  value.toLowerCase().split(/[\s,;]+/).some((token) => token && (token.endsWith("hit") || STORED.includes(token)));

/** RFC 9211 `Cache-Status`: one member per cache, a hit marked by its `hit` parameter. */
const cacheStatusHit = (value) => value.split(",").some((member) =>
  member.split(";").slice(1).some((param) => ["hit", "hit=?1"].includes(param.trim().toLowerCase())));

function replaySigns(exchange) {
  const signs = [];
  const age = header(exchange, "age").trim();
  if (isDigits(age) && Number(age) > 0) signs.push(`Age: ${age} (the stored copy is ${age} s old)`);
  const varnish = header(exchange, "x-varnish").split(/\s+/).filter(Boolean);
  if (varnish.length >= 2) {
    signs.push(`X-Varnish: ${varnish.join(" ")} (two ids: this request's and the one that stored the copy)`);
  }
  for (const name of ["X-Cache", "CF-Cache-Status", "X-Proxy-Cache"]) {
    const value = header(exchange, name.toLowerCase());
    if (storedStatus(value)) signs.push(`${name}: ${value}`);
  }
  const hits = header(exchange, "x-cache-hits");
  if (hits.split(",").some((count) => isDigits(count.trim()) && Number(count) > 0)) signs.push(`X-Cache-Hits: ${hits}`);
  const status = header(exchange, "cache-status");
  if (cacheStatusHit(status)) signs.push(`Cache-Status: ${status}`);
  return signs;
}

/** Rests on the headers a hit carries (Age, X-Varnish, X-Cache, ...); unchecked when CORS hid them all. */
function cached(exchange) {
  const signs = replaySigns(exchange);
  if (!signs.length) {
    const hidden = CACHE_HEADERS.filter((name) => unseen(exchange, name));
    return hidden.length ? unchecked("cached", [UNSEEN.hops]) : null;
  }
  return finding("cached",
    `a cache answered from a stored copy: ${signs.join("; ")}. The timing is the cache's, not the app's, ` +
    "so whether the app streams cannot be judged from a hit, and nothing else is concluded from it",
    "judge the stream past the cache: add a query string the cache has not seen (?nocache=RANDOM: caches key " +
    "on the whole URL), or try diagnose -H 'Cache-Control: no-cache' (Varnish, nginx proxy_cache and most " +
    "CDNs ignore it by default); keep streams out of shared caches: send Cache-Control: no-store (or " +
    "private) with the stream");
}

/** Rests on a buffered verdict and a Content-Length without chunked framing (always seen: safelisted). */
function contentLength(exchange, judgement) {
  if (!lengthKnown(exchange, judgement)) return null;
  const length = header(exchange, "content-length");
  // From the fetch call, the silence before the head may be the connection's: not claimed.
  const waited = exchange.sent && exchange.headersMs >= 0.5 * exchange.endMs
    ? `, after ${f0(exchange.headersMs)} ms of silence` : "";
  return finding("content-length",
    `the headers came with Content-Length: ${length}${waited}: the body's length was known before its first ` +
    "byte was sent, so the whole body was built before sending",
    "stream the body instead of building it: leave Content-Length out and write each message as it is ready " +
    "(HTTP/1.1 then frames it as chunks): aiohttp web.StreamResponse, Starlette/FastAPI StreamingResponse, " +
    "Express res.write(), Flask a generator response");
}

/** Rests on a held verdict with a Content-Encoding, best on encoded bytes that came early (never seen by a page). */
function compression(exchange, judgement) {
  const encoding = header(exchange, "content-encoding");
  if (!isHeld(judgement)) return null;
  if (!encoding && unseen(exchange, "content-encoding")) return unchecked("compression", [UNSEEN.encoding]);
  if (["", "identity"].includes(encoding.toLowerCase())) return null;
  const first = firstContentMs(exchange);
  const early = exchange.arrivals.filter((a) => a.wireBytes && !a.decodedBytes && (first === null || a.tMs < first));
  let evidence = `the body is ${encoding}-compressed and its content came only at the end`;
  if (early.length) {
    const encoded = early.reduce((sum, a) => sum + a.wireBytes, 0);
    evidence = `${encoded} bytes of ${encoding} arrived in ${counted(early.length, "read")} from ` +
      `${f0(early[0].tMs)} ms on, but decoded to nothing until ${f0(first)} ms: the body was compressed as it ` +
      "went and the compressor held the content";
  }
  return finding("compression", evidence,
    "do not compress streams (exempt text/event-stream and application/x-ndjson from the compression " +
    "middleware or nginx gzip_types), or flush the compressor after every message (zlib Z_SYNC_FLUSH)");
}

/** Rests on a head held with the first content, or a proxy's header with buffer-sized blocks or a head
 * whose timing cannot clear it; not when a Content-Length shows the body was whole. */
function proxyBuffering(exchange, judgement) {
  if (!isHeld(judgement) || lengthKnown(exchange, judgement)) return null;
  const seen = evidenceOf(exchange);
  const blind = blindSpots(seen);
  if (blind.length) return unchecked("proxy-buffering", blind);
  if (!(seen.head === HEAD.HELD || (seen.hops.length && (seen.buffer || seen.head === HEAD.UNCLEAR)))) return null;
  const told = [seen.hops.length ? `${shown(seen.hops)} a proxy or cache on the way` : noHop(exchange)];
  if (seen.head === HEAD.HELD) {
    told.push(`${headStory(exchange, seen.head)}, as a buffering proxy (nginx, proxy_buffering on) sends it`);
  }
  if (seen.buffer) told.push(blocksStory(seen));
  const others = seen.hops.length ? [] : ["an app whose own buffer holds its head too (a CGI's stdout) looks the same"];
  if (seen.head !== HEAD.HELD) {
    others.push(`${headStory(exchange, seen.head)}: the app may hold the body behind a proxy that passes it on`);
  }
  if (header(exchange, "x-accel-buffering").toLowerCase() === "no") {
    told.push("X-Accel-Buffering: no reached this client, so no nginx on the way acted on it (nginx removes it)");
  }
  if (others.length) {
    told.push(...others,
      "to tell them apart, fetch the app directly, bypassing the proxy: if it streams there, the proxy holds it");
  }
  return finding("proxy-buffering", told.join("; "),
    "send X-Accel-Buffering: no with the stream (nginx honours it per response), or set proxy_buffering off " +
    "for the stream's location; for another proxy or CDN, its streaming or no-buffering setting");
}

const mimeOf = (exchange) => header(exchange, "content-type").split(";", 1)[0].trim().toLowerCase();

/** Rests on a held verdict, a hop that is no nginx (a CDN's header, or X-Accel-Buffering: no that reached
 * the client), another type than text/event-stream, and no buffer-sized blocks; unchecked when CORS hid
 * the hop's headers, or the time of sending decides whether the blocks are a buffer's. */
function contentTypeBuffering(exchange, judgement) {
  const kind = mimeOf(exchange);
  if (!isHeld(judgement) || kind === STREAMED_TYPE || lengthKnown(exchange, judgement)) return null;
  const seen = evidenceOf(exchange);
  const cdn = seen.hops.filter((sign) => CDN_HEADERS.includes(sign.split(":", 1)[0].toLowerCase()));
  const passed = header(exchange, "x-accel-buffering").toLowerCase() === "no";
  // Each condition the terminal checks is true, false, or unseen here (with why).
  const hop = seen.hops.length ? true : seen.hidden.length ? UNSEEN.hops : false;
  const noBuffer = seen.mustBuffer ? false : !seen.mayBuffer || seen.head !== HEAD.UNSENT ? !seen.buffer : UNSEEN.sent;
  let notNginx = cdn.length > 0 || passed;
  if (!notNginx) {
    const hidden = [CDN_HEADERS.some((name) => unseen(exchange, name)) && UNSEEN.hops,
      unseen(exchange, "x-accel-buffering") && UNSEEN.accel].filter(Boolean);
    if (hidden.length) notNginx = hidden;
  }
  const conditions = [hop, noBuffer, notNginx];
  if (conditions.includes(false)) return null;
  const blind = [...new Set(conditions.filter((c) => c !== true).flat())];
  if (blind.length) return unchecked("content-type-buffering", blind);
  const told = [`${shown(seen.hops)} a proxy, CDN or tunnel on the way`, `the body is ${kind || "(no type)"}`];
  if (passed) told.push("X-Accel-Buffering: no reached this client: the hop is no nginx (nginx acts on it, removes it)");
  told.push(`CDNs and tunnels that stream only ${STREAMED_TYPE} (Cloudflare Tunnel, Azure front ends) hold any ` +
    "other type whole");
  return finding("content-type-buffering", told.join("; "),
    `serve the stream as ${STREAMED_TYPE} (as SSE, or the same body with that type), or turn the CDN's ` +
    "buffering off for the path where it can be");
}

/** The silence the cut ended (ms), from the reads that carried bytes: every read's wire bytes when the page
 * saw them; else the content's reads, which stand for the wire's only when nothing was encoded; null when
 * they cannot (a body encoded, or CORS hid whether it was). */
function silenceBeforeCut(exchange) {
  const wireSeen = exchange.arrivals.every((a) => a.wireBytes !== null && a.wireBytes !== undefined);
  const encoding = header(exchange, "content-encoding").toLowerCase();
  const plain = ["", "identity"].includes(encoding) && !(encoding === "" && unseen(exchange, "content-encoding"));
  if (!wireSeen && !plain) return null;
  const carried = exchange.arrivals.filter((a) => (wireSeen ? a.wireBytes : a.decodedBytes));
  return exchange.endMs - carried.reduce((last, a) => Math.max(last, a.tMs), Math.max(0, exchange.headersMs));
}

/** metrics.py's IDLE_FIX: the fix for an idle timeout, warned of or met. */
const IDLE_FIX =
  "send a heartbeat well within the shortest idle timeout on the way (every 15 s clears all of these): an SSE " +
  "comment line (: ping), a WebSocket ping, a blank line between NDJSON records; proxies and CDNs count any " +
  "byte, though the app sees none of these. Or raise the timeout where it can be: an AWS ALB's idle timeout " +
  "(up to 4000 s), CloudFront's origin response timeout (up to 60 s, more on request), Cloudflare's on an " +
  "Enterprise plan, nginx proxy_read_timeout, HAProxy timeout server/tunnel; Heroku's is fixed";

/** cuts.py: `idle-timeout` for a cut at the end of a silence of IDLE_CUT_MS or more, `connection-cut` for any
 * other cut; both unchecked when the page cannot time the wire's silence. */
export function cutCause(exchange) {
  if (exchange.ending !== "cut") return [];
  const silence = silenceBeforeCut(exchange);
  if (silence === null) {
    const why = header(exchange, "content-encoding") ? UNSEEN.wire : UNSEEN.encoding;
    return [unchecked("idle-timeout", [why]), unchecked("connection-cut", [why])];
  }
  const what = exchange.reading === "messages" ? "a close frame" : "the end its framing promises";
  const messages = exchange.arrivals.reduce((sum, a) => sum + a.messages, 0);
  const bytes = exchange.arrivals.reduce((sum, a) => sum + a.decodedBytes, 0);
  const got = exchange.reading === "bytes" ? `${bytes} bytes` : `${messages} message${messages === 1 ? "" : "s"}`;
  if (silence >= IDLE_CUT_MS) {
    return [finding("idle-timeout",
      `the connection was closed after ${got}, ${f1(silence / 1000)} s after its last byte, without ${what}: ` +
      "cut in a silence, as an idle timeout on the way closes a connection that carried nothing for its timeout " +
      "(AWS ALB 60 s, Heroku 55 s, Cloudflare 100 s, CloudFront 30 s)",
      IDLE_FIX)];
  }
  return [finding("connection-cut",
    `the connection was closed after ${got}, ${f0(silence)} ms after its last byte, without ${what}: the ` +
    "server or something on the way cut it while the stream was going",
    "look for who closed it: the server's log (a crash, a worker restart, a write timeout), the proxy's " +
    "timeouts and limits; and let the reader resume (EventSource reconnects with Last-Event-ID; a fetch " +
    "reader can do the same)")];
}

/** Rests on blocks cut by a power-of-two buffer with no proxy, cache or CDN header. */
function writeBuffer(exchange, judgement) {
  if (!isHeld(judgement) || lengthKnown(exchange, judgement)) return null;
  const seen = evidenceOf(exchange);
  if (seen.hops.length || !seen.mayBuffer) return null;
  const blind = blindSpots(seen);
  if (blind.length) return unchecked("write-buffer", blind);
  if (seen.buffer === null) return null;
  const told = [blocksStory(seen), noHop(exchange)];
  if (seen.head === HEAD.AT_ONCE) {
    told.push(`${headStory(exchange, seen.head)}: a buffering proxy like nginx would have held the head with its ` +
      "first block, so the buffer is behind the head, in the app's writing of the body");
  } else {
    const alike = seen.head === HEAD.HELD ? "would look the same (see proxy-buffering)" : "cannot be ruled out";
    told.push(`${headStory(exchange, seen.head)}: a buffering proxy that adds no Via (nginx adds none) ${alike}; ` +
      "fetch the app directly: blocks there too mean its own buffer");
  }
  return finding("write-buffer", told.join("; "),
    "flush after every message: run a Python script or CGI unbuffered (python -u, PYTHONUNBUFFERED=1) or " +
    "call sys.stdout.flush() after each message (C: fflush(stdout); Perl: $| = 1); flush a buffered writer " +
    "per message (Express with compression: res.flush())");
}

function whereHeld(exchange, seen) {
  if (seen.head === HEAD.AT_ONCE && seen.hops.length) {
    return `${shown(seen.hops)} a proxy, but it passed the head at once, as a proxy that does not buffer does: ` +
      "the body was held before it, by the app, unless that proxy buffers bodies alone (fetch the app " +
      "directly to tell)";
  }
  if (seen.head === HEAD.AT_ONCE) {
    return `a buffering proxy in front (nginx) would have held a head under ${POSTPONE_BYTES} bytes with the body, ` +
      `so the body was held before any hop, by the app; ${noHop(exchange)}`;
  }
  if (seen.head === HEAD.HELD) {
    return `${noHop(exchange)}, but one that adds no Via (nginx adds none) would look the same, holding head and ` +
      "body (see proxy-buffering)";
  }
  return `${noHop(exchange)}, though one in front cannot be ruled out: fetch the app directly to tell`;
}

/** Rests on a head passed at once while the body came late, or on nothing placing the hold in a hop or a buffer. */
function heldByServer(exchange, judgement, claimed) {
  if (!isHeld(judgement) || claimed.some((f) => ["content-length", "compression"].includes(f.id) && !f.unseen)) return null;
  const seen = evidenceOf(exchange);
  if (seen.mustBuffer || (seen.hops.length && ![HEAD.AT_ONCE, HEAD.UNSIZED].includes(seen.head))) return null;
  const blind = blindSpots(seen);
  if (claimed.some((f) => f.id === "compression" && f.unseen)) blind.push(UNSEEN.encoding);
  if (blind.length) return unchecked("held-by-server", blind);
  if (seen.buffer || (seen.hops.length && seen.head !== HEAD.AT_ONCE)) return null;
  const first = firstContentMs(exchange) || exchange.endMs;
  return finding("held-by-server",
    `${headStory(exchange, seen.head)}; ${whereHeld(exchange, seen)}; no Content-Length, compression or ` +
    `buffer-sized blocks explain the wait until ${f0(first)} ms`,
    "make the handler write (and flush) each message when it is ready, not collect them first; look for a " +
    "middleware that buffers responses; fetch the app directly to confirm it is late there too");
}

function sniffing(exchange) {
  const kind = header(exchange, "content-type").split(";", 1)[0].trim().toLowerCase();
  if (!["", "text/plain"].includes(kind) || header(exchange, "x-content-type-options").toLowerCase().includes("nosniff")) {
    return null;
  }
  if (unseen(exchange, "x-content-type-options")) {
    return unchecked("sniffing", [UNSEEN.nosniff]);
  }
  return finding("sniffing",
    `Content-Type: ${kind || "(none)"} without X-Content-Type-Options: nosniff: a browser may hold back ` +
    "the first KiB of such a body to sniff its type, so a slow stream shows nothing in a tab for a while",
    "send X-Content-Type-Options: nosniff (and a specific Content-Type)");
}

function noTransform(exchange) {
  if (header(exchange, "cache-control").toLowerCase().includes("no-transform")) return null;
  const cdn = CDN_HEADERS.find((name) => Object.hasOwn(exchange.headers, name)) ?? "";
  if (!cdn && !header(exchange, "via")) {
    const hidden = ["via", ...CDN_HEADERS].some((name) => unseen(exchange, name));
    return hidden ? unchecked("no-transform", [UNSEEN.hops]) : null;
  }
  const seen = cdn ? `${cdn}: ${header(exchange, cdn)}` : `Via: ${header(exchange, "via")}`;
  return finding("no-transform",
    `a CDN or proxy is on the way (${seen}) and Cache-Control does not say no-transform: ` +
    "it may compress or rewrite the stream, and hold it to do so",
    "send Cache-Control: no-cache, no-transform");
}

const CAUSES = [contentLength, compression, contentTypeBuffering, proxyBuffering, writeBuffer];

/** { causes, warnings, unchecked }: a cut first (as report.py puts it), then the causes most certain first
 * (a cache hit alone, when there is one); unchecked: [{ id, unseen: [UNSEEN...] }], the rules this page
 * could not run for what it did not see. */
export function diagnose(exchange, judgement) {
  const replayed = cached(exchange);
  const results = replayed && !replayed.unseen ? [replayed]
    : [...(replayed ? [replayed] : []), ...CAUSES.map((rule) => rule(exchange, judgement))].filter(Boolean);
  if (!replayed || replayed.unseen) results.push(heldByServer(exchange, judgement, results));
  const found = [...cutCause(exchange), ...results.filter(Boolean)];
  const hints = exchange.reading === "messages" ? [] : [sniffing(exchange), noTransform(exchange)].filter(Boolean);
  return {
    causes: found.filter((f) => !f.unseen),
    warnings: hints.filter((f) => !f.unseen),
    unchecked: [...found, ...hints].filter((f) => f.unseen),
  };
}
