// One endpoint's column: state, figures, notices and a bounded list of message rows.
// The counts stay exact however many rows are dropped from the DOM.

import { connectionNote } from "./connections.js";
import { el, setText } from "./dom.js";
import { wireRowDetails } from "./row-details.js";
import { SETTLED } from "./run.js";
import { figures, formatCount, formatMs } from "./stats.js";
import { wireNote } from "./wire.js";

export const MAX_ROWS = 200;
/** While a stream floods, only its latest rows are drawn (about what the list shows). */
const FLOOD_ROWS = 24;
/** While a stream floods, rows are redrawn at most this often (nobody reads 10,000 rows/s). */
const ROW_REFRESH_MS = 100;
const MAX_SHOWN_CHARS = 400;

function describeError(error) {
  const status = error.status ? `HTTP ${error.status}: ` : "";
  const param = error.param ? ` (parameter ${error.param})` : "";
  return `${status}${error.message}${param}`;
}

/** Only once the browser's Resource Timing has said so: a stream still waiting may be queued or held. */
function queueNotice(record) {
  if (record.queuedMs === null || record.queuedMs === undefined) return "";
  return `Queued ${formatMs(record.queuedMs)} by the browser's connection limit (measured).`;
}

function bytesOf(message) {
  const wire = message.wire === null || message.wire === undefined ? "" : `, ${message.wire} on the wire`;
  return `${message.payload} bytes${wire}`;
}

/** The stable hooks of the byte figures: integers, and no wire figure where the page cannot know it. */
function markBytes(article, record) {
  const wire = record.wireBytes ?? null;
  if (wire === null) delete article.dataset.wireBytes;
  else article.dataset.wireBytes = String(wire);
  article.dataset.payloadBytes = String(record.payloadBytes ?? 0);
  article.dataset.wireExact = String(wire !== null && record.wireExact !== false);
}

function row(message, index, previous) {
  const item = el("li", "row");
  item.dataset.index = String(index);
  const gap = previous ? `+${formatMs(message.t - previous.t)} after the previous message` : "first message";
  const sent = message.sent === null ? "not stamped" : `sent at ${formatMs(message.sent)}`;
  item.title = `#${index} received at ${formatMs(message.t)}, ${gap}; ${sent}; ${bytesOf(message)}`;
  item.append(el("span", "at", message.t.toFixed(1)));
  const text = message.text.length > MAX_SHOWN_CHARS ? `${message.text.slice(0, MAX_SHOWN_CHARS)}…` : message.text;
  item.append(el("span", "text", text));
  if (message.sent !== null) item.append(el("span", "delay", `Δ${(message.t - message.sent).toFixed(1)}`));
  return item;
}

export function columnView(article) {
  const parts = new Map();
  const part = (role) => {
    if (!parts.has(role)) parts.set(role, article.querySelector(`[data-role="${role}"]`));
    return parts.get(role);
  };
  const list = part("messages");
  const more = el("li", "more");
  const details = wireRowDetails(list, part("row-detail"));
  let rendered = 0;

  let stick = true;
  let rowsDrawnAt = -Infinity;

  const shownRows = () => list.childElementCount - 1;

  function rowsFrom(messages, start) {
    const rows = [];
    for (let i = start; i < messages.length; i++) rows.push(row(messages[i], i, messages[i - 1]));
    return rows;
  }

  /** The latest `n` rows only: after a flood, or to catch up when it has ended. */
  function rebuild(messages, n) {
    list.replaceChildren(more, ...rowsFrom(messages, messages.length - n));
  }

  function append(messages) {
    const fresh = rowsFrom(messages, Math.max(rendered, messages.length - MAX_ROWS));
    const excess = shownRows() + fresh.length - MAX_ROWS;
    if (excess >= shownRows()) list.replaceChildren(more);
    else for (let i = 0; i < excess; i++) more.nextElementSibling.remove();
    list.append(...fresh);
  }

  /** Older rows leave the DOM (never the counts): at most MAX_ROWS, FLOOD_ROWS while flooding. */
  function drawRows(messages, settled) {
    const target = Math.min(messages.length, MAX_ROWS);
    if (settled && shownRows() < target) rebuild(messages, target);
    else if (!settled && messages.length - rendered > FLOOD_ROWS) rebuild(messages, FLOOD_ROWS);
    else append(messages);
    rendered = messages.length;
    const hidden = messages.length - shownRows();
    more.hidden = hidden <= 0;
    setText(more, `${formatCount(hidden)} earlier messages not shown here (counted, and in the export)`);
    // Scrolled in the next frame's measure(): scrolling now would force a layout mid-frame.
    if (stick) view.pendingScroll = true;
  }

  function renderNotices(record) {
    const notice = part("notice");
    const queue = queueNotice(record);
    notice.hidden = !queue;
    setText(notice, queue);
    const wire = part("wire-note");
    if (wire) {
      const note = wireNote(record);
      wire.hidden = !note;
      setText(wire, note);
    }
    const error = part("error");
    error.hidden = !record.error;
    setText(error, record.error ? describeError(record.error) : "");
    const connections = part("connections");
    const note = record.drops ? connectionNote(record) : "";
    connections.hidden = !note;
    setText(connections, note);
  }

  const view = {
    element: article,
    pendingScroll: false,
    /** Layout reads, done for every column before any column writes (no forced reflows). */
    measure() {
      if (view.pendingScroll) {
        list.scrollTop = list.scrollHeight;
        view.pendingScroll = false;
      }
      stick = list.scrollTop + list.clientHeight >= list.scrollHeight - 4;
    },
    reset(record) {
      details.clear();
      list.replaceChildren(more);
      more.hidden = true;
      rendered = 0;
      rowsDrawnAt = -Infinity;
      setText(part("url"), record ? `GET ${record.url.replace(/^\w+:\/\//, "")}` : "");
      article.dataset.state = record ? record.state : "idle";
      article.dataset.messages = "0";
      setText(part("state"), article.dataset.state);
      for (const role of ["ttfb", "first", "last", "rate", "rtt", "gap", "held-max", "held-median", "burst"]) {
        setText(part(role), "–");
      }
      setText(part("count"), "0");
      for (const role of ["bytes", "payload"]) setText(part(role), "0 B");
      setText(part("framing"), "–");
      setText(part("wire"), record && record.wireBytes === null ? "–" : "0 B");
      markBytes(article, record ?? { wireBytes: 0, payloadBytes: 0 });
      renderNotices({ queuedMs: null, error: null, spec: record?.spec ?? {} });
    },
    render(record, nowMs) {
      const { messages } = record;
      const settled = SETTLED.has(record.state);
      const behind = messages.length > rendered || (settled && shownRows() < Math.min(messages.length, MAX_ROWS));
      if (behind && (settled || nowMs - rowsDrawnAt >= ROW_REFRESH_MS)) {
        drawRows(messages, settled);
        rowsDrawnAt = nowMs;
      }
      const shown = figures(record, nowMs);
      for (const [role, text] of Object.entries(shown)) setText(part(role), text);
      renderNotices(record);
      setText(part("state"), record.state);
      article.dataset.messages = String(record.count);
      markBytes(article, record);
      article.dataset.state = record.state;
    },
  };
  return view;
}
