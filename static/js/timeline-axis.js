// The time axis: its length, where ticks go, how they are labelled, and their nodes; and the
// marker of the moment a run was stopped.

import { svg } from "./dom.js";
import { formatMs } from "./stats.js";
import { AXIS_HEIGHT, LANE_HEIGHT, PAD_TOP, toPx, viewOf } from "./timeline-geometry.js";

/** Room an axis label needs ("1000 ms"), so a narrow timeline gets fewer ticks. */
const TICK_SPACING_PX = 70;
const TICK_STEPS = [1, 2, 2.5, 5];
// Finer steps for the axis's length, so a 10.02 s run is not drawn on a 20 s axis.
const SPAN_STEPS = [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8];

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

function decimals(value) {
  for (let d = 0; d < 6; d++) if (Math.abs(Math.round(value * 10 ** d) - value * 10 ** d) < 1e-6) return d;
  return 6;
}

/** A tick's label, as precise as the step between ticks asks: seconds on long axes. */
export function tickLabel(ms, step, end) {
  if (Math.abs(ms) < 1e-9) return "0";
  if (end >= 2000 && step >= 10) return `${(ms / 1000).toFixed(decimals(step / 1000))} s`;
  return `${ms.toFixed(decimals(step))} ms`;
}

/**
 * A grid line and a label per tick of the window `view` ({start, span} in ms) on a plot
 * `plotWidth` px wide; `xOf(ms)` is a tick's x in the SVG, `rows` its lines' and labels' y.
 */
export function axisTicks({ start, span }, plotWidth, xOf, { gridTop, gridBottom, labelY }) {
  const step = nice(span / Math.max(2, Math.min(6, Math.floor(plotWidth / TICK_SPACING_PX))));
  const nodes = [];
  for (let ms = Math.ceil(start / step - 1e-9) * step; ms <= start + span + 1e-9; ms += step) {
    const x = xOf(ms);
    nodes.push(svg("line", { class: "grid", x1: x, x2: x, y1: gridTop, y2: gridBottom }));
    const label = svg("text", { class: "tick", x, y: labelY });
    label.textContent = tickLabel(ms, step, start + span);
    nodes.push(label);
  }
  return nodes;
}

/** The axis of timeline state `tl` (timeline.js), and its window told to tests and buttons. */
export function drawAxis(tl) {
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

/** The labelled line where the run was stopped, if it was and that moment is in the window. */
export function drawStop(tl) {
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
