// "What to notice" after a run: a few sentences computed from the run itself, so the page
// says in words what the timeline shows, and why, in diagnose's terms (why.js). Pure: reads
// run records, returns text.

import { framingPerMessage } from "./stats.js";
import { whyOf } from "./why.js";

/** Held this long before the first message, a stream did not start at once. */
const HELD_MS = 300;
/** Queued this long by the browser, a stream's start is worth a sentence. */
const QUEUED_MS = 100;
const MAX_SENTENCES = 4;

const seconds = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);
const labelOf = (record) => record.spec.label ?? record.spec.name;
const listed = (names) => (names.length < 3 ? names.join(" and ") : `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`);

/** What the lane's reads looked like, in a few words. */
function shape(record) {
  if (record.count >= 2 && record.burst === record.count && record.firstT >= HELD_MS) {
    return `nothing for ${seconds(record.firstT)}, then all ${record.count} messages at once`;
  }
  return `its ${record.count} messages in bursts of up to ${record.burst} in one read`;
}

/** The lane that shows a held lane's fix, when it ran and streamed: "— its fix, X, streamed". */
function fixStreamed(held, records) {
  for (const { record } of held) {
    const fix = record.spec.culprit?.fixed_by;
    if (!fix) continue;
    const fixed = records.find((r) => r.spec.endpoint === record.spec.endpoint && r.spec.via === fix);
    if (fixed && fixed.state === "done" && fixed.count && !whyOf(fixed)) {
      return ` ${labelOf(fixed)}, the fix, streamed: its first message at ${seconds(fixed.firstT)}.`;
    }
  }
  return "";
}

/**
 * One sentence per cause, never one per lane: the lanes it held, what they did, the cause as
 * diagnose names it and its fix, and whether the fix lane (when it ran) streamed. The cause
 * that held its lanes longest comes first.
 */
function heldByCause(records) {
  const byCause = new Map();
  for (const record of records) {
    const why = whyOf(record);
    if (!why) continue;
    const cause = why.causes[0] ?? { id: null, fix: "" };
    if (!byCause.has(cause.id)) byCause.set(cause.id, { cause, held: [] });
    byCause.get(cause.id).held.push({ record, why });
  }
  const longest = ({ held }) => Math.max(...held.map(({ record }) => record.firstT ?? 0));
  return [...byCause.values()].sort((a, b) => longest(b) - longest(a)).map(({ cause, held }) => {
    const [first] = held;
    const names = listed(held.map(({ record }) => labelOf(record)));
    const did = held.length === 1 ? `delivered ${shape(first.record)}` : `were ${first.why.verdict}`;
    const why = cause.id ? `: ${cause.id} — fix: ${cause.fix}` : ": no cause this browser could name";
    return `${names} ${did}${why.endsWith(".") ? why : `${why}.`}${fixStreamed(held, records)}`;
  });
}

/** Streams the browser held back for a free connection (six per host): said once, with the longest wait. */
function queueing(records) {
  const queued = records.filter((record) => (record.queuedMs ?? 0) >= QUEUED_MS);
  if (!queued.length) return null;
  const longest = Math.max(...queued.map((record) => record.queuedMs));
  const names = listed(queued.map(labelOf).slice(0, 4)) + (queued.length > 4 ? ` and ${queued.length - 4} more` : "");
  return `${names} waited in this browser up to ${seconds(longest)} for a free connection before being sent ` +
    "(at most 6 per host name): their figures count that wait, which no server or proxy caused.";
}

function framingContrast(records) {
  const measured = records
    .filter((record) => !record.spec.via && !record.spec.url)
    .map((record) => ({ record, perMessage: framingPerMessage(record) }))
    // A Content-Length body has no framing to compare: the contrast is between the streaming ones.
    .filter(({ perMessage }) => perMessage !== null && perMessage > 0);
  if (measured.length < 2) return null;
  measured.sort((a, b) => b.perMessage - a.perMessage);
  const most = measured[0], least = measured[measured.length - 1];
  if (most.record.spec.transport === least.record.spec.transport) return null;
  const bytes = (n) => `${+n.toFixed(1)} ${n === 1 ? "byte" : "bytes"}`;
  return `${labelOf(most.record)} spent ${bytes(most.perMessage)} of framing per message, ` +
    `${labelOf(least.record)} ${bytes(least.perMessage)}.`;
}

/** A source whose messages are not one per `count` (users, parse events): say so, once. */
function countMeaning(records, params) {
  const typed = params?.count ? Number(params.count) : null;
  for (const record of records) {
    const expected = typed ?? record.spec.defaults?.count;
    // Someone's own stream is not this server's: `count` asks nothing of it.
    if (record.spec.via || record.spec.transport === "yours" || !record.count || expected === undefined || record.count === expected) continue;
    if (record.state !== "done") continue;
    return `${labelOf(record)} sent ${record.count} messages for count ${expected}: there count is ` +
      `${record.spec.name === "json-nested" ? "the number of users, and every JSON value is a message" : "the number of items, and every parse event is a message"}.`;
  }
  return null;
}

/**
 * Up to four sentences for a finished (or stopped) run, what differs most first: what held
 * lanes and why, the browser's own queueing, then framing and counts; [] while nothing stands out.
 */
export function whatToNotice(records, params) {
  const sentences = [...heldByCause(records), queueing(records), framingContrast(records), countMeaning(records, params)];
  return sentences.filter(Boolean).slice(0, MAX_SENTENCES);
}
