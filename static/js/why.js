// Why a lane arrived as it did, on its column, in the terms of `transport-lab diagnose`: the
// verdict by its rules (verdict.js) on the reads this browser made, and the causes by its
// rules (causes.js) on the head and the reads. A lane read without fetch (EventSource,
// WebSocket) shows the browser no head: there, a culprit lane names the lab's culprit, as
// diagnose names it on the lab's bench (tests/client/test_lab_diagnosis.py).

import { el } from "./dom.js";
import { judge } from "./verdict.js";
import { findingItem, findingsOf, judgeable, verdictOf } from "./yours.js";

const SETTLED = new Set(["done", "error", "aborted"]);
const HELD = new Set(["buffered", "bursty"]);

/** A lane read without fetch, its messages as reads: those that arrived at the same moment, together. */
function messageReads(record) {
  const reads = [];
  for (const { t, payload } of record.messages) {
    const last = reads.at(-1);
    if (last && last.tMs === t) {
      last.decodedBytes += payload;
      last.messages += 1;
    } else {
      reads.push({ tMs: t, decodedBytes: payload, messages: 1 });
    }
  }
  return reads;
}

/** The lab's culprit as diagnose names it, for a lane whose head the browser cannot read. */
function labCause(culprit) {
  const id = culprit?.diagnosed?.cause;
  if (!id) return [];
  return [{ id, evidence: `the lab's culprit, ${culprit.label}: ${culprit.cause}`, fix: culprit.fix, lab: true }];
}

const worked = new WeakMap();
/** A settled lane changes no more: its why is worked out once (the rules read every read). */
const settledKey = (record) => (SETTLED.has(record.state) ? `${record.state}:${record.endT}:${record.messages.length}` : "");

/** `{ verdict, reason, causes }` of a settled lane that was held or came in bursts, else null. */
export function whyOf(record) {
  const key = settledKey(record);
  if (!key) return null;
  const kept = worked.get(record);
  if (kept?.key === key) return kept.why;
  const why = work(record);
  worked.set(record, { key, why });
  return why;
}

function work(record) {
  let judged, causes;
  if (record.arrivals) {
    if (!judgeable(record) || record.status >= 400) return null;
    judged = verdictOf(record);
    causes = findingsOf(record).causes;
  } else {
    if (!record.messages.length || record.endT === null) return null;
    judged = judge(messageReads(record), record.endT, true);
    causes = [];
  }
  if (!HELD.has(judged.verdict)) return null;
  return { verdict: judged.verdict, reason: judged.reason, causes: causes.length ? causes : labCause(record.spec.culprit) };
}

const drawn = new WeakMap();

/** The lane's verdict with its causes (evidence and fix), or nothing while it streams or when it streamed. */
export function renderWhy(article, record) {
  const box = article.querySelector('[data-role="why"]');
  if (!box) return;
  // Judged once it has settled: the rules run over every read, so never per frame while it runs.
  const key = settledKey(record);
  if (drawn.get(box) === key) return;
  drawn.set(box, key);
  const why = key ? whyOf(record) : null;
  box.hidden = !why;
  if (!why) return box.replaceChildren();
  box.dataset.verdict = why.verdict;
  const verdict = el("p", "why-verdict");
  verdict.append(el("strong", "", `Verdict: ${why.verdict}`), ` — ${why.reason}.`);
  const parts = [verdict];
  if (why.causes.length) {
    const list = el("ul", "findings");
    list.dataset.role = "why-causes";
    // Under the column's h3: each cause's title is an h4.
    list.append(...why.causes.map((cause) => findingItem(cause, null, "h4")));
    parts.push(list);
  } else {
    parts.push(el("p", "causes-none", "No cause this browser can name from what it saw."));
  }
  box.replaceChildren(...parts);
}
