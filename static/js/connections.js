// What a transport did when its connection broke off, or how it came through the faults
// asked of it, as one sentence for its column. Pure: reads a run record (drops, reconnects,
// messages, the faults asked of it), returns text.

import { culpritHolds } from "./registry.js";
import { formatMs } from "./stats.js";

const times = (n) => (n === 1 ? "once" : `${n} times`);
const messages = (n) => `${n} ${n === 1 ? "message" : "messages"}`;
const seconds = (s) => `${s.toLocaleString("en-US")} s`;
/** With drop asked too, a cut this close to a whole idle timeout after the last message was the idle timeout's. */
const IDLE_SHARE = 0.5;

/** Messages received by `t`: found by halving (they come in time order), so a redraw costs the same however many came. */
function receivedBy(record, t) {
  let low = 0, high = record.messages.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (record.messages[middle].t <= t) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** Messages whose SSE id was already seen: what a resume that went wrong would repeat. */
export function repeatedIds(messages) {
  const seen = new Set();
  let repeated = 0;
  for (const { id } of messages) {
    if (id === null || id === undefined || id === "") continue;
    if (seen.has(id)) repeated += 1;
    seen.add(id);
  }
  return repeated;
}

/** The quiet before the cut at `t`: since the last message, else since the stream opened (or its reconnection). */
function quietBefore(record, t) {
  const n = receivedBy(record, t);
  const opened = [record.openT ?? 0, ...record.reconnects].filter((at) => at <= t);
  return t - Math.max(n ? record.messages[n - 1].t : 0, ...opened);
}

/**
 * Who cut it, from what was asked of the stream: " by the idle timeout (…)", " by drop, …", or "".
 * With both asked, the quiet before the cut tells them apart (drop cuts right after a message).
 */
function cutBy(record, t) {
  const { idle, drop } = record.faults ?? {};
  const quiet = quietBefore(record, t);
  const idleCut = idle !== undefined && (drop === undefined || quiet >= IDLE_SHARE * idle * 1000);
  if (idleCut) {
    const since = receivedBy(record, t) ? "the last message" : "it opened";
    return ` by the idle timeout, ${formatMs(quiet)} after ${since} (idle ${seconds(idle)}: nothing reached the ` +
      "wire for that long)";
  }
  if (drop !== undefined) return ` by drop, after ${drop} messages of the connection`;
  return "";
}

function eventSourceNote(record) {
  const { drops, reconnects } = record;
  const waits = reconnects.map((t, i) => formatMs(t - drops[i])).join(", ");
  const after = drops.map((t) => receivedBy(record, t)).join(", ");
  const repeated = repeatedIds(record.messages);
  // With drop the stream asks for a quick return (`retry: 500`); else EventSource waits as long as it likes.
  const wait = record.faults?.drop === undefined ? "EventSource's own wait: the stream sent no retry" : "the stream's retry";
  const reconnected = ` EventSource reconnected by itself ${times(reconnects.length)} (after ${waits}: ${wait})`;
  let resumed = `${reconnected}, sending Last-Event-ID, and the server resumed after it`;
  if (record.state === "reconnecting") resumed = " EventSource is reconnecting by itself";
  else if (!reconnects.length) resumed = " EventSource did not reconnect";
  else if (!record.count) resumed = `${reconnected}, but no message ever got through`;
  const tally = `${messages(record.count)}, ${repeated ? `${repeated} repeated` : "none repeated"}`;
  const by = cutBy(record, drops[drops.length - 1]);
  const had = drops.length === 1 && after === "1" ? "1 message had" : `${after} messages had`;
  return `The connection was cut ${times(drops.length)}${by} (when ${had} arrived).${resumed}: ${tally}.`;
}

/** A stream asked to suffer an idle timeout that ended whole: why it was not cut. */
function survivedNote(record) {
  const { idle, heartbeat } = record.faults ?? {};
  if (idle === undefined || record.state !== "done" || record.drops.length) return "";
  let longest = 0;
  for (let i = 1; i < record.messages.length; i++) longest = Math.max(longest, record.messages[i].t - record.messages[i - 1].t);
  if (heartbeat !== undefined && longest >= idle * 1000) {
    const beat = record.spec.transport === "websocket" ? "a ping, answered by the browser" : "an SSE comment";
    return `Not cut: pauses of up to ${formatMs(longest)} between messages, longer than idle ${seconds(idle)}, but ` +
      `the heartbeat (${beat}, which the page never sees) went out after each ${seconds(heartbeat)} of quiet, ` +
      "so the connection never fell silent that long.";
  }
  return `Not cut: idle ${seconds(idle)}, and the longest pause between messages was ${formatMs(longest)}.`;
}

/**
 * Cut by drop behind a culprit that holds the stream: the server sent its messages, the
 * culprit held them, and they went down with the connection (with the head too, when the
 * culprit holds that: then the browser saw no answer at all). "" when it is not that.
 */
function heldAtTheCut(record) {
  const { drop, idle } = record.faults ?? {};
  // A single cut of a fetch-read lane: drop's count is what the server sent on it.
  if (drop === undefined || idle !== undefined || record.reconnects.length || !culpritHolds(record.spec)) return "";
  if (record.state !== "error") return "";
  const cut = record.drops[record.drops.length - 1];
  const n = cut === undefined ? record.count : receivedBy(record, cut);
  if (n >= drop) return "";
  const lost = drop - n;
  const { label, cause, fix } = record.spec.culprit;
  const arrived = n ? `only ${messages(n)} arrived` : record.openT === null ? "nothing arrived, not even the response's head" : "none arrived";
  return `${drop} sent, held, lost at the cut: the server sent ${messages(drop)} and then cut the connection ` +
    `(drop), but ${label} held ${lost === drop ? "them" : `${lost} of them`} — ${cause} — so ${arrived}, and ` +
    `${lost === 1 ? "the held one was" : `the ${lost} held were`} lost with the connection. Fix: ${fix}.`;
}

/** One sentence, or "" when every connection ended as it should and no fault was asked. */
export function connectionNote(record) {
  const held = heldAtTheCut(record);
  if (held) return held;
  if (!record.drops.length) return survivedNote(record);
  const t = record.drops[record.drops.length - 1];
  const n = receivedBy(record, t);
  const by = cutBy(record, t);
  switch (record.spec.transport) {
    case "sse":
      return eventSourceNote(record);
    case "websocket":
      return `The connection was cut after ${messages(n)}${by}, with no close frame: the WebSocket closed ` +
        "and does not reconnect by itself (the page would have to open a new one and resume).";
    case "chunked":
    case "buffered":
      return `The connection was cut after ${messages(n)}${by}, before the body's end: the fetch() reader ` +
        "failed and does not retry (the page would have to fetch again and ask to resume).";
    default:
      return `The connection was cut after ${messages(n)}${by}.`;
  }
}
