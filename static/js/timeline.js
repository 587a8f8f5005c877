// The shared timeline: one lane per endpoint (or endpoint via a culprit), one mark per
// message, one time axis that can be zoomed and panned. A lane (timeline-lane.js) also draws
// the stream's life (timeline-life.js) and its stacked marks (timeline-stacks.js); a
// message's details show on hover or keyboard focus (timeline-tip.js); pointer, wheel and
// keys are wired in timeline-input.js.
//
// Marks are placed in milliseconds inside a group scaled (and shifted) to the visible window,
// so a growing axis or a zoom rewrites one attribute per lane instead of moving every mark.
// Past MAX_MARKS in a lane the rest of its messages are drawn as one band (and said so).
// The "now" cursor is an HTML overlay moved by a transform: moving a line inside the SVG
// would repaint thousands of marks every frame.

import { svg } from "./dom.js";
import { formatMs } from "./stats.js";
import { wireTimeline } from "./timeline-input.js";
import { axisTicks, nice, niceSpan } from "./timeline-axis.js";
import { addConnections, addMarks, drawGhosts, LANE_HEIGHT, laneSummary, laneView, MAX_MARKS, placeFocus } from "./timeline-lane.js";
import { drawPhases } from "./timeline-life.js";
import { drawStacks } from "./timeline-stacks.js";
import { createTip } from "./timeline-tip.js";

