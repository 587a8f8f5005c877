// Why a lane arrived as it did, on its column, in the terms of `transport-lab diagnose`: the
// verdict by its rules (verdict.js) on the reads this browser made, and the causes by its
// rules (causes.js) on the head and the reads. A lane read without fetch (EventSource,
// WebSocket) shows the browser no head: there, a culprit lane names the lab's culprit, as
// diagnose names it on the lab's bench (tests/client/test_lab_diagnosis.py).

import { el } from "./dom.js";
import { SETTLED } from "./run.js";
import { findingItem, findingsOf, HELD, judgeable, verdictOf } from "./yours.js";

/** The lab's culprit as diagnose names it, for a lane whose head the browser cannot read. */
function labCause(culprit) {
  const id = culprit?.diagnosed?.cause;
  if (!id) return [];
  return [{ id, evidence: `the lab's culprit, ${culprit.label}: ${culprit.cause}`, fix: culprit.fix, lab: true }];
}

/** What changes a settled lane's why: nothing more comes once it has ended. */
const settledKey = (record) => (SETTLED.has(record.state) ? `${record.state}:${record.endT}:${record.messages.length}` : "");

/**
 * `{ verdict, reason, causes }` of a settled lane that was held or came in bursts, else null
 * (a fetch lane's verdict and findings are worked out once, in yours.js).
 */
export function whyOf(record) {
  if (!settledKey(record)) return null;
  if (!judgeable(record) || record.status >= 400) return null;
  const judged = verdictOf(record);
  // A fetch-read lane has a head to read its causes from; EventSource and WebSocket show none.
  const causes = record.head ? findingsOf(record).causes : [];
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
