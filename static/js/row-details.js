// A message row (its receive time, text and delay; its details in its title), and its details
// without a mouse: the list takes focus (once it has rows: an empty list is no Tab stop),
// arrow keys (or a tap) pick a row, and its details are said below the list.

import { el, setText } from "./dom.js";
import { formatMs } from "./stats.js";

const KEYS = { ArrowDown: 1, ArrowUp: -1, PageDown: 10, PageUp: -10 };
const MAX_SHOWN_CHARS = 400;

function bytesOf(message) {
  const wire = message.wire === null || message.wire === undefined ? "" : `, ${message.wire} on the wire`;
  return `${message.payload} bytes${wire}`;
}

export function newRow() {
  const item = el("li", "row");
  item.append(el("span", "at"), el("span", "text"), el("span", "delay"));
  return item;
}

/** `item` made to show messages[index] (a row is rewritten in place, not rebuilt, while a stream floods). */
export function fillRow(item, messages, index) {
  const message = messages[index];
  const previous = messages[index - 1];
  item.dataset.index = String(index);
  const gap = previous ? `+${formatMs(message.t - previous.t)} after the previous message` : "first message";
  const sent = message.sent === null ? "not stamped" : `sent at ${formatMs(message.sent)}`;
  item.title = `message ${index + 1}, received at ${formatMs(message.t)}, ${gap}; ${sent}; ${bytesOf(message)}`;
  const [at, text, delay] = item.children;
  setText(at, message.t.toFixed(1));
  setText(text, message.text.length > MAX_SHOWN_CHARS ? `${message.text.slice(0, MAX_SHOWN_CHARS)}…` : message.text);
  delay.hidden = message.sent === null;
  setText(delay, message.sent === null ? "" : `Δ${(message.t - message.sent).toFixed(1)}`);
  return item;
}

export function wireRowDetails(list, detail) {
  let selected = null;
  const rows = () => list.querySelectorAll("li.row");

  function select(row) {
    if (!row && !selected) return;
    selected?.classList.remove("selected");
    selected = row;
    detail.hidden = !row;
    if (!row) return;
    row.classList.add("selected");
    row.scrollIntoView({ block: "nearest" });
    detail.textContent = row.title;
  }

  list.addEventListener("click", (event) => select(event.target.closest("li.row")));
  list.addEventListener("focus", () => {
    if (!selected?.isConnected) select(rows()[rows().length - 1] ?? null);
  });
  list.addEventListener("keydown", (event) => {
    const all = [...rows()];
    if (!all.length) return;
    let at = all.indexOf(selected);
    if (event.key in KEYS) at = Math.min(all.length - 1, Math.max(0, (at < 0 ? all.length : at) + KEYS[event.key]));
    else if (event.key === "Home") at = 0;
    else if (event.key === "End") at = all.length - 1;
    else return;
    event.preventDefault();
    select(all[at]);
  });
  return {
    /** A new run, or rows rewritten: nothing selected. */
    clear: () => select(null),
    /** A Tab stop only while there are rows to pick. */
    setFocusable(focusable) {
      if (focusable === list.hasAttribute("tabindex")) return;
      if (focusable) list.tabIndex = 0;
      else list.removeAttribute("tabindex");
    },
  };
}
