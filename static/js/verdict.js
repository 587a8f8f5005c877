// Whether a stream's content arrived spread over its life, all at the end, or in blocks.
// The same rules as the terminal's `transport-lab diagnose` (app/client/diagnose/verdict.py); both
// are held to tests/verdict_cases.json. Pure: arrivals in, a verdict and its figures out.
// Times are ms from the request's sending; lifeMs is when reading ended.

export const MIN_LIFE_MS = 300;
export const MIN_END_WINDOW_MS = 100;
export const END_WINDOW_SHARE = 0.1;
export const BUFFERED_SHARE = 0.9;
export const BURST_GAP_SHARE = 0.2;
export const MESSAGES_PER_BLOCK = 4;
export const MIN_MESSAGES_FOR_BLOCKS = 8;
export const MIN_BLOCK_BYTES = 1024;
export const VERDICTS = ["progressive", "buffered", "bursty", "inconclusive"];

/** Rounded as Python's format() rounds (ties to even), so a reason reads the same in both. */
export function roundHalfEven(value) {
  const floor = Math.floor(value);
  if (value - floor !== 0.5) return Math.round(value);
  return floor % 2 === 0 ? floor : floor + 1;
}

const percent = (share) => `${roundHalfEven(share * 100)}%`;
const ms = (value) => `${roundHalfEven(value)} ms`;
/** Python's round(value, digits), near enough for figures shown and exported. */
const rounded = (value, digits) => Math.round(value * 10 ** digits) / 10 ** digits;

export function endWindowMs(lifeMs) {
  return Math.max(END_WINDOW_SHARE * lifeMs, MIN_END_WINDOW_MS);
}

/** The longest silence from the request's sending through the content's arrivals. */
export function largestGapMs(times) {
  const points = [0, ...[...times].sort((a, b) => a - b)];
  let gap = 0;
  for (let i = 1; i < points.length; i++) gap = Math.max(gap, points[i] - points[i - 1]);
  return gap;
}

const isBufferSize = (size) => size >= MIN_BLOCK_BYTES && (size & (size - 1)) === 0;

/** Arrivals far larger than the messages: several messages each, or a buffer's size repeated. */
export function isBlocky(content, messagesKnown) {
  const messages = content.reduce((sum, arrival) => sum + arrival.messages, 0);
  if (messagesKnown && messages >= MIN_MESSAGES_FOR_BLOCKS && messages >= MESSAGES_PER_BLOCK * content.length) {
    return true;
  }
  const sizes = new Map();
  for (const { decodedBytes } of content) {
    if (isBufferSize(decodedBytes)) sizes.set(decodedBytes, (sizes.get(decodedBytes) ?? 0) + 1);
  }
  return [...sizes.values()].some((times) => times >= 2);
}

/** arrivals: [{tMs, decodedBytes, messages}]. */
export function judge(arrivals, lifeMs, messagesKnown = false) {
  const content = arrivals.filter((arrival) => arrival.decodedBytes > 0);
  const total = content.reduce((sum, arrival) => sum + arrival.decodedBytes, 0);
  const window = endWindowMs(lifeMs);
  const atEnd = content.filter((a) => a.tMs >= lifeMs - window).reduce((sum, a) => sum + a.decodedBytes, 0);
  const share = total ? atEnd / total : 0;
  const gap = largestGapMs(content.map((arrival) => arrival.tMs));
  const verdict = (kind, reason) => ({
    verdict: kind, reason, endShare: rounded(share, 4), largestGapMs: rounded(gap, 3), contentArrivals: content.length,
  });
  if (!total) return verdict("inconclusive", "no content arrived, so there is nothing to judge");
  if (lifeMs < MIN_LIFE_MS) {
    return verdict("inconclusive", `it was over in ${ms(lifeMs)}, too quick to tell streaming from buffering ` +
      `(ask for a stream that lasts at least ${ms(MIN_LIFE_MS)})`);
  }
  if (share >= BUFFERED_SHARE) {
    return verdict("buffered", `${percent(share)} of the content arrived in the last ${ms(window)} of ` +
      `${ms(lifeMs)}: it was held and delivered at the end`);
  }
  if (content.length >= 2 && gap >= BURST_GAP_SHARE * lifeMs && isBlocky(content, messagesKnown)) {
    return verdict("bursty", `the content came in ${content.length} blocks far larger than its messages, with ` +
      `silences of up to ${ms(gap)}: a buffer somewhere in between let it go a block at a time`);
  }
  return verdict("progressive", `the content arrived in ${content.length} pieces spread over ${ms(lifeMs)} ` +
    `(only ${percent(share)} in the last ${ms(window)})`);
}
