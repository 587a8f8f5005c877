// "What to notice" after a run: one or two sentences computed from the run itself, so the
// page says in words what the timeline shows. Pure: reads run records, returns text.

import { framingPerMessage } from "./stats.js";

/** Held this long before the first message, a stream did not start at once. */
const HELD_MS = 300;
const MAX_SENTENCES = 3;

const seconds = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);
const labelOf = (record) => record.spec.label ?? record.spec.name;


/** Every message in one read, after a silence: what a buffer (or Content-Length) does. */
function allAtOnce(record) {
  if (record.count < 2 || record.burst !== record.count || record.firstT < HELD_MS) return null;
  return `${labelOf(record)} delivered nothing for ${seconds(record.firstT)}, then all ${record.count} messages at once.`;
}

function inBursts(record) {
  if (record.burst < 4 || record.burst >= record.count) return null;
  return `${labelOf(record)} delivered its ${record.count} messages in bursts of up to ${record.burst} in one read.`;
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

/** Up to three sentences for a finished (or stopped) run; [] while nothing stands out. */
export function whatToNotice(records, params) {
  const sentences = [];
  for (const record of records) sentences.push(allAtOnce(record) ?? inBursts(record));
  sentences.push(framingContrast(records), countMeaning(records, params));
  return sentences.filter(Boolean).slice(0, MAX_SENTENCES);
}
