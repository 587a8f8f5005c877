// Marks that fall on one pixel at the current zoom, drawn as a stack with their count
// (the buffered response's five messages read at one instant are not one 2-px line).

import { svg } from "./dom.js";
import { formatCount } from "./stats.js";
import { overBand } from "./timeline-band.js";
import { MARK_BOTTOM, MARK_TOP } from "./timeline-geometry.js";

/** Marks closer than this (px) read as one line: they are drawn as a stack with a count. */
const STACK_PX = 2;

/**
 * Runs of marks (index ranges) that fall within STACK_PX of the run's first mark at this
 * zoom: each is drawn as one stack with its count. Only drawn marks are considered.
 */
export function stacksOf(messages, drawn, scale) {
  const stacks = [];
  let first = 0;
  for (let i = 1; i <= drawn; i++) {
    if (i < drawn && (messages[i].t - messages[first].t) * scale < STACK_PX) continue;
    if (i - first >= 2) stacks.push({ first, last: i - 1 });
    first = i;
  }
  return stacks;
}

const COUNT_CHAR_PX = 6.5;
// Two cards, the front one filled: one path, the same for every stack.
const STACK_PATH =
  `M-2.5 ${MARK_TOP}h5v${MARK_BOTTOM - MARK_TOP}h-5z` +
  `M2.5 ${MARK_TOP - 2}h2v${MARK_BOTTOM - MARK_TOP}h-5v-${MARK_BOTTOM - MARK_TOP - 2}`;

/** A stack's node, reused across layouts: a zoom moves hundreds of them without making new ones. */
function stackNode(lane, i) {
  lane.stackNodes ??= [];
  let node = lane.stackNodes[i];
  if (!node) {
    const group = svg("g", { class: "stack" });
    group.append(svg("path", { class: "stack-glyph", d: STACK_PATH }));
    const label = svg("text", { class: "together stack-count", y: (MARK_TOP + MARK_BOTTOM) / 2 });
    node = { group, label, labelled: false };
    lane.stackNodes[i] = node;
  }
  return node;
}

function setStackLabel(node, text, side) {
  if (text === null) {
    if (node.labelled) node.label.remove();
    node.labelled = false;
    return;
  }
  node.label.textContent = text;
  node.label.setAttribute("x", side === "right" ? 5 : -5);
  node.label.setAttribute("text-anchor", side === "right" ? "start" : "end");
  if (!node.labelled) node.group.append(node.label);
  node.labelled = true;
}

/** Stacks in pixels; a count is said beside its stack when it fits before the next one (and the band's count). */
export function drawStacks(lane, px, scale, plotWidth) {
  const { messages } = lane.record;
  const stacks = stacksOf(messages, lane.drawn, scale);
  lane.stackList = stacks;
  lane.stacksDirty = false;
  let shown = 0;
  let freeFrom = -Infinity;
  stacks.forEach((stack, i) => {
    const x = px(messages[stack.first].t);
    if (x < -8 || x > plotWidth + 8) return;
    const count = stack.last - stack.first + 1;
    const node = stackNode(lane, shown++);
    node.group.setAttribute("transform", `translate(${x} 0)`);
    node.group.dataset.count = count;
    node.group.dataset.first = stack.first;
    node.group.dataset.t = messages[stack.first].t.toFixed(1);
    const text = `×${formatCount(count)}`;
    const textWidth = text.length * COUNT_CHAR_PX;
    const next = stacks[i + 1] ? px(messages[stacks[i + 1].first].t) : Infinity;
    // The last count at the plot's right edge goes to the left of its stack, not off the plot.
    const right = x + 5 + textWidth <= plotWidth + 12;
    const from = right ? x + 5 : x - 5 - textWidth;
    const fits = from >= freeFrom && (!right || from + textWidth < next) && !overBand(lane, from, from + textWidth);
    setStackLabel(node, fits ? text : null, right ? "right" : "left");
    if (fits) freeFrom = from + textWidth + 4;
    if (node.group.parentNode !== lane.stacks) lane.stacks.append(node.group);
  });
  for (const node of (lane.stackNodes ?? []).slice(shown)) node.group.remove();
}
