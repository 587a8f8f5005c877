// "Your stream": a URL the user gives is read by this browser beside the endpoints, and
// judged by the same rules as `transport-lab diagnose` (verdict.js). The URL lives in the
// page's address (`?stream=`), so the server can let this page, and only it, read that
// origin; `terminal=` carries the terminal's verdict, to compare with this browser's.

import { setText } from "./dom.js";
import { formatMs } from "./stats.js";
import { judge, VERDICTS } from "./verdict.js";
import { YOURS_MAX_BYTES, YOURS_MAX_MS } from "./yours-reader.js";

export const YOURS = "your-stream";
const SCHEMES = new Set(["http:", "https:"]);
/** As the server checks it (app/server/yours.py): past this a URL is refused, not cut. */
const MAX_URL = 2048;
const HOST_NAME = /^(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*$/;
const IPV6 = /^\[[0-9a-f:.]+\]$/;
const REFUSED = "The address in this link is not read: the page reads a plain http:// or https:// URL " +
  "that names a host (no user name, no wildcard), of at most 2048 characters.";
const BROWSER_PATH = "something in this browser's path holds it — MIME sniffing (a text/plain body without " +
  "X-Content-Type-Options: nosniff), a service worker, an extension or an antivirus proxy";

/** The lane of the URL the server accepted for this page, or null. */
export function yoursSpec(root) {
  const url = root.dataset.stream;
  if (!url) return null;
  return {
    name: YOURS, endpoint: YOURS, label: "your stream", transport: "yours", url, path: "", index: 0, lane: null,
    via: null, culprit: null, stampable: false, content_type: "", defaults: { count: 0 }, description: url,
  };
}

/** `{ url }` as the browser writes it (host lower-cased, IDN as punycode), or `{ problem }`. */
export function checkUrl(text) {
  let url;
  try {
    url = new URL(text);
  } catch {
    return { problem: "Give a whole URL, starting with http:// or https://." };
  }
  if (!SCHEMES.has(url.protocol)) return { problem: `The page reads http:// and https:// streams, not ${url.protocol}//.` };
  if (url.username || url.password) return { problem: "A URL with a user name or password is not read here." };
  if (!HOST_NAME.test(url.hostname) && !IPV6.test(url.hostname)) {
    return { problem: "A host name of letters, digits, hyphens and dots, or an IP address, please (no wildcard)." };
  }
  if (url.href.length > MAX_URL) return { problem: `A URL of at most ${MAX_URL} characters, please.` };
  return { url: url.href };
}

/** The page's address with `stream` set to `url` (or removed), and no stale terminal verdict. */
export function addressWith(location, url) {
  const query = new URLSearchParams(location.search);
  query.delete("terminal");
  if (url) query.set("stream", url);
  else query.delete("stream");
  const text = query.toString();
  return `${location.pathname}${text ? `?${text}` : ""}`;
}

function markField(input, problem, why) {
  input.setAttribute("aria-invalid", String(Boolean(why)));
  problem.hidden = !why;
  setText(problem, why);
}

/** Use, Remove and Enter; and a link whose `stream=` the server refused shows it, marked invalid. */
export function wireYours(location, root) {
  const input = document.getElementById("yours-url");
  const problem = document.getElementById("yours-problem");
  const use = () => {
    const checked = checkUrl(input.value.trim());
    markField(input, problem, checked.problem ?? "");
    if (checked.url) location.assign(addressWith(location, checked.url));
  };
  document.getElementById("yours-use").addEventListener("click", use);
  input.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault(); // Enter here means this URL, not Run
    use();
  });
  document.getElementById("yours-remove")?.addEventListener("click", () => location.assign(addressWith(location, "")));
  const asked = new URLSearchParams(location.search).get("stream");
  if (asked && !root.dataset.stream) {
    input.value = asked.slice(0, 2 * MAX_URL); // a property, never markup
    markField(input, problem, checkUrl(asked).problem ?? REFUSED);
  }
}

/** Every read as the verdict rules take it: time, decoded bytes, the messages it completed. */
export function arrivalsOf(record) {
  const perRead = new Map();
  for (const message of record.messages) perRead.set(message.t, (perRead.get(message.t) ?? 0) + 1);
  return record.arrivals.map(({ t, bytes }) => ({ tMs: t, decodedBytes: bytes, messages: perRead.get(t) ?? 0 }));
}

