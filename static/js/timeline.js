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
import { nice, niceSpan, tickLabel } from "./timeline-axis.js";
import { addConnections, addMarks, drawGhosts, LANE_HEIGHT, laneSummary, laneView, MAX_MARKS, placeFocus } from "./timeline-lane.js";
import { drawPhases } from "./timeline-life.js";
import { drawStacks } from "./timeline-stacks.js";
import { createTip } from "./timeline-tip.js";

export { MAX_MARKS, nice, niceSpan };
/** Room an axis label needs ("1000 ms"), so a narrow timeline gets fewer ticks. */
const TICK_SPACING_PX = 70;
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

export function createTimeline(root, cursor) {
  const prefix = `tl${++timelines}`;
  const box = root.parentElement;
  const panel = root.closest(".timeline-panel") ?? box;
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
  const tip = createTip(box);
  const overlayKey = panel.querySelector("[data-overlay-key]");
  const zoomButtons = [...panel.querySelectorAll("[data-zoom]")];

  let lanes = [];
  let width = 0, labelWidth = 0, plotWidth = 1, height = 0, fullSpan = 1000, zoom = null;
  let nowMs = 0, running = false, marksAt = -Infinity, stopT = null, overlay = null;
  // Reading clientWidth every frame would force a layout; a resize tells us instead.
  let measuredWidth = root.clientWidth;
  new ResizeObserver(([entry]) => {
    measuredWidth = Math.round(entry.contentRect.width);
    if (measuredWidth !== width) layout();
  }).observe(root);

  const view = () => zoom ?? { start: 0, span: fullSpan };
  const scale = () => plotWidth / view().span;
  const px = (ms) => {
    const x = (ms - view().start) * scale();
    return Math.min(Math.max(x, -1e5), 1e5);
  };
  const hatchOf = (lane) => `${prefix}-hatch-${lane.record.spec.url ? "yours" : `c${lane.record.spec.index % 8}`}`;

  function drawAxis() {
    const { start, span } = view();
    const step = nice(span / Math.max(2, Math.min(6, Math.floor(plotWidth / TICK_SPACING_PX))));
    const nodes = [];
    for (let ms = Math.ceil(start / step - 1e-9) * step; ms <= start + span + 1e-9; ms += step) {
      const x = labelWidth + px(ms);
      nodes.push(svg("line", { class: "grid", x1: x, x2: x, y1: PAD_TOP, y2: height - AXIS_HEIGHT + 4 }));
      const label = svg("text", { class: "tick", x, y: height - 6 });
      label.textContent = tickLabel(ms, step, start + span);
      nodes.push(label);
    }
    axis.replaceChildren(...nodes);
    root.dataset.viewStart = start.toFixed(3);
    root.dataset.viewSpan = span.toFixed(3);
    root.dataset.zoomed = String(zoom !== null);
    root.dataset.plotLeft = String(labelWidth);
    root.dataset.plotWidth = String(plotWidth);
    for (const button of zoomButtons) button.disabled = button.dataset.zoom !== "in" && zoom === null;
  }

  function drawStop() {
    if (stopT === null) return stopMark.setAttribute("visibility", "hidden");
    const x = px(stopT);
    const inside = x >= -1 && x <= plotWidth + 1;
    stopMark.setAttribute("visibility", inside ? "visible" : "hidden");
    stopMark.setAttribute("transform", `translate(${labelWidth + x} 0)`);
    stopMark.dataset.t = stopT.toFixed(1);
    stopLine.setAttribute("y2", PAD_TOP + lanes.length * LANE_HEIGHT);
    const left = x > 110;
    stopLabel.setAttribute("x", left ? -4 : 4);
    stopLabel.setAttribute("text-anchor", left ? "end" : "start");
    stopLabel.textContent = `stopped at ${formatMs(stopT)}`;
  }

  function drawLane(lane) {
    drawPhases(lane, nowMs, px, hatchOf(lane));
    const summary = laneSummary(lane.record);
    if (summary !== lane.summary) {
      lane.summary = summary;
      lane.group.setAttribute("aria-label", summary);
    }
  }

  function layout() {
    width = measuredWidth || 800;
    labelWidth = width < 520 ? 92 : 150;
    plotWidth = Math.max(width - labelWidth - RIGHT_PAD, 1);
    height = PAD_TOP + lanes.length * LANE_HEIGHT + AXIS_HEIGHT;
    root.setAttribute("viewBox", `0 0 ${width} ${height}`);
    root.setAttribute("height", height);
    clipRect.setAttribute("width", plotWidth + RIGHT_PAD + 4);
    drawAxis();
    const { start } = view();
    const k = scale();
    for (const lane of lanes) {
      lane.plot.setAttribute("transform", `translate(${labelWidth} 0)`);
      lane.marks.setAttribute("transform", `translate(${-start * k} 0) scale(${k} 1)`);
      drawLane(lane);
      drawStacks(lane, px, k, plotWidth);
    }
    drawStop();
    placeCursor();
    if (tip.shown) showTip(tip.lane, tip.index, tipBy);
  }

  function placeCursor() {
    const x = px(nowMs);
    cursor.style.transform = `translateX(${labelWidth + x}px)`;
    cursor.hidden = !running || x < 0 || x > plotWidth;
  }

  /** Show or move the window: a window as wide as the whole run is no zoom at all. */
  function setView(start, span) {
    const clamped = Math.min(Math.max(span, MIN_SPAN_MS), fullSpan);
    zoom = clamped >= fullSpan - 1e-9 ? null : { start: Math.min(Math.max(start, 0), fullSpan - clamped), span: clamped };
    layout();
  }

  let tipBy = null;
  function showTip(lane, index, by) {
    if (!lane || index === null || !lane.record.messages[index]) return hideTip();
    const stack = lane.stackList?.find((s) => s.first <= index && index <= s.last);
    const x = px(lane.record.messages[index].t);
    const laneTop = PAD_TOP + lanes.indexOf(lane) * LANE_HEIGHT;
    if (tip.lane && tip.lane !== lane) placeFocus(tip.lane, null);
    tip.show(lane, index, labelWidth + x, laneTop, LANE_HEIGHT, stack ? stack.last - stack.first + 1 : 1);
    tipBy = by;
    placeFocus(lane, by === "key" && x >= -4 && x <= plotWidth + 4 ? x : null);
    if (by === "key") lane.group.setAttribute("aria-describedby", tip.id);
  }

  function hideTip() {
    if (tip.lane) {
      placeFocus(tip.lane, null);
      tip.lane.group.removeAttribute("aria-describedby");
    }
    tip.hide();
    tipBy = null;
  }

  wireTimeline(root, panel, {
    lanes: () => lanes,
    geometry: () => ({ labelWidth, plotWidth, padTop: PAD_TOP, laneHeight: LANE_HEIGHT, ...view(), scale: scale() }),
    zoomed: () => zoom !== null,
    setView,
    reset: () => setView(0, fullSpan),
    tip: () => ({ shown: tip.shown, lane: tip.lane, index: tip.index, by: tipBy }),
    showTip,
    hideTip,
  });

  function applyOverlay() {
    const records = overlay?.records ?? [];
    for (const lane of lanes) drawGhosts(lane, records.find((r) => r.spec.name === lane.record.spec.name) ?? null);
    if (!overlayKey) return;
    overlayKey.hidden = !overlay;
    const label = overlayKey.querySelector("[data-overlay-label]");
    if (label) label.textContent = overlay?.label ?? "";
  }

  return {
    reset(records) {
      hideTip();
      lanes = records.map((record, i) => laneView(record, PAD_TOP + i * LANE_HEIGHT, `${prefix}-clip`));
      lanesGroup.replaceChildren(...lanes.map((lane) => lane.group));
      cursor.style.top = `${PAD_TOP}px`;
      cursor.style.height = `${lanes.length * LANE_HEIGHT}px`;
      marksAt = -Infinity;
      nowMs = 0;
      running = false;
      stopT = null;
      zoom = null;
      fullSpan = niceSpan(latestOf(overlay?.records ?? []));
      applyOverlay();
      layout();
    },
    render(now, isRunning) {
      nowMs = now;
      running = isRunning;
      let stacksChanged = false;
      const refresh = !running || nowMs - marksAt >= MARK_REFRESH_MS;
      if (refresh) {
        for (const lane of lanes) {
          if (addMarks(lane)) lane.stacksDirty = stacksChanged = true;
          addConnections(lane);
        }
        marksAt = nowMs;
      }
      const latest = Math.max(latestOf(lanes.map((lane) => lane.record)), latestOf(overlay?.records ?? []));
      const wanted = niceSpan(running ? Math.max(nowMs, latest) : latest);
      if (wanted !== fullSpan || (measuredWidth || 800) !== width) {
        fullSpan = wanted;
        if (zoom) zoom = { start: Math.min(zoom.start, Math.max(fullSpan - zoom.span, 0)), span: Math.min(zoom.span, fullSpan) };
        return layout();
      }
      if (refresh) {
        for (const lane of lanes) drawLane(lane);
        if (stacksChanged) for (const lane of lanes.filter((l) => l.stacksDirty)) drawStacks(lane, px, scale(), plotWidth);
      }
      placeCursor();
    },
    /** Another run's records drawn ghosted in the lanes of the same streams; null removes them. */
    setOverlay(records, label = "") {
      overlay = records ? { records, label } : null;
      applyOverlay();
      const wanted = niceSpan(Math.max(latestOf(lanes.map((lane) => lane.record)), latestOf(records ?? [])));
      if (!running && wanted !== fullSpan) {
        fullSpan = wanted;
        zoom = null;
        layout();
      }
    },
    /** A labelled line where the run was stopped (ms since Run), or none. */
    markStopped(ms) {
      const value = ms ?? null;
      if (value === stopT) return;
      stopT = value;
      drawStop();
    },
    get span() {
      return view().span;
    },
    get view() {
      return { ...view() };
    },
  };
}
