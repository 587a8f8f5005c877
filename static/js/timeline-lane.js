// One lane of the timeline: its label, one mark per message, held whiskers, cuts and gaps,
// another run's marks ghosted, and the groups its life (timeline-life.js) and its stacks
// (timeline-stacks.js) are drawn in; and the timeline's lanes drawn to its window.
//
// Marks live in milliseconds inside a group the timeline scales (thousands of them; a zoom
// changes one attribute). The bar, the stacks and the end are a handful of shapes in pixels.

import { svg } from "./dom.js";
import { formatCount, formatMs } from "./stats.js";
import { BAR_HEIGHT, BAR_Y, LANE_HEIGHT, MARK_BOTTOM, MARK_TOP, pxOf, scaleOf, viewOf } from "./timeline-geometry.js";
import { drawPhases } from "./timeline-life.js";
import { drawStacks } from "./timeline-stacks.js";

export const MAX_MARKS = 500;
/** Whiskers of held messages are staggered over a few heights, so that each stays visible. */
const HELD_LEVELS = 4;

function setLabel(lane, suffix = "") {
  const { spec } = lane.record;
  if (!spec.via) {
    lane.label.textContent = `${spec.label ?? spec.name}${suffix}`;
    return;
  }
  // A culprit lane: its endpoint, and under it (muted) the culprit it goes through.
  const top = svg("tspan", { x: 8, dy: "-0.55em" });
  top.textContent = `${spec.endpoint}${suffix}`;
  const bottom = svg("tspan", { x: 8, dy: "1.1em", class: "lane-via" });
  bottom.textContent = `via ${spec.via}`;
  lane.label.replaceChildren(top, bottom);
}

export function laneView(record, y, clipId) {
  const hue = record.spec.url ? "yours" : `c${record.spec.index % 8}`;
  const group = svg("g", {
    class: `lane ${hue}`, "data-endpoint": record.spec.name, tabindex: 0, role: "group",
    "aria-roledescription": "timeline lane", transform: `translate(0 ${y})`,
  });
  if (record.spec.via) group.classList.add("culprit");
  group.append(svg("rect", { class: "lane-bg", x: 0, y: 0, width: "100%", height: LANE_HEIGHT }));
  const label = svg("text", { class: "lane-label", x: 8, y: (MARK_TOP + BAR_Y + BAR_HEIGHT) / 2 });
  const clipped = svg("g", { "clip-path": `url(#${clipId})` });
  const phases = svg("g", { class: "phases" });
  const marks = svg("g", { class: "marks" });
  const band = svg("rect", { class: "band", y: MARK_TOP + 2, height: MARK_BOTTOM - MARK_TOP - 4, width: 0, visibility: "hidden" });
  const held = svg("g", { class: "held" });
  const connections = svg("g", { class: "connections" });
  const ghosts = svg("g", { class: "ghosts" });
  marks.append(ghosts, connections, held, band);
  const stacks = svg("g", { class: "stacks" });
  const end = svg("g", { class: "end", visibility: "hidden" });
  const focus = svg("path", { class: "mark-focus", d: "M-4 0h8l-4 4z", visibility: "hidden" });
  clipped.append(phases, marks, stacks, end, focus);
  const plot = svg("g", { class: "plot" });
  plot.append(clipped);
  group.append(label, plot);
  const lane = {
    record, group, plot, marks, band, held, connections, ghosts, phases, stacks, end, focus, label,
    drawn: 0, seen: 0, cuts: 0, gaps: 0, bars: new Map(), summary: "", ghostRecord: null, stackList: [],
    stacksDirty: false,
  };
  setLabel(lane);
  return lane;
}

/** From the send stamp to the arrival: how long the message was held on its way. */
function heldWhisker(message, i) {
  const y = MARK_TOP + 2 + (i % HELD_LEVELS) * ((MARK_BOTTOM - MARK_TOP - 4) / (HELD_LEVELS - 1));
  const whisker = svg("g", { class: "hold" });
  whisker.append(
    svg("line", { class: "held-line", x1: message.sent, x2: message.t, y1: y, y2: y }),
    svg("line", { class: "sent", x1: message.sent, x2: message.sent, y1: y - 2.5, y2: y + 2.5 }),
  );
  return whisker;
}

/** New messages as marks (the first MAX_MARKS of them; the rest as one band). True if marks were added. */
export function addMarks(lane) {
  const { messages } = lane.record;
  if (messages.length === lane.seen) return false;
  lane.seen = messages.length;
  const before = lane.drawn;
  const fragment = document.createDocumentFragment();
  const whiskers = document.createDocumentFragment();
  const upTo = Math.min(messages.length, MAX_MARKS);
  for (let i = lane.drawn; i < upTo; i++) {
    const message = messages[i];
    fragment.append(svg("line", { class: "mark", x1: message.t, x2: message.t, y1: MARK_TOP, y2: MARK_BOTTOM }));
    if (message.sent !== null && message.t > message.sent) whiskers.append(heldWhisker(message, i));
  }
  lane.marks.append(fragment);
  lane.held.append(whiskers);
  lane.drawn = Math.max(lane.drawn, upTo);
  if (messages.length > MAX_MARKS) {
    drawBand(lane.band, messages);
    setLabel(lane, ` (${formatCount(messages.length)})`);
  }
  return lane.drawn > before;
}

function drawBand(band, messages) {
  const from = messages[MAX_MARKS].t;
  band.setAttribute("x", from);
  band.setAttribute("width", Math.max(messages[messages.length - 1].t - from, 0.001));
  band.setAttribute("visibility", "visible");
}