/** As diagnose says: an event stream's events, or any lines, are messages; else it is bytes. */
function messagesKnown(record) {
  const mime = (record.contentType ?? "").split(";")[0].trim().toLowerCase();
  return mime === "text/event-stream" || record.messages.length > 0;
}

/** A verdict needs a reading that ended, and something read (or a whole, empty body). */
export function judgeable(record) {
  return record.endT !== null && (record.state === "done" || record.arrivals.length > 0);
}

export function verdictOf(record) {
  return judge(arrivalsOf(record), record.endT, messagesKnown(record));
}

/** The URL as one shell word: quoted when a shell would read anything in it (`&`, `?`, `*`, …). */
export function shellWord(text) {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;
}

const HELD = new Set(["buffered", "bursty"]);

function comparison(terminal, verdict) {
  if (!terminal) return "";
  if (!VERDICTS.includes(terminal)) return `terminal=${terminal.slice(0, 40)} is not a verdict; it is ignored.`;
  if (!verdict) return `The terminal saw it ${terminal}; this browser could not read it, so there is nothing to compare.`;
  if (terminal === verdict) return `The terminal saw it ${terminal} too: the browser adds nothing in the way.`;
  const seen = `The terminal saw it ${terminal}, this browser ${verdict}`;
  if (HELD.has(verdict) && !HELD.has(terminal)) return `${seen}, so ${BROWSER_PATH}.`;
  if (HELD.has(terminal) && !HELD.has(verdict)) {
    // A browser cannot un-buffer a stream: what held it is on the terminal's way.
    return `${seen}, so what holds it is on the terminal's way, not this browser's (another proxy, or an answer ` +
      "that differs for the terminal's request).";
  }
  return `${seen}: run both again; a stream that behaves differently each time cannot be compared.`;
}

/** Why the verdict rests on part of the stream, or "". */
function partial(record) {
  if (record.capped) return ` (judged on its first ${record.capped}: the page reads no more of a stream)`;
  if (record.state === "aborted") return " (judged on what arrived before it was stopped)";
  if (record.state === "error") return " (judged on what arrived before it failed)";
  return "";
}

function renderFigures(part, record) {
  const { arrivals } = record;
  setText(part("status"), record.status === null ? "–" : String(record.status));
  setText(part("content-type"), record.contentType || "–");
  setText(part("ttfb"), formatMs(record.headersT));
  setText(part("first-byte"), formatMs(arrivals[0]?.t));
  setText(part("arrivals"), String(arrivals.length));
  setText(part("largest-gap"), arrivals.length ? formatMs(record.largestGap) : "–");
  part("command").hidden = !record.error?.unreadable;
  setText(part("command-text"), `transport-lab diagnose ${shellWord(record.url)}`);
}

function renderVerdict(part, record, terminal) {
  const verdict = part("verdict"), reason = part("verdict-reason"), compare = part("verdict-compare");
  const judged = judgeable(record) ? verdictOf(record) : null;
  verdict.dataset.verdict = judged?.verdict ?? "";
  const failed = record.state === "error";
  setText(verdict, judged ? `Verdict in this browser: ${judged.verdict}` : failed ? "No verdict: nothing was read." : "Reading…");
  setText(reason, judged ? `${judged.reason}${partial(record)}.` : "");
  reason.hidden = !judged;
  const text = judged || failed ? comparison(terminal, judged?.verdict) : "";
  setText(compare, text);
  compare.hidden = !text;
}

/** The column's verdict, its reason, the figures only this lane has, and the terminal's view. */
export function renderYours(article, record, terminal) {
  const part = (role) => article.querySelector(`[data-role="${role}"]`);
  renderFigures(part, record);
  renderVerdict(part, record, terminal);
}

/** The lane in an export, in the terms of `diagnose --json` (times in ms from the fetch call). */
export function yoursDocument(record) {
  const judged = judgeable(record) ? verdictOf(record) : null;
  const timeline = arrivalsOf(record).map((a) => ({ t_ms: a.tMs, decoded_bytes: a.decodedBytes, messages: a.messages }));
  return {
    status: record.status, content_type: record.contentType, headers_ms: record.headersT, end_ms: record.endT,
    capped_at: record.capped, messages_known: messagesKnown(record), timeline,
    verdict: judged?.verdict ?? null, reason: judged?.reason ?? null,
    limits: { max_bytes: YOURS_MAX_BYTES, max_ms: YOURS_MAX_MS },
  };
}
