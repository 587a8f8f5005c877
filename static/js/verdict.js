// Whether a stream's content arrived spread over its life, all at the end, or in blocks.
// The same rules as the terminal's `transport-lab diagnose` (app/client/diagnose/verdict.py), in the
// same words; both are held to tests/verdict_cases.json. Pure: arrivals in, a verdict and its figures out.
// Times are ms from the request's sending; lifeMs is when reading ended.
// Blocks are told by the stream's structure, however long it is: each carries many messages (or a
// buffer's size of bytes) produced during the silence before it. Figures are medians weighted by what
// each block carries, so a few coalesced reads or a jittered silence do not move them.

export const MIN_LIFE_MS = 300;
export const MIN_END_WINDOW_MS = 100;
export const END_WINDOW_SHARE = 0.1;
export const BUFFERED_SHARE = 0.9;
export const BLOCK_JOIN_MS = 5;
export const MESSAGES_PER_BLOCK = 8;
export const MESSAGES_PER_BUFFER = 3;
export const MIN_BLOCK_BYTES = 4096;
export const NEAR = 8;
export const MIN_SILENCE_MS = 200;
export const SILENCE_CADENCES = 2;
/** What judge() can say of a timeline. */
export const JUDGED = ["progressive", "buffered", "bursty", "inconclusive"];
/** Every verdict the terminal gives: judge()'s, an error status, a ws:// answered without 101. */
export const VERDICTS = [...JUDGED, "error", "not-upgraded"];

/** Rounded as Python's format() rounds (ties to even), so a reason reads the same in both. */
export function roundHalfEven(value) {
  const floor = Math.floor(value);
  if (value - floor !== 0.5) return Math.round(value);
  return floor % 2 === 0 ? floor : floor + 1;
}

const percent = (share) => `${roundHalfEven(share * 100)}%`;
const ms = (value) => `${roundHalfEven(value)} ms`;
const duration = (value) => (roundHalfEven(value) === 0 ? "under 1 ms" : ms(value));
/** Python's round(value, digits), near enough for figures shown and exported. */
const rounded = (value, digits) => Math.round(value * 10 ** digits) / 10 ** digits;
const sum = (items, of) => items.reduce((total, item) => total + of(item), 0);

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

/** Content arrivals in time order, a read within BLOCK_JOIN_MS of a block's first joined to it. */
export function blocksOf(content) {
  const blocks = [];
  for (const { tMs, decodedBytes, messages } of content) {
    const last = blocks.at(-1);
    if (last && tMs - last.tMs < BLOCK_JOIN_MS) {
      Object.assign(last, { endMs: tMs, decodedBytes: last.decodedBytes + decodedBytes, messages: last.messages + messages });
    } else {
      blocks.push({ tMs, endMs: tMs, decodedBytes, messages });
    }
  }
  return blocks;
}

/** The value below which (inclusive) half the weight lies; null with no weight. */
export function weightedMedian(pairs) {
  const total = sum(pairs, ([, weight]) => weight);
  let seen = 0;
  for (const [value, weight] of [...pairs].sort((a, b) => a[0] - b[0])) {
    seen += weight;
    if (total && 2 * seen >= total) return value;
  }
  return null;
}

const isNear = (size, buffer) => Math.abs(size - buffer) * NEAR <= buffer;

function isPowerOfTwo(size) {
  let power = 1;
  while (power < size) power *= 2;
  return power === size;
}

/** A size of at least MIN_BLOCK_BYTES that two blocks have exactly (a power of two unless messages
 * are counted), with the blocks at or near it carrying half the bytes or more; the one carrying most, else 0. */
export function bufferSize(blocks, counted) {
  const total = sum(blocks, (b) => b.decodedBytes);
  const repeated = new Map();
  for (const { decodedBytes } of blocks) repeated.set(decodedBytes, (repeated.get(decodedBytes) ?? 0) + 1);
  let best = 0, carried = 0;
  for (const size of [...repeated.keys()].sort((a, b) => a - b)) {
    if (repeated.get(size) < 2 || size < MIN_BLOCK_BYTES || !(counted || isPowerOfTwo(size))) continue;
    const near = sum(blocks.filter((b) => isNear(b.decodedBytes, size)), (b) => b.decodedBytes);
    if (2 * near >= total && near > carried) [best, carried] = [size, near];
  }
  return best;
}

/** How the content came: blocks, the typical block's bytes and messages, silences, the cadence. */
export function structure(content, counted) {
  const blocks = blocksOf(content);
  if (!blocks.length) {
    return { blocks: 0, blockBytes: 0, bufferBytes: 0, bufferBlocks: 0, messagesPerBlock: 0, silenceMs: 0,
      longestSilenceMs: 0, cadenceMs: 0 };
  }
  const carried = blocks.slice(1).map((b, i) => [b.tMs - blocks[i].endMs, counted ? b.messages : b.decodedBytes]);
  const buffer = bufferSize(blocks, counted);
  const later = sum(blocks.slice(1), (b) => b.messages);
  return {
    blocks: blocks.length,
    blockBytes: weightedMedian(blocks.map((b) => [b.decodedBytes, b.decodedBytes])) ?? 0,
    bufferBytes: buffer,
    bufferBlocks: blocks.filter((b) => buffer && isNear(b.decodedBytes, buffer)).length,
    messagesPerBlock: counted ? weightedMedian(blocks.map((b) => [b.messages, b.messages])) ?? 0 : 0,
    silenceMs: weightedMedian(carried) ?? 0,
    longestSilenceMs: carried.reduce((longest, [silence]) => Math.max(longest, silence), 0),
    cadenceMs: counted && later ? (blocks.at(-1).endMs - blocks[0].endMs) / later : 0,
  };
}