/** Each broken connection as a cut, and the wait until the transport's new connection as a gap. */
export function addConnections(lane) {
  const { drops, reconnects } = lane.record;
  if (!drops || drops.length + reconnects.length <= lane.cuts + lane.gaps) return;
  for (; lane.cuts < drops.length; lane.cuts++) {
    const t = drops[lane.cuts];
    lane.connections.append(svg("line", { class: "cut", x1: t, x2: t, y1: 0, y2: LANE_HEIGHT }));
  }
  for (; lane.gaps < Math.min(reconnects.length, drops.length); lane.gaps++) {
    const from = drops[lane.gaps];
    const to = reconnects[lane.gaps];
    lane.connections.append(
      svg("rect", { class: "gap", x: from, y: 2, width: Math.max(to - from, 0.001), height: LANE_HEIGHT - 4 }),
      svg("line", { class: "reconnect", x1: to, x2: to, y1: 0, y2: LANE_HEIGHT }),
    );
  }
}

/** Another run's messages of the same stream, ghosted: dashed marks (the rest as a band). */
export function drawGhosts(lane, record) {
  lane.ghostRecord = record;
  if (!record) {
    lane.ghosts.replaceChildren();
    return;
  }
  const { messages } = record;
  const fragment = document.createDocumentFragment();
  for (let i = 0; i < Math.min(messages.length, MAX_MARKS); i++) {
    const t = messages[i].t;
    fragment.append(svg("line", { class: "ghost-mark", x1: t, x2: t, y1: MARK_TOP, y2: MARK_BOTTOM }));
  }
  if (messages.length > MAX_MARKS) {
    const band = svg("rect", { class: "ghost-band", y: MARK_TOP + 2, height: MARK_BOTTOM - MARK_TOP - 4 });
    drawBand(band, messages);
    fragment.append(band);
  }
  lane.ghosts.replaceChildren(fragment);
}

/** What the lane says to a screen reader: its outcome, counts and the moments of its life. */
export function laneSummary(record) {
  const name = record.spec.via ? `${record.spec.endpoint} via ${record.spec.via}` : (record.spec.label ?? record.spec.name);
  if (record.state === undefined) return `${name}: not run yet.`;
  const parts = [`${name}: ${record.state}`, `${formatCount(record.messages.length)} messages`];
  const at = (what, ms) => ms !== null && ms !== undefined && parts.push(`${what} at ${formatMs(ms)}`);
  if (record.queuedMs !== null && record.queuedMs !== undefined) parts.push(`queued by the browser ${formatMs(record.queuedMs)}`);
  at("headers", record.openT);
  at("first byte", record.firstByteT ?? record.firstT);
  at("ended", record.endT);
  return `${parts.join(", ")}. Left and right arrows step through its messages.`;
}

export function placeFocus(lane, x) {
  if (x === null) {
    lane.focus.setAttribute("visibility", "hidden");
    return;
  }
  lane.focus.setAttribute("transform", `translate(${x} 0)`);
  lane.focus.setAttribute("visibility", "visible");
}

// The timeline's lanes (state `tl` of timeline.js), each with its life and stacks.

const hatchOf = (tl, lane) => `${tl.prefix}-hatch-${lane.record.spec.url ? "yours" : `c${lane.record.spec.index % 8}`}`;

function drawLane(tl, lane) {
  drawPhases(lane, tl.nowMs, pxOf(tl), hatchOf(tl, lane));
  const summary = laneSummary(lane.record);
  if (summary !== lane.summary) {
    lane.summary = summary;
    lane.group.setAttribute("aria-label", summary);
  }
}

/** Every lane moved to the window: its marks' group rescaled, its pixel shapes redrawn. */
export function placeLanes(tl) {
  const { start } = viewOf(tl);
  const k = scaleOf(tl);
  for (const lane of tl.lanes) {
    lane.plot.setAttribute("transform", `translate(${tl.labelWidth} 0)`);
    lane.marks.setAttribute("transform", `translate(${-start * k} 0) scale(${k} 1)`);
    drawLane(tl, lane);
    drawStacks(lane, pxOf(tl), k, tl.plotWidth);
  }
}

/** New messages as marks (the timeline draws them at most so often while running). True if a lane's stacks changed. */
export function addNewMarks(tl) {
  let stacksChanged = false;
  for (const lane of tl.lanes) {
    if (addMarks(lane)) lane.stacksDirty = stacksChanged = true;
    addConnections(lane);
  }
  tl.marksAt = tl.nowMs;
  return stacksChanged;
}

export function redrawLanes(tl, stacksChanged) {
  for (const lane of tl.lanes) drawLane(tl, lane);
  if (!stacksChanged) return;
  for (const lane of tl.lanes.filter((l) => l.stacksDirty)) drawStacks(lane, pxOf(tl), scaleOf(tl), tl.plotWidth);
}

/** Another run ghosted in the lanes of the same streams, and its key above the plot. */
export function applyOverlay(tl) {
  const { overlay, overlayKey } = tl;
  const records = overlay?.records ?? [];
  for (const lane of tl.lanes) drawGhosts(lane, records.find((r) => r.spec.name === lane.record.spec.name) ?? null);
  if (!overlayKey) return;
  overlayKey.hidden = !overlay;
  const label = overlayKey.querySelector("[data-overlay-label]");
  if (label) label.textContent = overlay?.label ?? "";
}
