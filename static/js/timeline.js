// The shared timeline: one lane per endpoint (or endpoint via a culprit), one mark per
// message, one time axis that can be zoomed and panned. This module holds one timeline's
// state, its layout and the run's API; the pieces draw over that state: the axis and the stop
// marker (timeline-axis.js), the lanes and another run ghosted in them (timeline-lane.js),
// each with the stream's life (timeline-life.js) and its stacked marks (timeline-stacks.js);
// a message's details on hover or keyboard focus (timeline-tip.js); pointer, wheel and keys
// (timeline-input.js). Their shared sizes and the window's ms-to-px are timeline-geometry.js.
//
// Marks are placed in milliseconds inside a group scaled (and shifted) to the visible window,
// so a growing axis or a zoom rewrites one attribute per lane instead of moving every mark.
// What a frame costs is bounded whatever the rate: a lane draws its first MAX_MARKS messages
// as marks, at most MARKS_PER_FRAME new ones a frame over all lanes, and the rest of its
// messages as one counted band (timeline-band.js). The "now" cursor is an HTML overlay moved
// by a transform: moving a line inside the SVG would repaint every mark every frame.

import { svg } from "./dom.js";
import { drawAxis, drawStop, nice, niceSpan } from "./timeline-axis.js";
import { AXIS_HEIGHT, LANE_HEIGHT, PAD_TOP, toPx, viewOf } from "./timeline-geometry.js";
import { wireInput } from "./timeline-input.js";
import { addNewMarks, applyOverlay, laneView, marksBehind, MAX_MARKS, placeLanes, redrawLanes } from "./timeline-lane.js";
import { createTip, hideTip, showTip } from "./timeline-tip.js";

export { MAX_MARKS, nice, niceSpan };
const RIGHT_PAD = 16;
/** While streams flood, new marks are drawn at most this often. */
const MARK_REFRESH_MS = 100;
/** New marks (and their whiskers) made in one frame, over all lanes. */
const MARKS_PER_FRAME = 80;
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
    nowMs: 0, running: false, marksAt: -Infinity, stopT: null, pending: 0,
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

// Another run ghosted in the lanes (timeline-lane.js applyOverlay), the axis made room for.

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
  cancelAnimationFrame(tl.pending);
  tl.pending = 0;
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
  const stacksChanged = refresh && addNewMarks(tl, MARKS_PER_FRAME);
  if (!fitSpan(tl)) {
    if (refresh) redrawLanes(tl, stacksChanged);
    placeCursor(tl);
  }
  if (!isRunning) drawRestLater(tl);
}

/** A run ended (or was shown) with marks still to draw: the next frames draw them, a budget each. */
function drawRestLater(tl) {
  if (tl.pending || !marksBehind(tl)) return;
  tl.pending = requestAnimationFrame(() => {
    tl.pending = 0;
    if (!tl.running) render(tl, tl.nowMs, false);
  });
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
  wireInput(tl, layout);
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
