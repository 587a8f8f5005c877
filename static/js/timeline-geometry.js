// Where the timeline's parts sit: a lane's rows, the room above and below the lanes, and the
// visible window's mapping of ms since Run to the plot's px. Every timeline piece reads these;
// this module imports none of them, so that none imports another only for its sizes.

export const LANE_HEIGHT = 32;
export const MARK_TOP = 3;
export const MARK_BOTTOM = 21;
export const BAR_Y = 24;
export const BAR_HEIGHT = 6;
export const AXIS_HEIGHT = 22;
/** Room above the lanes for the stop marker's label. */
export const PAD_TOP = 16;

/** The visible window of timeline state `tl`, {start, span} in ms: the whole run unless zoomed. */
export const viewOf = (tl) => tl.zoom ?? { start: 0, span: tl.fullSpan };
export const scaleOf = (tl) => tl.plotWidth / viewOf(tl).span;

/** Where ms since Run falls on the plot, in px (bounded: SVG coordinates must stay finite and sane). */
export function toPx(tl, ms) {
  const x = (ms - viewOf(tl).start) * scaleOf(tl);
  return Math.min(Math.max(x, -1e5), 1e5);
}

export const pxOf = (tl) => (ms) => toPx(tl, ms);
