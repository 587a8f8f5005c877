// "Your stream": a URL the user gives is read by this browser beside the endpoints, and
// judged by the same rules as `transport-lab diagnose` (verdict.js). The URL lives in the
// page's address (`?stream=`), so the server can let this page, and only it, read that
// origin; `terminal=` carries the terminal's verdict, to compare with this browser's.

import { setText } from "./dom.js";
import { formatMs } from "./stats.js";
import { judge, largestGapMs, VERDICTS } from "./verdict.js";

export const YOURS = "your-stream";
const SCHEMES = new Set(["http:", "https:"]);
const BROWSER_PATH = "something in this browser's path holds it: MIME sniffing (a text/plain body without " +
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

/** A reason the text cannot be read by the page, or "" when it can. */
export function urlProblem(text) {
  let url;
  try {
    url = new URL(text);
  } catch {
    return "Give a whole URL, starting with http:// or https://.";
  }
  if (!SCHEMES.has(url.protocol)) return `The page reads http:// and https:// streams, not ${url.protocol}//.`;
  if (url.username || url.password) return "A URL with a user name or password is not read here.";
  return "";
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

/** The Use and Remove buttons, and the field's own check: nothing is loaded from a bad value. */
export function wireYours(location) {
  const input = document.getElementById("yours-url");
  const problem = document.getElementById("yours-problem");
  const use = () => {
    const text = input.value.trim();
    const why = urlProblem(text);
    input.setAttribute("aria-invalid", String(Boolean(why)));
    problem.hidden = !why;
    setText(problem, why);
    if (!why) location.assign(addressWith(location, text));
  };
  document.getElementById("yours-use").addEventListener("click", use);
  input.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault(); // Enter here means this URL, not Run
    use();
  });
  document.getElementById("yours-remove")?.addEventListener("click", () => location.assign(addressWith(location, "")));
}

/** Every read as the verdict rules take it: time, decoded bytes, the messages it completed. */
export function arrivalsOf(record) {
  const perRead = new Map();
  for (const message of record.messages) perRead.set(message.t, (perRead.get(message.t) ?? 0) + 1);
  return record.arrivals.map(({ t, bytes }) => ({ tMs: t, decodedBytes: bytes, messages: perRead.get(t) ?? 0 }));
}

export function verdictOf(record) {
  const isEvents = (record.contentType ?? "").toLowerCase().startsWith("text/event-stream");
  return judge(arrivalsOf(record), record.endT, isEvents || record.messages.length > 1);
}

const HELD = new Set(["buffered", "bursty"]);

function comparison(terminal, verdict) {
  if (!terminal) return "";
  if (!VERDICTS.includes(terminal)) return `terminal=${terminal.slice(0, 40)} is not a verdict; it is ignored.`;
  if (terminal === verdict) return `The terminal saw it ${terminal} too: the browser adds nothing in the way.`;
  const seen = `The terminal saw it ${terminal}, this browser ${verdict}`;
  if (HELD.has(verdict) && !HELD.has(terminal)) return `${seen}: ${BROWSER_PATH}.`;
  if (HELD.has(terminal) && !HELD.has(verdict)) {
    return `${seen}: what holds it is on the terminal's way, not this browser's (another proxy, or an answer ` +
      "that differs for the terminal's request).";
  }
  return `${seen}: run both again; a stream that behaves differently each time cannot be compared.`;
}

/** The column's verdict, its reason, the figures only this lane has, and the terminal's view. */
export function renderYours(article, record, terminal) {
  const part = (role) => article.querySelector(`[data-role="${role}"]`);
  setText(part("status"), record.status === null ? "–" : String(record.status));
  setText(part("content-type"), record.contentType || "–");
  setText(part("arrivals"), String(record.arrivals.length));
  setText(part("largest-gap"), record.arrivals.length ? formatMs(largestGapMs(record.arrivals.map((a) => a.t))) : "–");
  const command = part("command");
  command.hidden = !record.error?.unreadable;
  setText(part("command-text"), `transport-lab diagnose ${record.url}`);
  const settled = record.endT !== null && (record.state === "done" || record.arrivals.length > 0);
  const verdict = part("verdict");
  if (!settled) {
    verdict.dataset.verdict = "";
    setText(verdict, record.state === "error" ? "No verdict: nothing was read." : "Reading…");
    part("verdict-reason").hidden = part("verdict-compare").hidden = true;
    return;
  }
  const judged = verdictOf(record);
  verdict.dataset.verdict = judged.verdict;
  setText(verdict, `Verdict in this browser: ${judged.verdict}`);
  const stopped = record.state === "done" ? "" : ` (judged on what arrived before it ${record.state === "aborted" ? "was stopped" : "failed"})`;
  setText(part("verdict-reason"), `${judged.reason}${stopped}.`);
  part("verdict-reason").hidden = false;
  const compare = comparison(terminal, judged.verdict);
  setText(part("verdict-compare"), compare);
  part("verdict-compare").hidden = !compare;
}
