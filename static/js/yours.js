// "Your stream": a URL the user gives is read by this browser beside the endpoints, and
// judged by the same rules as `transport-lab diagnose` (verdict.js). The URL lives in the
// page's address (`?stream=`), so the server can let this page, and only it, read that
// origin; `terminal=` carries the terminal's verdict, to compare with this browser's.
// Several URLs (`?stream=origin=URL&stream=edge=URL`) are places of one stream, hops, each
// its own lane, named as diagnose names them (hops.js compares them).

import { diagnose, exposedNames, UNSEEN } from "./causes.js";
import { el, setText } from "./dom.js";
import { formatMs } from "./stats.js";
import { judge, VERDICTS } from "./verdict.js";
import { YOURS_MAX_BYTES, YOURS_MAX_MS } from "./yours-reader.js";

const SCHEMES = new Set(["http:", "https:"]);
/** As the server checks it (app/server/yours.py): past this a URL is refused, not cut. */
const MAX_URL = 2048;
const HOST_NAME = /^(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*$/;
const IPV6 = /^\[[0-9a-f:.]+\]$/;
const REFUSED = "The address in this link is not read: the page reads plain http:// or https:// URLs " +
  "that name a host (no user name, no wildcard), of at most 2048 characters each.";
const BROWSER_PATH = "something in this browser's path holds it — MIME sniffing (a text/plain body without " +
  "X-Content-Type-Options: nosniff), a service worker, an extension or an antivirus proxy";

/** The lanes of the URLs the server accepted for this page (its columns say which), in order. */
export function yoursSpecs(root) {
  const columns = [...root.querySelectorAll("article.column.yours")];
  return columns.map((column, index) => {
    const { endpoint: name, url, hop } = column.dataset;
    return {
      name, endpoint: name, label: columns.length > 1 ? hop : "your stream", hop, transport: "yours", url, path: "",
      index, lane: null, via: null, culprit: null, stampable: false, content_type: "", defaults: { count: 0 },
      description: url,
    };
  });
}

/** `{ url }` as the browser writes it (host lower-cased, IDN as punycode), or `{ problem }`. */
export function checkUrl(text) {
  let url;
  try {
    url = new URL(text);
  } catch {
    return { problem: "Give a whole URL, starting with http:// or https://." };
  }
  // `javascript:` and `data:` have no `//`: the scheme is named as it was written.
  if (!SCHEMES.has(url.protocol)) return { problem: `The page reads http:// and https:// streams, not “${url.protocol}” URLs.` };
  if (url.username || url.password) return { problem: "A URL with a user name or password is not read here." };
  if (!HOST_NAME.test(url.hostname) && !IPV6.test(url.hostname)) {
    return { problem: "A host name of letters, digits, hyphens and dots, or an IP address, please (no wildcard)." };
  }
  if (url.href.length > MAX_URL) return { problem: `A URL of at most ${MAX_URL} characters, please.` };
  return { url: url.href };
}

/** `origin=https://…`: a name before the URL, as diagnose takes it (app/targets.py). */
const NAMED = /^([A-Za-z][A-Za-z0-9_.-]{0,31})=(.+)$/;

/** `{ name, url }` of `[NAME=]URL` (name null when none is given). */
export function splitTarget(text) {
  const named = NAMED.exec(text);
  return named ? { name: named[1], url: named[2] } : { name: null, url: text };
}

/**
 * The field's words (one URL, or hops separated by spaces, each `[NAME=]URL`) as the
 * `stream=` values to put in the address, `{ values }`, or `{ problem }` naming the word.
 */
export function checkTargets(text, maxHops) {
  const words = text.split(/\s+/).filter(Boolean);
  if (!words.length) return { problem: "Give a whole URL, starting with http:// or https://." };
  if (words.length > maxHops) return { problem: `At most ${maxHops} URLs at once, not ${words.length}.` };
  const values = [];
  for (const word of words) {
    const { name, url } = splitTarget(word);
    const checked = checkUrl(url);
    if (checked.problem) return { problem: words.length > 1 ? `${word.slice(0, 80)}: ${checked.problem}` : checked.problem };
    values.push(name ? `${name}=${checked.url}` : checked.url);
  }
  return { values };
}

/** The page's address with `stream` set to `values` (or removed), and no stale terminal verdict. */
export function addressWith(location, values) {
  const query = new URLSearchParams(location.search);
  query.delete("terminal");
  query.delete("stream");
  for (const value of values) query.append("stream", value);
  const text = query.toString();
  return `${location.pathname}${text ? `?${text}` : ""}`;
}

/** The `stream=` values of the page's address, as it was asked (empty ones ask for nothing). */
export function askedStreams(location) {
  return new URLSearchParams(location.search).getAll("stream").filter(Boolean);
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
  const maxHops = Number(input.dataset.maxHops);
  const use = () => {
    const checked = checkTargets(input.value, maxHops);
    markField(input, problem, checked.problem ?? "");
    if (checked.values) location.assign(addressWith(location, checked.values));
  };
  document.getElementById("yours-use").addEventListener("click", use);
  input.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault(); // Enter here means this URL, not Run
    use();
  });
  document.getElementById("yours-remove")?.addEventListener("click", () => location.assign(addressWith(location, [])));
  const asked = askedStreams(location);
  if (asked.length && !root.dataset.streams) {
    const text = asked.join(" ").slice(0, (maxHops + 1) * MAX_URL);
    input.value = text; // a property, never markup
    markField(input, problem, checkTargets(text, maxHops).problem ?? REFUSED);
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

/** The terminal got an error status: said with what this browser got. */
function erred(verdict, record) {
  if (record.status >= 400) {
    return `The terminal got an error status, and so did this browser (${record.status}): the server answered ` +
      "with an error, not a stream, so there is no stream to judge; fix the request (URL, method, headers) first.";
  }
  if (!verdict) {
    return "The terminal got an error status, not a stream, and this browser could not read it: nothing to compare.";
  }
  return `The terminal got an error status where this browser got a stream (${verdict}): the server answers the ` +
    "two requests differently (it may refuse the terminal's User-Agent, or want a header a browser sends, such " +
    "as Origin or Accept); the terminal printed the status it got.";
}

function comparison(terminal, verdict, record) {
  if (!terminal) return "";
  if (!VERDICTS.includes(terminal)) return `terminal=${terminal.slice(0, 40)} is not a verdict; it is ignored.`;
  if (terminal === "error") return erred(verdict, record);
  if (terminal === "not-upgraded") {
    return "The terminal asked for a WebSocket (ws:// or wss://) and the server answered plain HTTP instead of " +
      "101 Switching Protocols; this page reads the URL over HTTP, so the two did not read the same thing and " +
      "there is nothing to compare.";
  }
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
  const text = judged || failed ? comparison(terminal, judged?.verdict, record) : "";
  setText(compare, text);
  compare.hidden = !text;
}

/** How a reading's messages were counted, in diagnose's words. */
function readingOf(record) {
  if (!messagesKnown(record)) return "bytes";
  return (record.contentType ?? "").split(";")[0].trim().toLowerCase() === "text/event-stream" ? "events" : "lines";
}

/** How the reading ended, in diagnose's words where the page can tell: a body that broke off after its head is cut. */
function endingOf(record) {
  if (record.drops.length) return "cut";
  if (record.capped) return "capped";
  return record.state === "aborted" ? "stopped" : "complete";
}

/**
 * The exchange as causes.js takes it. Its times count from the request's sending when the
 * browser says when that was (Resource Timing's requestStart), as the terminal's do; else
 * from Run, and `sent` is false.
 */
export function exchangeOf(record) {
  const head = record.head ?? { type: "cors", statusText: "", headers: { "content-type": record.contentType ?? "" } };
  const sentT = record.timing?.requestStart ?? null;
  const zero = sentT ?? 0;
  return {
    url: record.url, status: record.status, reason: head.statusText, httpVersion: "HTTP/1.1", headers: head.headers,
    exposed: exposedNames(head.type, head.headers), sent: sentT !== null, sentT,
    headersMs: record.headersT - zero, endMs: record.endT - zero, reading: readingOf(record), ending: endingOf(record),
    // The browser decodes before the page reads: the bytes on the wire, read by read, are unseen.
    arrivals: arrivalsOf(record).map((a) => ({ ...a, tMs: a.tMs - zero, wireBytes: null })),
  };
}

/** The causes, warnings and unchecked rules of a judged reading, or null before its verdict. */
export function findingsOf(record) {
  if (!judgeable(record)) return null;
  const exchange = exchangeOf(record);
  const judged = verdictOf(record);
  return { exchange, verdict: judged.verdict, ...diagnose(exchange, judged) };
}

/** A short name for each id, beside it in the list (the README documents each). */
const NAMES = {
  cached: "a cache's stored copy", "content-length": "a body built whole", compression: "a compressor",
  "proxy-buffering": "a buffering proxy", "write-buffer": "a write buffer", "held-by-server": "held by the server",
  sniffing: "MIME sniffing", "no-transform": "a proxy or CDN that may transform it",
  "content-type-buffering": "a CDN that streams one type only", "idle-timeout": "an idle timeout",
  "connection-cut": "a connection cut mid-stream",
};

/**
 * A cause: its id and name, evidence and fix, and (`shown`) a button showing the lab lane that
 * reproduces it. `heading`: its title's level, one below the heading it sits under.
 */
export function findingItem(finding, shown = null, heading = "h5") {
  const item = el("li", "finding");
  item.dataset.id = finding.id;
  const title = el(heading);
  title.append(el("code", "", finding.id), ` ${NAMES[finding.id] ?? ""}`);
  const fix = el("p", "fix");
  fix.append(el("strong", "", "Fix: "), finding.fix);
  item.append(title, el("p", "evidence", finding.evidence), fix);
  if (shown) item.append(shown);
  return item;
}

function group(title, findings, role, labLane) {
  if (!findings.length) return [];
  const list = el("ul", "findings");
  list.dataset.role = role;
  list.append(...findings.map((finding) => findingItem(finding, labButton(labLane?.(finding.id)))));
  return [el("h4", "", title), list];
}

/** "Show it in the lab": the culprit lane that reproduces a cause, beside its fix, on the next Run. */
function labButton(lab) {
  if (!lab) return null;
  const button = el("button", "lab-lane", `Show it in the lab: ${lab.label}`);
  button.type = "button";
  button.dataset.lanes = lab.names.join(",");
  button.addEventListener("click", lab.show);
  return button;
}

/** The rules not run, grouped by what this page did not see, and how to let it see more. */
function uncheckedPart(found, record) {
  if (!found.unchecked.length) return [];
  const missing = new Map();
  for (const { id, unseen } of found.unchecked) for (const why of unseen) missing.set(why, [...(missing.get(why) ?? []), id]);
  const list = el("ul", "unchecked");
  list.dataset.role = "unchecked";
  for (const [why, ids] of missing) {
    const item = el("li");
    ids.forEach((id, i) => item.append(...(i ? [" "] : []), el("code", "", id)));
    item.append(` — ${why}.`);
    list.append(item);
  }
  const asks = [];
  if ([...missing.keys()].some((why) => why.startsWith("CORS"))) asks.push("Access-Control-Expose-Headers: *");
  if (missing.has(UNSEEN.sent)) asks.push("Timing-Allow-Origin: *");
  const how = el("p", "causes-note");
  const cacheHit = found.causes.length && found.unchecked.some((f) => f.id === "cached")
    ? "A cache hit cannot be ruled out: if a cache answered, the causes above say nothing of the app. " : "";
  how.append(`${cacheHit}The stream's server can let this page see more by sending ${asks.join(" and ")}; ` +
    "a terminal sees it all: ", el("code", "", `transport-lab diagnose ${shellWord(record.url)}`));
  return [el("h4", "", "Not checked in this browser"), list, how];
}

function timesNote(exchange) {
  if (exchange.sent) {
    return `Times here count from the request's sending (${formatMs(exchange.sentT)} after Run), as the terminal's do.`;
  }
  return "Times here count from Run: this browser did not say when the request was sent, so they include " +
    "finding the server and connecting to it.";
}

function causesSection(article) {
  let section = article.querySelector('[data-role="causes"]');
  if (!section) {
    section = el("section", "causes");
    section.dataset.role = "causes";
    // One stop for the keyboard: the region, labelled by its first heading, then its text.
    section.tabIndex = 0;
    section.setAttribute("role", "region");
    article.querySelector('[data-role="verdict-compare"]').after(section);
  }
  return section;
}

const drawn = new WeakMap();

/** Under the verdict: each cause and warning with its evidence and fix, and what could not be checked. */
function renderCauses(article, record, labLane) {
  const section = causesSection(article);
  const found = findingsOf(record);
  const key = found ? JSON.stringify(found) : "";
  if (drawn.get(section) === key) return;
  drawn.set(section, key);
  // A held verdict whose every cause rests on what this page could not see says so, not nothing.
  const none = found && !found.causes.length && found.unchecked.length && HELD.has(found.verdict)
    ? [el("h4", "", "Likely causes"), el("p", "causes-none", "None this browser can claim: what they rest on was hidden.")]
    : [];
  const parts = found ? [
    ...group("Likely causes", found.causes, "causes-list", labLane), ...none,
    ...group("Warnings", found.warnings, "warnings-list"), ...uncheckedPart(found, record),
  ] : [];
  if (found?.causes.length) parts.push(el("p", "causes-note", timesNote(found.exchange)));
  section.replaceChildren(...parts);
  section.hidden = !parts.length;
  const heading = section.querySelector("h4");
  const title = `${article.dataset.endpoint}-causes-title`;
  if (heading) heading.id = title;
  section.setAttribute("aria-labelledby", title);
}

/**
 * The column's verdict, its reason, the figures only this lane has, the terminal's view, and
 * the causes; `labLane(id)`: the lab lane reproducing a cause ({label, names, show}), or null.
 */
export function renderYours(article, record, terminal, labLane = null) {
  const part = (role) => article.querySelector(`[data-role="${role}"]`);
  renderFigures(part, record);
  renderVerdict(part, record, terminal);
  renderCauses(article, record, labLane);
}

/** The lane in an export, in the terms of `diagnose --json` (times in ms from the fetch call). */
export function yoursDocument(record) {
  const judged = judgeable(record) ? verdictOf(record) : null;
  const found = findingsOf(record);
  const timeline = arrivalsOf(record).map((a) => ({ t_ms: a.tMs, decoded_bytes: a.decodedBytes, messages: a.messages }));
  const exposed = record.head ? exposedNames(record.head.type, record.head.headers) : [];
  return {
    status: record.status, content_type: record.contentType, headers: record.head?.headers ?? {},
    // Which headers this page could see ("all", or the names CORS let it see), and the request's
    // sending (ms from the fetch call; null when the browser did not say): the causes' times count from it.
    headers_seen: exposed ?? "all", sent_ms: record.timing?.requestStart ?? null,
    headers_ms: record.headersT, end_ms: record.endT, wire_bytes: record.timing?.encodedBodySize ?? null,
    capped_at: record.capped, messages_known: messagesKnown(record), timeline,
    verdict: judged?.verdict ?? null, reason: judged?.reason ?? null,
    causes: found?.causes ?? [], warnings: found?.warnings ?? [],
    unchecked: found?.unchecked ?? [],
    limits: { max_bytes: YOURS_MAX_BYTES, max_ms: YOURS_MAX_MS },
  };
}
