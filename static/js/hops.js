// The same stream read at several places at the same instant (origin, proxy, CDN): the first
// hop where it changes shape, and what likely changed it, in the words of
// `transport-lab diagnose NAME=URL NAME=URL …` (app/client/diagnose/hops.py).

import { el, setText } from "./dom.js";
import { formatMs } from "./stats.js";
import { findingsOf, judgeable, shellWord, verdictOf } from "./yours.js";

const SETTLED = new Set(["done", "error", "aborted"]);

const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** A hop as the comparison takes it: its verdict, its shape and its first cause; null while it is read. */
export function hopOf(record) {
  const { hop: name } = record.spec;
  const arrivals = record.arrivals.length;
  if (record.status >= 400) return { name, verdict: "error", shape: `error, ${plural(arrivals, "arrival")}`, likely: null };
  if (judgeable(record)) {
    const { verdict } = verdictOf(record);
    return { name, verdict, shape: `${verdict}, ${plural(arrivals, "arrival")}`, likely: findingsOf(record).causes[0] ?? null };
  }
  if (!SETTLED.has(record.state)) return null;
  return { name, verdict: "failed", shape: `failed (${record.error?.message ?? record.state})`, likely: null };
}

/** The hop before the first change of verdict, and the hop where it shows; both null when none changes it. */
export function compareHops(hops) {
  for (let i = 1; i < hops.length; i++) {
    if (hops[i].verdict !== hops[i - 1].verdict) return { before: hops[i - 1], changed: hops[i] };
  }
  return { before: null, changed: null };
}

/** The comparison in one line, as the terminal prints it. */
export function comparisonLine(hops) {
  const { before, changed } = compareHops(hops);
  if (!changed) {
    const verdicts = [...new Set(hops.map((hop) => hop.verdict))].sort();
    return `every hop ${verdicts.join(", ")}: no hop changes the stream's shape`;
  }
  const said = `${before.name}: ${before.shape}; ${changed.name}: ${changed.shape}: ` +
    `the stream changes shape between ${before.name} and ${changed.name}`;
  return said + (changed.likely ? ` — likely ${changed.likely.id}; fix: ${changed.likely.fix}` : "");
}

/** First message and largest gap, ms since Run, as the hop's column shows them. */
function figures(record) {
  const first = record.messages[0]?.t;
  const gap = record.arrivals.length ? ` · largest gap ${formatMs(record.largestGap)}` : "";
  return first === undefined ? gap.slice(3) : `first message ${formatMs(first)}${gap}`;
}

/** The hops box under the timeline: a line per hop, then the comparison and the command that makes it. */
export function createHops(section) {
  const list = section.querySelector('[data-role="hops-list"]');
  const line = section.querySelector('[data-role="hops-line"]');
  let drawn = "";
  return {
    render(records) {
      const hops = records.map(hopOf);
      const done = hops.every(Boolean);
      const command = `transport-lab diagnose ${records.map((r) => shellWord(`${r.spec.hop}=${r.url}`)).join(" ")}`;
      const rows = records.map((record, i) => [record.spec.hop, hops[i]?.shape ?? "reading…", figures(record)]);
      const said = done ? comparisonLine(hops) : "Reading every hop…";
      const key = JSON.stringify([rows, said]);
      if (key === drawn) return;
      drawn = key;
      section.hidden = false;
      list.replaceChildren(...rows.map(([name, shape, more]) => {
        const item = el("li");
        item.append(el("strong", "", name), `: ${shape}`, ...(more ? [el("span", "hint", ` · ${more}`)] : []));
        return item;
      }));
      const { before, changed } = done ? compareHops(hops) : { before: null, changed: null };
      section.dataset.changedAt = changed?.name ?? "";
      section.dataset.after = before?.name ?? "";
      section.dataset.likely = changed?.likely?.id ?? "";
      section.dataset.settled = String(done);
      setText(line, said);
      setText(section.querySelector('[data-role="hops-command"]'), command);
    },
  };
}

/** The comparison in an export, as `diagnose --json` gives it for several URLs; null while a hop is read. */
export function comparisonDocument(records) {
  const hops = records.map(hopOf);
  if (!hops.every(Boolean)) return null;
  const { before, changed } = compareHops(hops);
  return {
    changed_at: changed?.name ?? null, after: before?.name ?? null,
    verdicts: Object.fromEntries(hops.map((hop) => [hop.name, hop.verdict])),
    likely: changed?.likely ?? null, summary: comparisonLine(hops),
  };
}
