// A lane's messages that are not drawn as marks (past its first MAX_MARKS, or not drawn yet)
// as one band from the first of them to the last, and its count said where it ends
// ("+2,800 more"): what a frame costs stays the same whatever a lane has received.

import { svg } from "./dom.js";
import { formatCount } from "./stats.js";
import { MARK_BOTTOM, MARK_TOP } from "./timeline-geometry.js";

const COUNT_CHAR_PX = 6.5;

/** The band (in ms, with the marks) and its count (in px, with the stacks), hidden until needed. */
export function bandNodes() {
  return {
    band: svg("rect", { class: "band", y: MARK_TOP + 2, height: MARK_BOTTOM - MARK_TOP - 4, width: 0, visibility: "hidden" }),
    bandCount: svg("text", { class: "band-count", y: (MARK_TOP + MARK_BOTTOM) / 2, visibility: "hidden" }),
  };
}

/** Messages from `from` on as one band (ms); hidden when every message is a mark. */
export function drawBand(band, messages, from) {
  if (from >= messages.length) {
    band.setAttribute("visibility", "hidden");
    return;
  }
  const start = messages[from].t;
  band.setAttribute("x", start);
  band.setAttribute("width", Math.max(messages[messages.length - 1].t - start, 0.001));
  band.setAttribute("visibility", "visible");
}

/** The band's count, in pixels: inside its right end, or just after it when the band is narrow. */
export function placeBandCount(lane, px) {
  const { bandCount, more, drawn } = lane;
  bandCount.setAttribute("visibility", more > 0 ? "visible" : "hidden");
  lane.bandLabel = null;
  if (more <= 0) return;
  const { messages } = lane.record;
  const text = `+${formatCount(more)} more`;
  if (bandCount.textContent !== text) bandCount.textContent = text;
  const width = text.length * COUNT_CHAR_PX;
  const from = px(messages[drawn].t);
  const to = px(messages[messages.length - 1].t);
  const inside = to - from >= width + 6;
  bandCount.setAttribute("x", inside ? to - 3 : to + 4);
  bandCount.setAttribute("text-anchor", inside ? "end" : "start");
  // Where it is said, so that no stack's count is written over it (timeline-stacks.js).
  lane.bandLabel = inside ? { from: to - 3 - width, to: to - 3 } : { from: to + 4, to: to + 4 + width };
}

/** Whether [from, to] (px) runs into the lane's band count: a stack's count is not written over it. */
export const overBand = (lane, from, to) =>
  lane.bandLabel !== null && from < lane.bandLabel.to + 4 && to + 4 > lane.bandLabel.from;