/** Blocks far larger than the messages, each after a silence its messages waited through. */
export function isBursty(shape, counted) {
  if (shape.blocks < 2 || shape.silenceMs < MIN_SILENCE_MS) return false;
  if (!counted) return shape.bufferBytes > 0;
  const perBlock = shape.messagesPerBlock;
  const large = perBlock >= MESSAGES_PER_BLOCK || (shape.bufferBytes > 0 && perBlock >= MESSAGES_PER_BUFFER);
  return large && shape.cadenceMs > 0 && shape.silenceMs >= SILENCE_CADENCES * shape.cadenceMs;
}

function burstyReason(shape, counted) {
  const buffer = `${shape.bufferBlocks} of them at or near ${shape.bufferBytes} B, a buffer's size`;
  let sizes = buffer;
  if (counted) {
    sizes = shape.bufferBytes ? `typically ${shape.messagesPerBlock} messages each; ${buffer}`
      : `typically ${shape.messagesPerBlock} messages, ${shape.blockBytes} B each`;
  }
  const cadence = counted
    ? `, ${roundHalfEven(shape.silenceMs / shape.cadenceMs)} times the message cadence of ${duration(shape.cadenceMs)}` : "";
  return `the content came in ${shape.blocks} blocks (${sizes}) with silences of typically ` +
    `${ms(shape.silenceMs)} before them (up to ${ms(shape.longestSilenceMs)})${cadence}: ` +
    "a buffer somewhere in between let it go a block at a time";
}

const pieces = (count, lifeMs) =>
  `the content arrived in ${count} piece${count === 1 ? "" : "s"} spread over ${ms(lifeMs)}`;

const contentOf = (arrivals) => arrivals.filter((a) => a.decodedBytes > 0).sort((a, b) => a.tMs - b.tMs);
const counting = (content, messagesKnown) => messagesKnown && sum(content, (a) => a.messages) > 0;

/** The figures the bursty rule weighs, for a page that shows its evidence. */
export function structureOf(arrivals, messagesKnown = false) {
  const content = contentOf(arrivals);
  return structure(content, counting(content, messagesKnown));
}

/** arrivals: [{tMs, decodedBytes, messages}]. */
export function judge(arrivals, lifeMs, messagesKnown = false) {
  const content = contentOf(arrivals);
  const total = sum(content, (a) => a.decodedBytes);
  const window = endWindowMs(lifeMs);
  const late = content.filter((a) => a.tMs >= lifeMs - window);
  const share = total ? sum(late, (a) => a.decodedBytes) / total : 0;
  const messages = sum(content, (a) => a.messages);
  const counted = counting(content, messagesKnown);
  const atEnd = sum(late, (a) => a.messages);
  const shape = structure(content, counted);
  const gap = largestGapMs(content.map((arrival) => arrival.tMs));
  const verdict = (kind, reason) => ({
    verdict: kind, reason, endShare: rounded(share, 4), largestGapMs: rounded(gap, 3), contentArrivals: content.length,
  });
  if (!total) return verdict("inconclusive", "no content arrived, so there is nothing to judge");
  if (lifeMs < MIN_LIFE_MS) {
    return verdict("inconclusive", `it was over in ${ms(lifeMs)}, too quick to tell streaming from buffering ` +
      `(ask for a stream that lasts at least ${ms(MIN_LIFE_MS)})`);
  }
  const heldMessages = !counted || atEnd / messages >= BUFFERED_SHARE;
  const counts = counted ? ` (${atEnd} of ${messages} messages)` : "";
  if (share >= BUFFERED_SHARE && heldMessages) {
    return verdict("buffered", `${percent(share)} of the content${counts} arrived in the last ${ms(window)} of ` +
      `${ms(lifeMs)}: it was held and delivered at the end`);
  }
  if (counted && atEnd / messages >= BUFFERED_SHARE) {
    // The early bytes carried no message (`:` comments, keep-alives): the messages were held.
    return verdict("buffered", `${atEnd} of its ${messages} messages arrived in the last ${ms(window)} of ` +
      `${ms(lifeMs)} (only ${percent(share)} of its bytes: what came before carried no message, such as ` +
      "comments or keep-alives): it was held and delivered at the end");
  }
  if (isBursty(shape, counted)) return verdict("bursty", burstyReason(shape, counted));
  if (share >= BUFFERED_SHARE) {
    return verdict("progressive", `${pieces(content.length, lifeMs)}: ${percent(share)} of its bytes came in the ` +
      `last ${ms(window)}, but only ${atEnd} of its ${messages} messages (a large message, not content held back)`);
  }
  const ofIt = counted ? ` of it, ${atEnd} of ${messages} messages,` : "";
  return verdict("progressive", `${pieces(content.length, lifeMs)} (only ${percent(share)}${ofIt} in the last ${ms(window)})`);
}
