// The shared timeline: one lane per endpoint (or endpoint via a culprit), one mark per
// message, one time axis. A stamped message held on its way gets a whisker from its send
// stamp to its arrival; a connection that broke off gets a cut, and the wait until the
// transport's own new connection a gap.
//
// Marks are placed in milliseconds inside a group scaled to the plot's width, so a
// growing axis rescales one attribute per lane instead of moving every mark. Past
// MAX_MARKS in a lane the rest of its messages are drawn as one band (and said so).
// The "now" cursor is an HTML overlay moved by a transform: moving a line inside the SVG
// would repaint thousands of marks every frame.

import { svg } from "./dom.js";
import { formatCount } from "./stats.js";

export const MAX_MARKS = 500;
const LANE_HEIGHT = 28;
/** Room an axis label needs ("1000 ms"), so a narrow timeline gets fewer ticks. */
const TICK_SPACING_PX = 70;
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

function laneView(record, y, labelWidth) {
  const group = svg("g", { class: `lane c${record.spec.index % 8}`, "data-endpoint": record.spec.name });
  if (record.spec.via) group.classList.add("culprit");
  if (record.spec.url) group.classList.add("yours");
  group.setAttribute("transform", `translate(0 ${y})`);
  group.append(svg("rect", { class: "lane-bg", x: 0, y: 0, width: "100%", height: LANE_HEIGHT }));
  const label = svg("text", { class: "lane-label", x: 8, y: LANE_HEIGHT / 2 });
  const marks = svg("g", { class: "marks" });
  const band = svg("rect", { class: "band", y: 5, height: LANE_HEIGHT - 10, width: 0, visibility: "hidden" });
  const held = svg("g", { class: "held" });
  const connections = svg("g", { class: "connections" });
  marks.append(connections, held, band);
  // The most messages one read carried, said beside them: held messages arrive together.
  const together = svg("text", { class: "together", y: LANE_HEIGHT / 2, visibility: "hidden" });
  const plot = svg("g", { transform: `translate(${labelWidth} 0)` });
  plot.append(marks, together);
  group.append(label, plot);
  const lane = {
    record, group, marks, band, held, connections, label, together, drawn: 0, cuts: 0, gaps: 0,
    read: { t: null, n: 0 }, most: { t: 0, n: 0 },
  };
  setLabel(lane);
  return lane;
}

/** From the send stamp to the arrival: how long the message was held on its way. */
function heldWhisker(message, i) {
  const y = 6 + (i % HELD_LEVELS) * ((LANE_HEIGHT - 12) / (HELD_LEVELS - 1));
  const whisker = svg("g", { class: "hold" });
  whisker.append(
    svg("line", { class: "held-line", x1: message.sent, x2: message.t, y1: y, y2: y }),
    svg("line", { class: "sent", x1: message.sent, x2: message.sent, y1: y - 2.5, y2: y + 2.5 }),
  );
  return whisker;
}

function addMarks(lane) {
  const { messages } = lane.record;
  const fragment = document.createDocumentFragment();
  const whiskers = document.createDocumentFragment();
  const upTo = Math.min(messages.length, MAX_MARKS);
  for (let i = lane.drawn; i < upTo; i++) {
    const message = messages[i];
    fragment.append(svg("line", { class: "mark", x1: message.t, x2: message.t, y1: 4, y2: LANE_HEIGHT - 4 }));
    if (message.sent !== null && message.t > message.sent) whiskers.append(heldWhisker(message, i));
    lane.read = message.t === lane.read.t ? { t: message.t, n: lane.read.n + 1 } : { t: message.t, n: 1 };
    if (lane.read.n > lane.most.n) lane.most = lane.read;
  }
  if (lane.most.n >= 2) {
    lane.together.textContent = `×${formatCount(lane.most.n)}`;
    lane.together.setAttribute("visibility", "visible");
  }
  lane.marks.append(fragment);
  lane.held.append(whiskers);
  lane.drawn = Math.max(lane.drawn, upTo);
  if (messages.length > MAX_MARKS) {
    const from = messages[MAX_MARKS].t;
    lane.band.setAttribute("x", from);
    lane.band.setAttribute("width", Math.max(messages[messages.length - 1].t - from, 0.001));
    lane.band.setAttribute("visibility", "visible");
    setLabel(lane, ` (${formatCount(messages.length)})`);
  }
}

/** Each broken connection as a cut, and the wait until the transport's new connection as a gap. */
function addConnections(lane) {
  const { drops, reconnects } = lane.record;
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

export function createTimeline(root, cursor) {
  let lanes = [];
  let axis = null, span = 1000, width = 0, labelWidth = 0, marksAt = -Infinity, scale = 1;
  // Reading clientWidth every frame would force a layout; a resize tells us instead.
  let measuredWidth = root.clientWidth;
  new ResizeObserver(([entry]) => {
    measuredWidth = Math.round(entry.contentRect.width);
    if (axis && measuredWidth !== width) relayout();
  }).observe(root);

  function drawAxis(height) {
    axis.replaceChildren();
    const plotWidth = width - labelWidth - 16;
    const step = nice(span / Math.max(2, Math.min(6, Math.floor(plotWidth / TICK_SPACING_PX))));
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
    scale = (width - labelWidth - 16) / span;
    for (const lane of lanes) {
      lane.marks.setAttribute("transform", `scale(${scale} 1)`);
      placeTogether(lane);
    }
  }

  function placeTogether(lane) {
    if (lane.most.n >= 2) lane.together.setAttribute("x", lane.most.t * scale + 5);
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
        for (const lane of lanes) {
          if (lane.record.messages.length > lane.drawn) {
            addMarks(lane);
            placeTogether(lane);
          }
          if (lane.record.drops && lane.record.drops.length + lane.record.reconnects.length > lane.cuts + lane.gaps) {
            addConnections(lane);
          }
        }
        marksAt = nowMs;
      }
      const latest = Math.max(0, ...lanes.map((lane) => Math.max(lane.record.lastT ?? 0, lane.record.endT ?? 0)));
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
