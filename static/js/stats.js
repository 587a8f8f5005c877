// Figures of one stream, from its record. Pure functions: no DOM.

export function median(values) {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Messages per second from Run to the last message (or to now while streaming). */
export function rate(record, nowMs) {
  if (!record.count) return null;
  const until = record.state === "streaming" ? nowMs : record.lastT;
  return until > 0 ? (record.count * 1000) / until : null;
}

export function formatMs(ms) {
  if (ms === null || ms === undefined) return "–";
  if (Math.abs(ms) >= 10_000) return `${(ms / 1000).toFixed(2)} s`;
  return `${ms.toFixed(1)} ms`;
}

const integer = new Intl.NumberFormat("en");

export function formatCount(n) {
  return integer.format(n);
}

export function formatBytes(n) {
  if (n < 10_000) return `${integer.format(n)} B`;
  if (n < 10_000_000) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1048576).toFixed(1)} MiB`;
}

export function formatRate(perSecond) {
  if (perSecond === null) return "–";
  return perSecond >= 100 ? integer.format(Math.round(perSecond)) : perSecond.toFixed(2);
}

export function roundTrip(rtts) {
  if (!rtts.length) return "–";
  const last = rtts[rtts.length - 1];
  return `${formatMs(last)} (median ${formatMs(median(rtts))} of ${integer.format(rtts.length)})`;
}

const GAP_WINDOW = 200;

/** The median gap between the latest messages, and the largest deviation from it. */
export function recentGaps(messages) {
  const from = Math.max(1, messages.length - GAP_WINDOW);
  const gaps = [];
  for (let i = from; i < messages.length; i++) gaps.push(messages[i].t - messages[i - 1].t);
  const middle = median(gaps);
  if (middle === null) return "–";
  const spread = Math.max(...gaps.map((gap) => Math.abs(gap - middle)));
  return `${formatMs(middle)} (±${formatMs(spread)})`;
}

/** The median hold (receive - send stamp) of the latest messages; "–" without stamps. */
export function recentHeld(messages) {
  const held = [];
  for (let i = Math.max(0, messages.length - GAP_WINDOW); i < messages.length; i++) {
    if (messages[i].sent !== null) held.push(messages[i].t - messages[i].sent);
  }
  return formatMs(median(held));
}

/** Wire bytes; a floor (≥) where a culprit re-cut the body, "–" where the page cannot tell. */
export function formatWire(record) {
  if (record.wireBytes === null || record.wireBytes === undefined) return "–";
  return record.wireExact === false ? `≥ ${formatBytes(record.wireBytes)}` : formatBytes(record.wireBytes);
}

/**
 * Framing bytes per message (chunk lines, SSE fields, frame headers, the last chunk), or null
 * before any message and through a culprit. A JSON array's closing `]` is body, not framing,
 * as the CLI counts it: so this is framingBytes, never wire - payload.
 */
export function framingPerMessage(record) {
  if (!record.count || record.framingBytes === null || record.framingBytes === undefined) return null;
  return record.framingBytes / record.count;
}

/** Everything the column shows as figures, as text. */
export function figures(record, nowMs) {
  const framing = framingPerMessage(record);
  return {
    ttfb: formatMs(record.openT),
    first: formatMs(record.firstT),
    last: formatMs(record.lastT),
    count: formatCount(record.count),
    bytes: formatBytes(record.bytes),
    wire: formatWire(record),
    payload: formatBytes(record.payloadBytes ?? 0),
    framing: framing === null ? "–" : `${framing.toFixed(1)} B`,
    rate: formatRate(rate(record, nowMs)),
    rtt: roundTrip(record.rtts),
    gap: recentGaps(record.messages),
    "held-max": formatMs(record.heldMax),
    "held-median": recentHeld(record.messages),
    burst: record.burst ? formatCount(record.burst) : "–",
  };
}
