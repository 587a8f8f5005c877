// One lane of the timeline: its label, one mark per message, held whiskers, cuts and gaps,
// another run's marks ghosted, and the groups its life (timeline-life.js) and its stacks
// (timeline-stacks.js) are drawn in; and the timeline's lanes drawn to its window.
//
// Marks live in milliseconds inside a group the timeline scales (a zoom changes one
// attribute). The bar, the stacks and the end are a handful of shapes in pixels.
//
// Every SVG node is walked by every repaint of the timeline, whatever changed: so a lane
// draws at most MAX_MARKS marks, a few per frame, and the messages it has not drawn as
// marks are one band, counted ("+2,800 more"). A frame costs the same at the 10th message
// and the 100,000th.

import { svg } from "./dom.js";
import { formatCount, formatMs } from "./stats.js";
import { bandNodes, drawBand, placeBandCount } from "./timeline-band.js";
import { BAR_HEIGHT, BAR_Y, LANE_HEIGHT, MARK_BOTTOM, MARK_TOP, pxOf, scaleOf, viewOf } from "./timeline-geometry.js";
import { drawPhases } from "./timeline-life.js";
import { drawStacks } from "./timeline-stacks.js";

/** Marks drawn one by one in a lane (with their whiskers); its other messages are its band. */
export const MAX_MARKS = 200;
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
  // A Tab stop only once it has messages to step through (setStop).
  const group = svg("g", {
    class: `lane ${hue}`, "data-endpoint": record.spec.name, role: "group",
    "aria-roledescription": "timeline lane", transform: `translate(0 ${y})`,
  });
  if (record.spec.via) group.classList.add("culprit");
  group.append(svg("rect", { class: "lane-bg", x: 0, y: 0, width: "100%", height: LANE_HEIGHT }));
  const label = svg("text", { class: "lane-label", x: 8, y: (MARK_TOP + BAR_Y + BAR_HEIGHT) / 2 });
  const clipped = svg("g", { "clip-path": `url(#${clipId})` });
  const phases = svg("g", { class: "phases" });
  const marks = svg("g", { class: "marks" });
  const { band, bandCount } = bandNodes();
  const held = svg("g", { class: "held" });
  const connections = svg("g", { class: "connections" });
  const ghosts = svg("g", { class: "ghosts" });
  marks.append(ghosts, connections, held, band);
  const stacks = svg("g", { class: "stacks" });
  const end = svg("g", { class: "end", visibility: "hidden" });
  const focus = svg("path", { class: "mark-focus", d: "M-4 0h8l-4 4z", visibility: "hidden" });
  clipped.append(phases, marks, stacks, bandCount, end, focus);
  const plot = svg("g", { class: "plot" });
  plot.append(clipped);
  group.append(label, plot);
  const lane = {
    record, group, plot, marks, band, bandCount, held, connections, ghosts, phases, stacks, end, focus, label,
    drawn: 0, seen: 0, cuts: 0, gaps: 0, bars: new Map(), summary: "", ghostRecord: null, stackList: [],
    stacksDirty: false, stop: false, more: 0, suffix: "", bandLabel: null,
  };
  setLabel(lane);
  return lane;
}

/** From the send stamp to the arrival: how long the message was held on its way (one node). */
function heldWhisker(message, i) {
  const y = MARK_TOP + 2 + (i % HELD_LEVELS) * ((MARK_BOTTOM - MARK_TOP - 4) / (HELD_LEVELS - 1));
  return svg("path", { class: "held-line", d: `M${message.sent} ${y}H${message.t}M${message.sent} ${y - 2.5}V${y + 2.5}` });
}

/** A lane is a Tab stop while it has messages to step through, and only then. */
function setStop(lane) {
  const stop = lane.record.messages.length > 0;
  if (stop === lane.stop) return;
  lane.stop = stop;
  if (stop) lane.group.setAttribute("tabindex", "0");
  else lane.group.removeAttribute("tabindex");
}

/**
 * Up to `budget` new messages as marks (a lane draws its first MAX_MARKS); the messages not
 * drawn as marks, yet or at all, are the band. True if marks were added.
 */
export function addMarks(lane, budget = Infinity) {
  const { messages } = lane.record;
  const upTo = Math.min(messages.length, MAX_MARKS, lane.drawn + budget);
  if (messages.length === lane.seen && upTo === lane.drawn) return false;
  lane.seen = messages.length;
  setStop(lane);
  const before = lane.drawn;
  const fragment = document.createDocumentFragment();
  const whiskers = document.createDocumentFragment();
  for (let i = lane.drawn; i < upTo; i++) {
    const message = messages[i];
    fragment.append(svg("line", { class: "mark", x1: message.t, x2: message.t, y1: MARK_TOP, y2: MARK_BOTTOM }));
    if (message.sent !== null && message.t > message.sent) whiskers.append(heldWhisker(message, i));
  }
  lane.marks.append(fragment);
  lane.held.append(whiskers);
  lane.drawn = Math.max(lane.drawn, upTo);
  drawBand(lane.band, messages, lane.drawn);
  lane.more = messages.length - lane.drawn;
  const suffix = messages.length > MAX_MARKS ? ` (${formatCount(messages.length)})` : "";
  if (suffix !== lane.suffix) setLabel(lane, suffix);
  lane.suffix = suffix;
  return lane.drawn > before;
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
  const drawn = Math.min(messages.length, MAX_MARKS);
  for (let i = 0; i < drawn; i++) {
    const t = messages[i].t;
    fragment.append(svg("line", { class: "ghost-mark", x1: t, x2: t, y1: MARK_TOP, y2: MARK_BOTTOM }));
  }
  if (messages.length > drawn) {
    const band = svg("rect", { class: "ghost-band", y: MARK_TOP + 2, height: MARK_BOTTOM - MARK_TOP - 4 });
    drawBand(band, messages, drawn);
    fragment.append(band);
  }
  lane.ghosts.replaceChildren(fragment);
}

/** What the lane says to a screen reader: its outcome, counts and the moments of its life. */
export function laneSummary(record, more = 0) {
  const name = record.spec.via ? `${record.spec.endpoint} via ${record.spec.via}` : (record.spec.label ?? record.spec.name);
  if (record.state === undefined) return `${name}: not run yet.`;
  const parts = [`${name}: ${record.state}`, `${formatCount(record.messages.length)} messages`];
  if (more > 0) parts.push(`the last ${formatCount(more)} drawn as one band`);
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
  placeBandCount(lane, pxOf(tl));
  const summary = laneSummary(lane.record, lane.more);
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

/**
 * New messages as marks, at most `budget` over all lanes, shared between the lanes that have
 * some to draw. True if a lane's stacks changed.
 */
export function addNewMarks(tl, budget = Infinity) {
  const behind = tl.lanes.filter((lane) => lane.drawn < Math.min(lane.record.messages.length, MAX_MARKS)).length;
  const share = Math.ceil(budget / Math.max(behind, 1));
  let stacksChanged = false;
  for (const lane of tl.lanes) {
    if (addMarks(lane, share)) lane.stacksDirty = stacksChanged = true;
    addConnections(lane);
  }
  tl.marksAt = tl.nowMs;
  return stacksChanged;
}

/** Marks still to draw in some lane: the timeline keeps drawing them, a budget a frame. */
export const marksBehind = (tl) => tl.lanes.some((lane) => lane.drawn < Math.min(lane.record.messages.length, MAX_MARKS));

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
