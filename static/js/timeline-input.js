// What a person does to the timeline: hover a mark for its details, step through a focused
// lane's marks with the arrow keys, zoom (buttons, + − 0, Ctrl/⌘+wheel, or the wheel once
// the timeline has focus) and pan (drag, horizontal wheel). A plain wheel over an unfocused
// timeline keeps scrolling the page: the plot sits in a long page and must not trap it.

import { LANE_HEIGHT, PAD_TOP, scaleOf, viewOf } from "./timeline-geometry.js";
import { hideTip, showTip } from "./timeline-tip.js";

/** Within this many px of a mark, the pointer shows its details. */
const HOVER_PX = 6;
/** A press that moves less than this is a click, not a pan. */
const DRAG_PX = 3;
const WHEEL_ZOOM = 0.0015;
const KEY_ZOOM = 2;
/** The narrowest window a zoom shows. */
const MIN_SPAN_MS = 1;

/** The index of the first message at or after `t` (messages arrive in time order). */
export function firstAtOrAfter(messages, t) {
  let lo = 0;
  let hi = messages.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (messages[mid].t < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The message nearest `t`; of several at one instant, the first. */
export function nearestMessage(messages, t) {
  if (!messages.length) return null;
  const after = firstAtOrAfter(messages, t);
  let best = after >= messages.length || (after > 0 && t - messages[after - 1].t < messages[after].t - t) ? after - 1 : after;
  while (best > 0 && messages[best - 1].t === messages[best].t) best -= 1;
  return best;
}

export function wireTimeline(root, panel, timeline) {
  const { geometry, lanes, tip, showTip, hideTip, setView, zoomed } = timeline;
  let drag = null;
  let pending = null;
  let scheduled = false;

  const pointIn = (event) => {
    const g = geometry();
    const box = root.getBoundingClientRect();
    return { g, x: event.clientX - box.left - g.labelWidth, y: event.clientY - box.top };
  };
  const laneAt = (g, y) => lanes()[Math.floor((y - g.padTop) / g.laneHeight)] ?? null;

  function zoomAround(factor, plotX = null) {
    const g = geometry();
    const at = plotX ?? focusedX(g) ?? g.plotWidth / 2;
    const t = g.start + at / g.scale;
    const span = g.span / factor;
    setView(t - (at / g.plotWidth) * span, span);
  }

  /** A mark the keys stepped to stays where it is when zooming. */
  function focusedX(g) {
    const shown = tip();
    if (shown.by !== "key") return null;
    const x = (shown.lane.record.messages[shown.index].t - g.start) * g.scale;
    return x >= 0 && x <= g.plotWidth ? x : null;
  }

  function hoverAt(event) {
    const { g, x, y } = pointIn(event);
    const lane = x >= -HOVER_PX && x <= g.plotWidth + HOVER_PX ? laneAt(g, y) : null;
    const index = lane ? nearestMessage(lane.record.messages, g.start + x / g.scale) : null;
    const shown = tip();
    if (index !== null && Math.abs((lane.record.messages[index].t - g.start) * g.scale - x) <= HOVER_PX) {
      if (shown.lane !== lane || shown.index !== index || shown.by !== "pointer") showTip(lane, index, "pointer");
    } else if (shown.by === "pointer") {
      hideTip();
    }
  }

  function step(lane, key) {
    const { messages } = lane.record;
    if (!messages.length) return;
    const g = geometry();
    const shown = tip();
    const current = shown.lane === lane ? shown.index : null;
    let next;
    if (key === "Home") next = 0;
    else if (key === "End") next = messages.length - 1;
    else if (current === null && key === "ArrowRight") next = Math.min(firstAtOrAfter(messages, g.start), messages.length - 1);
    else if (current === null) next = Math.max(firstAtOrAfter(messages, g.start + g.span + 1e-6) - 1, 0);
    else next = Math.min(Math.max(current + (key === "ArrowRight" ? 1 : -1), 0), messages.length - 1);
    const t = messages[next].t;
    if (zoomed() && (t < g.start || t > g.start + g.span)) setView(t - g.span / 2, g.span);
    showTip(lane, next, "key");
  }

  root.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const lane = lanes().find((candidate) => candidate.group === event.target.closest?.(".lane"));
    const key = event.key;
    if (["ArrowRight", "ArrowLeft", "Home", "End"].includes(key)) {
      if (!lane) return;
      step(lane, key);
    } else if (key === "Escape") {
      // Escape also stops a run (main.js): only an open tooltip keeps it for itself.
      if (!tip().shown) return;
      hideTip();
      event.stopPropagation();
    } else if (key === "+" || key === "=") zoomAround(KEY_ZOOM);
    else if (key === "-" || key === "_") zoomAround(1 / KEY_ZOOM);
    else if (key === "0") timeline.reset();
    else return;
    event.preventDefault();
  });

  root.addEventListener("focusout", (event) => {
    const shown = tip();
    if (shown.by === "key" && !shown.lane.group.contains(event.relatedTarget)) hideTip();
  });

  root.addEventListener(
    "wheel",
    (event) => {
      const { g, x } = pointIn(event);
      if (x < 0 || x > g.plotWidth) return;
      const sideways = event.shiftKey || Math.abs(event.deltaX) > Math.abs(event.deltaY);
      if (sideways && zoomed()) {
        event.preventDefault();
        setView(g.start + (event.deltaX || event.deltaY) / g.scale, g.span);
        return;
      }
      const engaged = event.ctrlKey || event.metaKey || root.contains(document.activeElement);
      if (!engaged || sideways) return;
      event.preventDefault();
      const lines = event.deltaMode === 1 ? 33 : 1;
      zoomAround(Math.exp(-event.deltaY * lines * WHEEL_ZOOM), x);
    },
    { passive: false },
  );

  root.addEventListener("pointerdown", (event) => {
    const { g, x } = pointIn(event);
    if (event.button !== 0 || !zoomed() || x < 0 || x > g.plotWidth) return;
    drag = { id: event.pointerId, x0: event.clientX, start: g.start, span: g.span, scale: g.scale, moved: false };
  });
  root.addEventListener("pointermove", (event) => {
    if (drag && drag.id === event.pointerId) {
      const dx = event.clientX - drag.x0;
      if (!drag.moved && Math.abs(dx) < DRAG_PX) return;
      if (!drag.moved) {
        drag.moved = true;
        root.setPointerCapture(event.pointerId);
        root.classList.add("panning");
        if (tip().by === "pointer") hideTip();
      }
      setView(drag.start - dx / drag.scale, drag.span);
      return;
    }
    // Hit-testing reads the layout: once per frame is enough.
    pending = event;
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(() => {
      scheduled = false;
      if (pending && !drag?.moved) hoverAt(pending);
      pending = null;
    });
  });
  const endDrag = (event) => {
    if (!drag || drag.id !== event.pointerId) return;
    if (drag.moved) root.releasePointerCapture(event.pointerId);
    root.classList.remove("panning");
    drag = null;
  };
  root.addEventListener("pointerup", endDrag);
  root.addEventListener("pointercancel", endDrag);
  root.addEventListener("pointerleave", () => {
    pending = null;
    if (tip().by === "pointer" && !drag) hideTip();
  });

  for (const button of panel.querySelectorAll("[data-zoom]")) {
    button.addEventListener("click", () => {
      if (button.dataset.zoom === "in") zoomAround(KEY_ZOOM);
      else if (button.dataset.zoom === "out") zoomAround(1 / KEY_ZOOM);
      else timeline.reset();
    });
  }
}

