// A stream's life as a bar under its lane's marks: queued by the browser, waiting for
// headers, connected with the body held by the server, streaming, and how it ended. A few
// shapes in pixels, redrawn on every layout, so that the hatching keeps its shape at any zoom.

import { svg } from "./dom.js";
import { BAR_HEIGHT, BAR_Y } from "./timeline-geometry.js";

const SETTLED = new Set(["done", "error", "aborted"]);

/**
 * The stream's life in phases, [name, from, to] in ms since Run; a phase not reached yet is
 * left out, one under way ends at `nowMs`. H1's measured fields win; before they exist the
 * record's older ones stand in (first message for first byte).
 */
export function phasesOf(record, nowMs) {
  if (record.state === undefined) return [];
  const until = record.endT ?? nowMs;
  const queued = record.queuedMs !== null && record.queuedMs !== undefined;
  const requestT = record.requestT ?? (queued ? record.queuedMs : 0);
  const firstByteT = record.firstByteT ?? record.firstT;
  const phases = [];
  if (queued && requestT > 0) phases.push(["queued", 0, requestT]);
  phases.push(["waiting", requestT, record.openT ?? until]);
  if (record.openT !== null) phases.push(["held", record.openT, firstByteT ?? until]);
  if (firstByteT !== null && firstByteT !== undefined) phases.push(["streaming", firstByteT, until]);
  return phases;
}

const PHASE_SHAPES = {
  queued: { y: BAR_Y + 0.5, height: BAR_HEIGHT - 1 },
  waiting: { y: BAR_Y + BAR_HEIGHT / 2 - 1, height: 2 },
  held: { y: BAR_Y, height: BAR_HEIGHT },
  streaming: { y: BAR_Y + 1, height: BAR_HEIGHT - 2 },
};

/** The bar and the end glyph in pixels: `px` maps ms since Run to the plot's x. */
export function drawPhases(lane, nowMs, px, hatchId) {
  const seen = new Set();
  for (const [name, from, to] of phasesOf(lane.record, nowMs)) {
    seen.add(name);
    let rect = lane.bars.get(name);
    if (!rect) {
      rect = svg("rect", { class: `phase phase-${name}`, "data-phase": name, ...PHASE_SHAPES[name] });
      if (name === "held") rect.setAttribute("fill", `url(#${hatchId})`);
      lane.bars.set(name, rect);
      lane.phases.append(rect);
    }
    const x1 = px(from);
    const x2 = px(Math.max(to, from));
    rect.setAttribute("x", x1);
    rect.setAttribute("width", Math.max(x2 - x1, 0));
    rect.dataset.from = from.toFixed(1);
    rect.dataset.to = Math.max(to, from).toFixed(1);
  }
  for (const [name, rect] of lane.bars) {
    if (!seen.has(name)) {
      rect.remove();
      lane.bars.delete(name);
    }
  }
  drawEnd(lane, px);
}

const END_GLYPHS = {
  // A dot for a stream that ended well, a cross for one that failed, a square ("stop") for one stopped.
  done: () => [svg("circle", { cx: 0, cy: 0, r: 4 })],
  error: () => [svg("path", { d: "M-4 -4L4 4M-4 4L4 -4" })],
  aborted: () => [svg("rect", { x: -3.5, y: -3.5, width: 7, height: 7 })],
};

function drawEnd(lane, px) {
  const { state, endT } = lane.record;
  const outcome = SETTLED.has(state) && endT !== null ? state : null;
  if (outcome === null) {
    lane.end.setAttribute("visibility", "hidden");
    delete lane.group.dataset.outcome;
    return;
  }
  if (lane.group.dataset.outcome !== outcome) {
    lane.group.dataset.outcome = outcome;
    lane.end.setAttribute("class", `end end-${outcome}`);
    lane.end.dataset.end = outcome;
    lane.end.replaceChildren(...END_GLYPHS[outcome]());
  }
  lane.end.dataset.t = endT.toFixed(1);
  lane.end.setAttribute("transform", `translate(${px(endT)} ${BAR_Y + BAR_HEIGHT / 2})`);
  lane.end.setAttribute("visibility", "visible");
}
