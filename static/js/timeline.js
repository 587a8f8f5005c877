// The shared timeline: one lane per endpoint, one mark per message, one time axis.
//
// Marks are placed in milliseconds inside a group scaled to the plot's width, so a
// growing axis rescales one attribute per lane instead of moving every mark. Past
// MAX_MARKS in a lane the rest of its messages are drawn as one band (and said so).
// The "now" cursor is an HTML overlay moved by a transform: moving a line inside the SVG
// would repaint thousands of marks every frame.

import { svg } from "./dom.js";
import { formatCount } from "./stats.js";

export const MAX_MARKS = 500;
const LANE_HEIGHT = 24;
const AXIS_HEIGHT = 22;
const PAD_TOP = 6;
const TICK_STEPS = [1, 2, 2.5, 5];
// Finer steps for the axis's length, so a 10.02 s run is not drawn on a 20 s axis.
const SPAN_STEPS = [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8];
/** While streams flood, new marks are drawn at most this often. */
const MARK_REFRESH_MS = 100;

/** The smallest "nice" number (steps x 10^n) at or above `value`. */
export function nice(value, steps = TICK_STEPS) {
  const target = Math.max(value, 1e-3);
  let power = 10 ** Math.floor(Math.log10(target));
  for (;;) {
    for (const step of steps) if (step * power >= target) return step * power;
    power *= 10;
  }
}

/** The axis span for the latest time shown: never under 100 ms. */
export function niceSpan(ms) {
  return nice(Math.max(ms, 100), SPAN_STEPS);
}

function tickLabel(ms, span) {
  if (ms === 0) return "0";
  return span >= 2000 ? `${+(ms / 1000).toFixed(2)} s` : `${+ms.toFixed(1)} ms`;
}

function laneView(record, y, labelWidth) {
  const group = svg("g", { class: `lane c${record.spec.index % 8}`, "data-endpoint": record.spec.name });
  group.setAttribute("transform", `translate(0 ${y})`);
  group.append(svg("rect", { class: "lane-bg", x: 0, y: 0, width: "100%", height: LANE_HEIGHT }));
  const label = svg("text", { class: "lane-label", x: 8, y: LANE_HEIGHT / 2 });
  label.textContent = record.spec.name;
  const marks = svg("g", { class: "marks" });
  const band = svg("rect", { class: "band", y: 5, height: LANE_HEIGHT - 10, width: 0, visibility: "hidden" });
  marks.append(band);
  const plot = svg("g", { transform: `translate(${labelWidth} 0)` });
  plot.append(marks);
  group.append(label, plot);
  return { record, group, marks, band, label, drawn: 0 };
}

function addMarks(lane) {
  const { messages } = lane.record;
  const fragment = document.createDocumentFragment();
  const upTo = Math.min(messages.length, MAX_MARKS);
  for (let i = lane.drawn; i < upTo; i++) {
    const t = messages[i].t;
    fragment.append(svg("line", { class: "mark", x1: t, x2: t, y1: 4, y2: LANE_HEIGHT - 4 }));
  }
  lane.marks.append(fragment);
  lane.drawn = Math.max(lane.drawn, upTo);
  if (messages.length > MAX_MARKS) {
    const from = messages[MAX_MARKS].t;
    lane.band.setAttribute("x", from);
    lane.band.setAttribute("width", Math.max(messages[messages.length - 1].t - from, 0.001));
    lane.band.setAttribute("visibility", "visible");
    lane.label.textContent = `${lane.record.spec.name} (${formatCount(messages.length)})`;
  }
}

export function createTimeline(root, cursor) {
  let lanes = [];
  let axis = null, span = 1000, width = 0, labelWidth = 0, marksAt = -Infinity;
  // Reading clientWidth every frame would force a layout; a resize tells us instead.
  let measuredWidth = root.clientWidth;
  new ResizeObserver(([entry]) => {
    measuredWidth = Math.round(entry.contentRect.width);
    if (axis && measuredWidth !== width) relayout();
  }).observe(root);

  function drawAxis(height) {
    axis.replaceChildren();
    const plotWidth = width - labelWidth - 16;
    const step = nice(span / 6);
    for (let ms = 0; ms <= span + 1e-9; ms += step) {
      const x = labelWidth + (ms / span) * plotWidth;
      axis.append(svg("line", { class: "grid", x1: x, x2: x, y1: PAD_TOP, y2: height - AXIS_HEIGHT + 4 }));
      const label = svg("text", { class: "tick", x, y: height - 6 });
      label.textContent = tickLabel(ms, span);
      axis.append(label);
    }
  }

  function layout() {
    width = measuredWidth || 800;
    labelWidth = width < 520 ? 92 : 150;
    const height = PAD_TOP + lanes.length * LANE_HEIGHT + AXIS_HEIGHT;
    root.setAttribute("viewBox", `0 0 ${width} ${height}`);
    root.setAttribute("height", height);
    drawAxis(height);
    const scale = (width - labelWidth - 16) / span;
    for (const lane of lanes) lane.marks.setAttribute("transform", `scale(${scale} 1)`);
    return scale;
  }

  function relayout() {
    layout();
    for (const lane of lanes) lane.group.lastChild.setAttribute("transform", `translate(${labelWidth} 0)`);
  }

  return {
    reset(records) {
      lanes = records.map((record, i) => laneView(record, PAD_TOP + i * LANE_HEIGHT, 0));
      axis = svg("g", { class: "axis" });
      root.replaceChildren(axis, ...lanes.map((lane) => lane.group));
      cursor.style.top = `${PAD_TOP}px`;
      cursor.style.height = `${lanes.length * LANE_HEIGHT}px`;
      marksAt = -Infinity;
      span = 1000;
      relayout();
    },
    render(nowMs, running) {
      if (!running || nowMs - marksAt >= MARK_REFRESH_MS) {
        for (const lane of lanes) if (lane.record.messages.length > lane.drawn) addMarks(lane);
        marksAt = nowMs;
      }
      const latest = Math.max(0, ...lanes.map((lane) => lane.record.lastT ?? 0));
      const wanted = niceSpan(running ? Math.max(nowMs, latest) : latest);
      if (wanted !== span || (measuredWidth || 800) !== width) {
        span = wanted;
        relayout();
      }
      const x = labelWidth + (Math.min(nowMs, span) / span) * (width - labelWidth - 16);
      cursor.style.transform = `translateX(${x}px)`;
      cursor.hidden = !running;
    },
    get span() {
      return span;
    },
  };
}