export { MAX_MARKS, nice, niceSpan };
const AXIS_HEIGHT = 22;
/** Room above the lanes for the stop marker's label. */
const PAD_TOP = 16;
const RIGHT_PAD = 16;
/** While streams flood, new marks are drawn at most this often. */
const MARK_REFRESH_MS = 100;
/** The narrowest window a zoom shows. */
const MIN_SPAN_MS = 1;
const HUES = ["c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "yours"];
let timelines = 0;

function latestOf(records) {
  return Math.max(0, ...records.map((record) => Math.max(record.lastT ?? 0, record.endT ?? 0)));
}

function hatchPatterns(prefix) {
  return HUES.map((hue) => {
    const pattern = svg("pattern", {
      id: `${prefix}-hatch-${hue}`, class: hue, width: 5, height: 5, patternUnits: "userSpaceOnUse",
      patternTransform: "rotate(45)",
    });
    pattern.append(svg("rect", { class: "hatch-bg", width: 5, height: 5 }), svg("line", { class: "hatch-line", x1: 1, x2: 1, y1: 0, y2: 5 }));
    return pattern;
  });
}

/** The SVG's fixed parts: the clip and hatch patterns, the axis, the lanes' group, the stop marker. */
function buildFrame(root, prefix) {
  // A little room left of 0 for a mark's width; to the right, the pad (a last stack's count).
  const clipRect = svg("rect", { x: -4, y: 0, height: LANE_HEIGHT });
  const clip = svg("clipPath", { id: `${prefix}-clip` });
  clip.append(clipRect);
  const defs = svg("defs");
  defs.append(clip, ...hatchPatterns(prefix));
  const axis = svg("g", { class: "axis" });
  const lanesGroup = svg("g", { class: "lanes" });
  const stopMark = svg("g", { class: "stop-marker", visibility: "hidden" });
  const stopLine = svg("line", { class: "stop-line", y1: PAD_TOP - 4 });
  const stopLabel = svg("text", { class: "stop-label", y: PAD_TOP - 6 });
  stopMark.append(stopLine, stopLabel);
  root.replaceChildren(defs, axis, lanesGroup, stopMark);
  return { clipRect, axis, lanesGroup, stopMark, stopLine, stopLabel };
}

/** Everything one timeline knows: its nodes, its lanes, its size, its window and its run's moment. */
function timelineState(root, cursor) {
  const prefix = `tl${++timelines}`;
  const box = root.parentElement;
  const panel = root.closest(".timeline-panel") ?? box;
  return {
    root, cursor, prefix, panel, ...buildFrame(root, prefix),
    tip: createTip(box), tipBy: null,
    overlayKey: panel.querySelector("[data-overlay-key]"),
    zoomButtons: [...panel.querySelectorAll("[data-zoom]")],
    lanes: [], overlay: null,
    width: 0, labelWidth: 0, plotWidth: 1, height: 0, fullSpan: 1000, zoom: null,
    nowMs: 0, running: false, marksAt: -Infinity, stopT: null,
    // Reading clientWidth every frame would force a layout; a resize tells us instead.
    measuredWidth: root.clientWidth,
  };
}

function observeWidth(tl) {
  new ResizeObserver(([entry]) => {
    tl.measuredWidth = Math.round(entry.contentRect.width);
    if (tl.measuredWidth !== tl.width) layout(tl);
  }).observe(tl.root);
}

const viewOf = (tl) => tl.zoom ?? { start: 0, span: tl.fullSpan };
const scaleOf = (tl) => tl.plotWidth / viewOf(tl).span;
/** Where ms since Run falls on the plot, in px (bounded: SVG coordinates must stay finite and sane). */
function toPx(tl, ms) {
  const x = (ms - viewOf(tl).start) * scaleOf(tl);
  return Math.min(Math.max(x, -1e5), 1e5);
}
const pxOf = (tl) => (ms) => toPx(tl, ms);
const hatchOf = (tl, lane) => `${tl.prefix}-hatch-${lane.record.spec.url ? "yours" : `c${lane.record.spec.index % 8}`}`;

// The axis (timeline-axis.js): its ticks for the window, and the window told to tests and buttons.

function drawAxis(tl) {
  const rows = { gridTop: PAD_TOP, gridBottom: tl.height - AXIS_HEIGHT + 4, labelY: tl.height - 6 };
  tl.axis.replaceChildren(...axisTicks(viewOf(tl), tl.plotWidth, (ms) => tl.labelWidth + toPx(tl, ms), rows));
  const { start, span } = viewOf(tl);
  const { dataset } = tl.root;
  dataset.viewStart = start.toFixed(3);
  dataset.viewSpan = span.toFixed(3);
  dataset.zoomed = String(tl.zoom !== null);
  dataset.plotLeft = String(tl.labelWidth);
  dataset.plotWidth = String(tl.plotWidth);
  for (const button of tl.zoomButtons) button.disabled = button.dataset.zoom !== "in" && tl.zoom === null;
}

function drawStop(tl) {
  const { stopT, stopMark, stopLabel } = tl;
  if (stopT === null) return stopMark.setAttribute("visibility", "hidden");
  const x = toPx(tl, stopT);
  const inside = x >= -1 && x <= tl.plotWidth + 1;
  stopMark.setAttribute("visibility", inside ? "visible" : "hidden");
  stopMark.setAttribute("transform", `translate(${tl.labelWidth + x} 0)`);
  stopMark.dataset.t = stopT.toFixed(1);
  tl.stopLine.setAttribute("y2", PAD_TOP + tl.lanes.length * LANE_HEIGHT);
  const left = x > 110;
  stopLabel.setAttribute("x", left ? -4 : 4);
  stopLabel.setAttribute("text-anchor", left ? "end" : "start");
  stopLabel.textContent = `stopped at ${formatMs(stopT)}`;
}

// The lanes (timeline-lane.js), each with its life (timeline-life.js) and stacks (timeline-stacks.js).

function drawLane(tl, lane) {
  drawPhases(lane, tl.nowMs, pxOf(tl), hatchOf(tl, lane));
  const summary = laneSummary(lane.record);
  if (summary !== lane.summary) {
    lane.summary = summary;
    lane.group.setAttribute("aria-label", summary);
  }
}

/** Every lane moved to the window: its marks' group rescaled, its pixel shapes redrawn. */
function placeLanes(tl) {
  const { start } = viewOf(tl);
  const k = scaleOf(tl);
  for (const lane of tl.lanes) {
    lane.plot.setAttribute("transform", `translate(${tl.labelWidth} 0)`);
    lane.marks.setAttribute("transform", `translate(${-start * k} 0) scale(${k} 1)`);
    drawLane(tl, lane);
    drawStacks(lane, pxOf(tl), k, tl.plotWidth);
  }
}

/** New messages as marks, at most every MARK_REFRESH_MS while running. True if a lane's stacks changed. */
function addNewMarks(tl) {
  let stacksChanged = false;
  for (const lane of tl.lanes) {
    if (addMarks(lane)) lane.stacksDirty = stacksChanged = true;
    addConnections(lane);
  }
  tl.marksAt = tl.nowMs;
  return stacksChanged;
}

function redrawLanes(tl, stacksChanged) {
  for (const lane of tl.lanes) drawLane(tl, lane);
  if (!stacksChanged) return;
  for (const lane of tl.lanes.filter((l) => l.stacksDirty)) drawStacks(lane, pxOf(tl), scaleOf(tl), tl.plotWidth);
}

function layout(tl) {
  tl.width = tl.measuredWidth || 800;
  tl.labelWidth = tl.width < 520 ? 92 : 150;
  tl.plotWidth = Math.max(tl.width - tl.labelWidth - RIGHT_PAD, 1);
  tl.height = PAD_TOP + tl.lanes.length * LANE_HEIGHT + AXIS_HEIGHT;
  tl.root.setAttribute("viewBox", `0 0 ${tl.width} ${tl.height}`);
  tl.root.setAttribute("height", tl.height);
  tl.clipRect.setAttribute("width", tl.plotWidth + RIGHT_PAD + 4);
  drawAxis(tl);
  placeLanes(tl);
  drawStop(tl);
  placeCursor(tl);
  if (tl.tip.shown) showTip(tl, tl.tip.lane, tl.tip.index, tl.tipBy);
}

function placeCursor(tl) {
  const x = toPx(tl, tl.nowMs);
  tl.cursor.style.transform = `translateX(${tl.labelWidth + x}px)`;
  tl.cursor.hidden = !tl.running || x < 0 || x > tl.plotWidth;
}

/** Show or move the window: a window as wide as the whole run is no zoom at all. */
function setView(tl, start, span) {
  const { fullSpan } = tl;
  const clamped = Math.min(Math.max(span, MIN_SPAN_MS), fullSpan);
  tl.zoom = clamped >= fullSpan - 1e-9 ? null : { start: Math.min(Math.max(start, 0), fullSpan - clamped), span: clamped };
  layout(tl);
}

// The tip (timeline-tip.js): a message's details, and the focus mark of a lane stepped by keys.

function showTip(tl, lane, index, by) {
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

function hideTip(tl) {
  const { tip } = tl;
  if (tip.lane) {
    placeFocus(tip.lane, null);
    tip.lane.group.removeAttribute("aria-describedby");
  }
  tip.hide();
  tl.tipBy = null;
}

// The input (timeline-input.js): what it may ask of the timeline and do to it.

function wireInput(tl) {
  const { tip } = tl;
  wireTimeline(tl.root, tl.panel, {
    lanes: () => tl.lanes,
    geometry: () => ({
      labelWidth: tl.labelWidth, plotWidth: tl.plotWidth, padTop: PAD_TOP, laneHeight: LANE_HEIGHT, ...viewOf(tl), scale: scaleOf(tl),
    }),
    zoomed: () => tl.zoom !== null,
    setView: (start, span) => setView(tl, start, span),
    reset: () => setView(tl, 0, tl.fullSpan),
    tip: () => ({ shown: tip.shown, lane: tip.lane, index: tip.index, by: tl.tipBy }),
    showTip: (lane, index, by) => showTip(tl, lane, index, by),
    hideTip: () => hideTip(tl),
  });
}

// Another run ghosted in the lanes (timeline-lane.js drawGhosts), and its key above the plot.

function applyOverlay(tl) {
  const { overlay, overlayKey } = tl;
  const records = overlay?.records ?? [];
  for (const lane of tl.lanes) drawGhosts(lane, records.find((r) => r.spec.name === lane.record.spec.name) ?? null);
  if (!overlayKey) return;
  overlayKey.hidden = !overlay;
  const label = overlayKey.querySelector("[data-overlay-label]");
  if (label) label.textContent = overlay?.label ?? "";
}

function setOverlay(tl, records, label) {
  tl.overlay = records ? { records, label } : null;
  applyOverlay(tl);
  const wanted = niceSpan(Math.max(latestOf(tl.lanes.map((lane) => lane.record)), latestOf(records ?? [])));
  if (!tl.running && wanted !== tl.fullSpan) {
    tl.fullSpan = wanted;
    tl.zoom = null;
    layout(tl);
  }
}

// A run: its lanes, each frame of it, and where it was stopped.

function resetLanes(tl, records) {
  hideTip(tl);
  tl.lanes = records.map((record, i) => laneView(record, PAD_TOP + i * LANE_HEIGHT, `${tl.prefix}-clip`));
  tl.lanesGroup.replaceChildren(...tl.lanes.map((lane) => lane.group));
  tl.cursor.style.top = `${PAD_TOP}px`;
  tl.cursor.style.height = `${tl.lanes.length * LANE_HEIGHT}px`;
  Object.assign(tl, { marksAt: -Infinity, nowMs: 0, running: false, stopT: null, zoom: null });
  tl.fullSpan = niceSpan(latestOf(tl.overlay?.records ?? []));
  applyOverlay(tl);
  layout(tl);
}

/** The axis grown to what the run has reached (a zoom kept inside it); true if that took a layout. */
function fitSpan(tl) {
  const latest = Math.max(latestOf(tl.lanes.map((lane) => lane.record)), latestOf(tl.overlay?.records ?? []));
  const wanted = niceSpan(tl.running ? Math.max(tl.nowMs, latest) : latest);
  if (wanted === tl.fullSpan && (tl.measuredWidth || 800) === tl.width) return false;
  tl.fullSpan = wanted;
  const { zoom } = tl;
  if (zoom) tl.zoom = { start: Math.min(zoom.start, Math.max(wanted - zoom.span, 0)), span: Math.min(zoom.span, wanted) };
  layout(tl);
  return true;
}

function render(tl, now, isRunning) {
  tl.nowMs = now;
  tl.running = isRunning;
  const refresh = !isRunning || now - tl.marksAt >= MARK_REFRESH_MS;
  const stacksChanged = refresh && addNewMarks(tl);
  if (fitSpan(tl)) return;
  if (refresh) redrawLanes(tl, stacksChanged);
  placeCursor(tl);
}

function markStopped(tl, ms) {
  const value = ms ?? null;
  if (value === tl.stopT) return;
  tl.stopT = value;
  drawStop(tl);
}

export function createTimeline(root, cursor) {
  const tl = timelineState(root, cursor);
  observeWidth(tl);
  wireInput(tl);
  return {
    reset: (records) => resetLanes(tl, records),
    render: (now, isRunning) => render(tl, now, isRunning),
    /** Another run's records drawn ghosted in the lanes of the same streams; null removes them. */
    setOverlay: (records, label = "") => setOverlay(tl, records, label),
    /** A labelled line where the run was stopped (ms since Run), or none. */
    markStopped: (ms) => markStopped(tl, ms),
    get span() {
      return viewOf(tl).span;
    },
    get view() {
      return { ...viewOf(tl) };
    },
  };
}
