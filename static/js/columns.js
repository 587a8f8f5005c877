// One endpoint's column: state, figures, notices and a bounded list of message rows.
// The counts stay exact however many rows are dropped from the DOM.
//
// What a frame costs stays the same however many messages came and however many columns
// there are: while streams run, a column is redrawn every REFRESH_MS at most, one column a
// frame (the one that has waited longest); a flooding list shows only its latest rows,
// rewritten in place; and when a flood ends, the older rows come back a few per frame.

import { connectionNote } from "./connections.js";
import { el, setText } from "./dom.js";
import { fillRow, newRow, wireRowDetails } from "./row-details.js";
import { SETTLED } from "./run.js";
import { figures, formatCount, formatMs } from "./stats.js";
import { wireNote } from "./wire.js";

export const MAX_ROWS = 200;
/** While a stream floods, only its latest rows are drawn (about what the list shows). */
const FLOOD_ROWS = 24;
/** While streams run, a column is redrawn at most this often (nobody reads 10,000 rows/s). */
const REFRESH_MS = 100;
/** Columns redrawn in one frame while streams run: the others wait for a later frame. */
const COLUMNS_PER_FRAME = 1;
/** Rows written in one frame, over all columns: once the streams have ended, two columns' catching up. */
const ROWS_PER_FRAME = 2 * FLOOD_ROWS;

/**
 * What every column may spend in one frame, `size` in all: the columns render in one task,
 * so the budget is whole again at the next task. `take(n, all)` gives what is left of n (0
 * unless all of it, with `all`).
 */
function frameBudget(size) {
  let left = 0;
  let armed = false;
  return (wanted, all = false) => {
    if (!armed) {
      armed = true;
      left = size;
      queueMicrotask(() => {
        armed = false;
      });
    }
    const n = Math.min(wanted, left);
    if (all && n < wanted) return 0;
    left -= n;
    return n;
  };
}
const takeRows = frameBudget(ROWS_PER_FRAME);

/**
 * Whether a column due since `since` (its last redraw) is redrawn this frame: COLUMNS_PER_FRAME
 * of them, never one that has waited less than a column passed over in the frame before, so
 * that with many columns none waits for ever behind those first in the page.
 */
const turns = { armed: false, left: 0, oldest: Infinity, passedOver: Infinity };
function takeTurn(since) {
  if (!turns.armed) {
    Object.assign(turns, { armed: true, left: COLUMNS_PER_FRAME, oldest: turns.passedOver, passedOver: Infinity });
    queueMicrotask(() => {
      turns.armed = false;
    });
  }
  if (turns.left > 0 && since <= turns.oldest) {
    turns.left -= 1;
    return true;
  }
  turns.passedOver = Math.min(turns.passedOver, since);
  return false;
}

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

/** The stable hooks of the byte figures: integers, and no wire figure where the page cannot know it. */
function markBytes(article, record) {
  const wire = record.wireBytes ?? null;
  if (wire === null) delete article.dataset.wireBytes;
  else article.dataset.wireBytes = String(wire);
  article.dataset.payloadBytes = String(record.payloadBytes ?? 0);
  article.dataset.wireExact = String(wire !== null && record.wireExact !== false);
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
  // The list shows messages [first, rendered): the latest ones, without a hole.
  let first = 0;
  let rendered = 0;

  let stick = true;
  let scrollDue = false;
  let refreshedAt = -Infinity;

  const shownRows = () => list.childElementCount - 1;
  const wantedRows = (messages) => Math.min(messages.length, MAX_ROWS);
  const rowsFrom = (messages, start, end) => {
    const rows = [];
    for (let i = start; i < end; i++) rows.push(fillRow(newRow(), messages, i));
    return rows;
  };

  /** A flood: the latest FLOOD_ROWS only, in the rows already there; false when the frame has no room. */
  function jump(messages) {
    const n = Math.min(FLOOD_ROWS, messages.length);
    if (!takeRows(n, true)) return false;
    details.clear();
    while (shownRows() > n) more.nextElementSibling.remove();
    while (shownRows() < n) list.append(newRow());
    [...list.children].slice(1).forEach((item, i) => fillRow(item, messages, messages.length - n + i));
    first = messages.length - n;
    rendered = messages.length;
    return true;
  }

  /** The next new messages, as many as the frame has room for; the oldest rows past MAX_ROWS leave. */
  function append(messages) {
    const n = takeRows(messages.length - rendered);
    list.append(...rowsFrom(messages, rendered, rendered + n));
    rendered += n;
    for (; rendered - first > MAX_ROWS; first++) more.nextElementSibling.remove();
    return n > 0;
  }

  /** After a flood: the older rows back above, as many as the frame has room for. */
  function prepend(messages) {
    const n = takeRows(first - (rendered - wantedRows(messages)));
    more.after(...rowsFrom(messages, first - n, first));
    first -= n;
    return n > 0;
  }

  // Older rows come back only once the stream has ended: while it floods, nobody scrolls back.
  const rowsBehind = (messages, settled) =>
    rendered < messages.length || (settled && rendered - first < wantedRows(messages));

  /** Older rows leave the DOM (never the counts): at most MAX_ROWS, FLOOD_ROWS while flooding. */
  function drawRows(messages, settled) {
    let drawn = messages.length - rendered > FLOOD_ROWS ? jump(messages) : append(messages);
    if (settled && rendered === messages.length) drawn = prepend(messages) || drawn;
    if (!drawn) return false;
    more.hidden = first <= 0;
    setText(more, `${formatCount(first)} earlier messages not shown here (counted, and in the export)`);
    details.setFocusable(shownRows() > 0);
    // Scrolled in the next frame's measure(): scrolling now would force a layout mid-frame.
    if (stick) scrollDue = true;
    return true;
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

  let behind = false;
  const view = {
    element: article,
    /** Something to do next frame: scroll the list to its end, or draw rows the last frame had no room for. */
    get pendingScroll() {
      return scrollDue || behind;
    },
    /** Layout reads, done for every column before any column writes (no forced reflows). */
    measure() {
      if (scrollDue) {
        list.scrollTop = list.scrollHeight;
        scrollDue = false;
      }
      stick = list.scrollTop + list.clientHeight >= list.scrollHeight - 4;
    },
    reset(record) {
      details.clear();
      list.replaceChildren(more);
      details.setFocusable(false);
      more.hidden = true;
      first = rendered = 0;
      behind = false;
      refreshedAt = -Infinity;
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
      if (!settled && (performance.now() - refreshedAt < REFRESH_MS || !takeTurn(refreshedAt))) return;
      refreshedAt = performance.now();
      if (rowsBehind(messages, settled)) drawRows(messages, settled);
      behind = settled && rowsBehind(messages, settled);
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