/** Show or move the window of timeline state `tl`: a window as wide as the whole run is no zoom at all. */
function setView(tl, layout, start, span) {
  const { fullSpan } = tl;
  const clamped = Math.min(Math.max(span, MIN_SPAN_MS), fullSpan);
  tl.zoom = clamped >= fullSpan - 1e-9 ? null : { start: Math.min(Math.max(start, 0), fullSpan - clamped), span: clamped };
  layout(tl);
}

/** The input of timeline state `tl` (timeline.js): what it may ask of the timeline and do to it. */
export function wireInput(tl, layout) {
  const { tip } = tl;
  wireTimeline(tl.root, tl.panel, {
    lanes: () => tl.lanes,
    geometry: () => ({
      labelWidth: tl.labelWidth, plotWidth: tl.plotWidth, padTop: PAD_TOP, laneHeight: LANE_HEIGHT, ...viewOf(tl), scale: scaleOf(tl),
    }),
    zoomed: () => tl.zoom !== null,
    setView: (start, span) => setView(tl, layout, start, span),
    reset: () => setView(tl, layout, 0, tl.fullSpan),
    tip: () => ({ shown: tip.shown, lane: tip.lane, index: tip.index, by: tl.tipBy }),
    showTip: (lane, index, by) => showTip(tl, lane, index, by),
    hideTip: () => hideTip(tl),
  });
}
