// One endpoint's column: state, figures, notices and a bounded list of message rows.
// The counts stay exact however many rows are dropped from the DOM.

import { el, setText } from "./dom.js";
import { figures, formatCount, formatMs } from "./stats.js";

export const MAX_ROWS = 200;
const MAX_SHOWN_CHARS = 400;

function describeError(error) {
  const status = error.status ? `HTTP ${error.status}: ` : "";
  const param = error.param ? ` (parameter ${error.param})` : "";
  return `${status}${error.message}${param}`;
}

function queueNotice(record, nowMs) {
  if (!record.queued) return "";
  if (record.queuedMs !== null) {
    return `Queued ${formatMs(record.queuedMs)} by the browser's connection limit (6 per host).`;
  }
  if (record.state !== "waiting") return "";
  return `Queued by the browser's connection limit (6 per host) for ${formatMs(nowMs)} so far.`;
}

function row(message, index, previous) {
  const item = el("li", "row");
  const gap = previous ? `+${formatMs(message.t - previous.t)} after the previous message` : "first message";
  const sent = message.sent === null ? "not stamped" : `sent at ${formatMs(message.sent)}`;
  item.title = `#${index} received at ${formatMs(message.t)}, ${gap}; ${sent}; ${message.bytes} bytes`;
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
  let rendered = 0;

  function appendRows(messages) {
    const start = Math.max(rendered, messages.length - MAX_ROWS);
    const stick = list.scrollTop + list.clientHeight >= list.scrollHeight - 4;
    const fragment = document.createDocumentFragment();
    for (let i = start; i < messages.length; i++) fragment.append(row(messages[i], i, messages[i - 1]));
    list.append(fragment);
    rendered = messages.length;
    while (list.childElementCount > MAX_ROWS + 1) list.children[1].remove();
    const hidden = messages.length - (list.childElementCount - 1);
    more.hidden = hidden <= 0;
    setText(more, `${formatCount(hidden)} earlier messages not shown here (counted, and in the export)`);
    if (stick) list.scrollTop = list.scrollHeight;
  }

  function renderNotices(record, nowMs) {
    const notice = part("notice");
    const queue = queueNotice(record, nowMs);
    notice.hidden = !queue;
    setText(notice, queue);
    const error = part("error");
    error.hidden = !record.error;
    setText(error, record.error ? describeError(record.error) : "");
  }

  return {
    element: article,
    reset(record) {
      list.replaceChildren(more);
      more.hidden = true;
      rendered = 0;
      setText(part("url"), record ? `GET ${record.url.replace(/^\w+:\/\//, "")}` : "");
      article.dataset.state = record ? record.state : "idle";
      article.dataset.messages = "0";
      setText(part("state"), article.dataset.state);
      for (const role of ["ttfb", "first", "last", "rate", "rtt"]) setText(part(role), "–");
      setText(part("count"), "0");
      setText(part("bytes"), "0 B");
      renderNotices({ queued: false, error: null }, 0);
    },
    render(record, nowMs) {
      if (record.messages.length > rendered) appendRows(record.messages);
      const shown = figures(record, nowMs);
      for (const [role, text] of Object.entries(shown)) setText(part(role), text);
      renderNotices(record, nowMs);
      setText(part("state"), record.state);
      article.dataset.messages = String(record.count);
      article.dataset.state = record.state;
    },
  };
}
