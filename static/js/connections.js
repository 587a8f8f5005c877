// What a transport did when its connection broke off, as one sentence for its column.
// Pure: reads a run record (drops, reconnects, messages), returns text.

import { formatMs } from "./stats.js";

const times = (n) => (n === 1 ? "once" : `${n} times`);

function receivedBy(record, t) {
  let n = 0;
  while (n < record.messages.length && record.messages[n].t <= t) n++;
  return n;
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

function eventSourceNote(record) {
  const { drops, reconnects } = record;
  const waits = reconnects.map((t, i) => formatMs(t - drops[i])).join(", ");
  const after = drops.map((t) => receivedBy(record, t)).join(", ");
  const repeated = repeatedIds(record.messages);
  const reconnected = ` EventSource reconnected by itself ${times(reconnects.length)} (after ${waits}: the stream's retry)`;
  let resumed = `${reconnected}, sending Last-Event-ID, and the server resumed after it`;
  if (!reconnects.length) resumed = " EventSource did not reconnect";
  else if (!record.count) resumed = `${reconnected}, but no message ever got through`;
  const tally = `${record.count} messages, ${repeated ? `${repeated} repeated` : "none repeated"}`;
  return `The connection was cut ${times(drops.length)} (when ${after} messages had arrived).${resumed}: ${tally}.`;
}

/** One sentence, or "" when every connection ended as it should. */
export function connectionNote(record) {
  if (!record.drops.length) return "";
  const n = receivedBy(record, record.drops[record.drops.length - 1]);
  switch (record.spec.transport) {
    case "sse":
      return eventSourceNote(record);
    case "websocket":
      return `The connection was cut after ${n} messages, with no close frame: the WebSocket closed ` +
        "and does not reconnect by itself (the page would have to open a new one and resume).";
    case "chunked":
    case "buffered":
      return `The connection was cut after ${n} messages, before the body's end: the fetch() reader ` +
        "failed and does not retry (the page would have to fetch again and ask to resume).";
    default:
      return `The connection was cut after ${n} messages.`;
  }
}
