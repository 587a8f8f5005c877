// The details of one message on the timeline, in one HTML element over the SVG: shown for
// the mark under the pointer, or the one a focused lane's arrow keys stepped to.

import { el } from "./dom.js";
import { formatBytes, formatCount, formatMs } from "./stats.js";
import { LANE_HEIGHT, PAD_TOP, toPx } from "./timeline-geometry.js";
import { placeFocus } from "./timeline-lane.js";

const MAX_TEXT = 80;
let tips = 0;

/** The tooltip's lines for messages[index] of `record` (plain strings: set as text). */
export function describeMessage(record, index, together = 1) {
  const message = record.messages[index];
  const name = record.spec.via ? `${record.spec.endpoint} via ${record.spec.via}` : (record.spec.label ?? record.spec.name);
  const lines = [
    `${name} · message ${formatCount(index + 1)} of ${formatCount(record.messages.length)}`,
    `received at ${formatMs(message.t)}`,
    message.sent === null || message.sent === undefined
      ? "not stamped: its send time is unknown"
      : `sent at ${formatMs(message.sent)}, delay ${formatMs(Math.max(message.t - message.sent, 0))}`,
  ];
  if (message.wire !== undefined && message.wire !== null) {
    const payload = message.payload ?? null;
    lines.push(`${formatBytes(message.wire)} on the wire${payload === null ? "" : `, ${formatBytes(payload)} of it the message`}`);
  }
  if (together > 1) lines.push(`read at the same moment as ${formatCount(together - 1)} other${together > 2 ? "s" : ""}`);
  return lines;
}

function shortened(text) {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > MAX_TEXT ? `${line.slice(0, MAX_TEXT - 1)}…` : line;
}

export function createTip(box) {
  const tip = el("div", "tl-tip");
  tip.id = `timeline-tip-${++tips}`;
  tip.setAttribute("role", "tooltip");
  tip.hidden = true;
  box.append(tip);
  const state = { lane: null, index: null };

  return {
    get id() {
      return tip.id;
    },
    get shown() {
      return !tip.hidden;
    },
    get lane() {
      return state.lane;
    },
    get index() {
      return state.index;
    },
    /** Show messages[index] of `lane` with the mark at (x, laneTop) in the box's pixels. */
    show(lane, index, x, laneTop, laneHeight, together) {
      const record = lane.record;
      const lines = describeMessage(record, index, together);
      tip.replaceChildren(...lines.map((line, i) => el("div", i === 0 ? "tl-tip-title" : "tl-tip-line", line)));
      tip.append(el("div", "tl-tip-text", shortened(record.messages[index].text ?? "")));
      tip.dataset.endpoint = record.spec.name;
      tip.dataset.message = String(index);
      tip.hidden = false;
      state.lane = lane;
      state.index = index;
      // Beside the mark (right, else left), level with its lane: it hides neither the mark
      // nor the lane names, and stays inside the box.
      const width = tip.offsetWidth;
      const height = tip.offsetHeight;
      // A stack's count is said to its right: keep clear of it too.
      const gap = together > 1 ? 40 : 14;
      const right = x + gap + width <= box.clientWidth;
      const left = right ? x + gap : Math.max(x - 14 - width, 0);
      const top = Math.min(Math.max(laneTop + laneHeight / 2 - height / 2, 0), Math.max(box.clientHeight - height, 0));
      tip.style.transform = `translate(${Math.round(left)}px, ${Math.round(top)}px)`;
    },
    hide() {
      tip.hidden = true;
      state.lane = null;
      state.index = null;
    },
  };
}

// The tip of timeline state `tl` (timeline.js): a message's details, and the focus mark of a
// lane stepped by keys.

export function showTip(tl, lane, index, by) {
  if (!lane || index === null || !lane.record.messages[index]) return hideTip(tl);
  const { tip } = tl;
  const stack = lane.stackList?.find((s) => s.first <= index && index <= s.last);
  const x = toPx(tl, lane.record.messages[index].t);
  const laneTop = PAD_TOP + tl.lanes.indexOf(lane) * LANE_HEIGHT;
  if (tip.lane && tip.lane !== lane) placeFocus(tip.lane, null);
  tip.show(lane, index, tl.labelWidth + x, laneTop, LANE_HEIGHT, stack ? stack.last - stack.first + 1 : 1);
  tl.tipBy = by;
  placeFocus(lane, by === "key" && x >= -4 && x <= tl.plotWidth + 4 ? x : null);
  if (by === "key") lane.group.setAttribute("aria-describedby", tip.id);
}

export function hideTip(tl) {
  const { tip } = tl;
  if (tip.lane) {
    placeFocus(tip.lane, null);
    tip.lane.group.removeAttribute("aria-describedby");
  }
  tip.hide();
  tl.tipBy = null;
}
