// What Run will send, said before Run: for each chosen stream, its messages and how long it
// takes with the parameters as they stand. The registry publishes each endpoint's message
// rule (app/endpoints.py MessageRule): `count` is users for nested JSON and items for ijson,
// and every transport sends a message then lets `interval` pass, so duration = messages × interval.

import { el, setText } from "./dom.js";
import { codingRefusal, culpritHolds, faultsFor } from "./registry.js";

function chosen(raw, fallback) {
  return raw === "" || raw === undefined ? fallback : Number(raw);
}

/** The parameters a stream runs with: the typed ones, else its own defaults. */
export function resolvedParams(spec, params) {
  return {
    count: chosen(params.count, spec.defaults.count),
    interval: chosen(params.interval, spec.defaults.interval),
    size: chosen(params.size, spec.defaults.size),
  };
}

/** Messages for `count` and `size` by the endpoint's published rule. */
export function messagesFor(rule, count, size) {
  return (size > 0 ? rule.per_padded_count : rule.per_count) * count + rule.fixed;
}

/** {count, interval, size, messages, duration_ms} of one stream; null for a stream the registry cannot foresee. */
export function planFor(spec, params) {
  if (!spec.plan) return null;
  const resolved = resolvedParams(spec, params);
  const messages = messagesFor(spec.plan, resolved.count, resolved.size);
  // Rounded to the microsecond: 16 × 0.1 s is 1600 ms, not 1600.0000000000002.
  return { ...resolved, messages, duration_ms: Math.round(messages * resolved.interval * 1e6) / 1e3 };
}

/** What is wrong when a chosen stream would outlast the server's cap on a stream's time, else null. */
export function durationProblem(specs, params, maxSeconds) {
  for (const spec of specs) {
    const plan = planFor(spec, params);
    if (!plan || plan.duration_ms <= maxSeconds * 1000) continue;
    return `messages × interval must stay within ${grouped(maxSeconds)} s: ${spec.label ?? spec.name} would send ` +
      `${grouped(plan.messages)} messages over ${formatDuration(plan.duration_ms)}`;
  }
  return null;
}

/** {name: plan} for a run's streams (the export's "parameters actually used"). */
export function resolvedFor(specs, params) {
  return Object.fromEntries(specs.filter((spec) => spec.plan).map((spec) => [spec.name, planFor(spec, params)]));
}

const grouped = (n) => n.toLocaleString("en-US");

export function formatDuration(ms) {
  const seconds = ms / 1000;
  if (seconds === 0) return "no pauses";
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const whole = Math.round(seconds);
  if (whole < 3600) return `${Math.floor(whole / 60)} min ${String(whole % 60).padStart(2, "0")} s`;
  return `${Math.floor(whole / 3600)} h ${String(Math.floor((whole % 3600) / 60)).padStart(2, "0")} min`;
}

/** `16 msgs · 8.0 s`. */
export function planFigures(plan) {
  const msgs = `${grouped(plan.messages)} ${plan.messages === 1 ? "msg" : "msgs"}`;
  return `${msgs} · ${formatDuration(plan.duration_ms)}`;
}

/** What `count` meant, when it is not simply messages: `count = 2 users`. */
function countNote(spec, plan) {
  const unit = spec.plan.unit;
  return unit === "messages" ? "" : `count = ${grouped(plan.count)} ${unit}`;
}

const seconds = (s) => `${grouped(s)} s`;
/** Characters past which a plan row's note goes under its figures. */
const LONG_NOTE = 24;

/** What an idle timeout will do to this stream, given the longest quiet it leaves (its interval). */
function idleNote(spec, plan, idle, heartbeat) {
  if (spec.transport === "buffered") {
    return plan.duration_ms > idle * 1000 ? `answered 504 after ${seconds(idle)}: nothing is sent before the whole body` : "";
  }
  if (culpritHolds(spec)) {
    return `${spec.via} holds what is sent: idle ${seconds(idle)} may cut it (a 504 while it holds the head)`;
  }
  const kept = heartbeat !== undefined && heartbeat < idle;
  if (plan.interval <= idle) return "";
  if (kept) return `pauses of ${seconds(plan.interval)} kept alive by a heartbeat every ${seconds(heartbeat)}`;
  return spec.transport === "sse" ? `cut after ${seconds(idle)} of quiet, resumes` : `cut after ${seconds(idle)} of quiet`;
}

/** What the chosen faults will do to this stream, said beside its plan ("" when nothing). */
function faultNote(spec, plan, faults, chosenFaults) {
  const { drop, idle, heartbeat } = faultsFor(spec, faults, chosenFaults);
  const notes = [];
  // EventSource reconnects after a cut and resumes, so SSE still gets every message.
  if (drop !== undefined && drop < plan.messages) {
    notes.push(spec.transport === "sse" ? `cut every ${grouped(drop)}, resumes` : `cut after ${grouped(drop)}`);
  }
  if (idle !== undefined) notes.push(idleNote(spec, plan, idle, heartbeat));
  else if (heartbeat !== undefined && heartbeat < plan.interval) notes.push(`a heartbeat after each ${seconds(heartbeat)} of quiet`);
  return notes.filter(Boolean).join("; ");
}

/**
 * The plan list: one row per chosen stream that the registry can foresee, or one line
 * saying why there is no plan (a value that Run would refuse).
 */
export function renderPlan(list, { specs, params, faults = [], chosenFaults = {}, refused = false }) {
  if (refused) {
    list.replaceChildren(el("li", "plan-refused", "Fix the marked values to see what Run will send."));
    return;
  }
  const rows = [];
  for (const spec of specs) {
    const plan = planFor(spec, params);
    if (!plan) continue;
    const item = el("li", `plan-row c${spec.index % 8}`);
    item.dataset.endpoint = spec.name;
    item.dataset.messages = String(plan.messages);
    item.dataset.durationMs = String(plan.duration_ms);
    const swatch = el("span", "swatch");
    swatch.setAttribute("aria-hidden", "true");
    item.append(swatch, el("span", "plan-name", spec.label), el("span", "plan-figures", planFigures(plan)));
    // Lanes are read from this page's host (or a loopback lane name, which a browser counts as secure).
    const refused = codingRefusal(spec, location.href) && `not readable here: ${codingRefusal(spec, location.href)}`;
    const note = [countNote(spec, plan), refused, faultNote(spec, plan, faults, chosenFaults)].filter(Boolean).join("; ");
    // A long note reads on its own line, under the figures, not squeezed beside them.
    if (note) item.append(el("span", note.length > LONG_NOTE ? "plan-note long" : "plan-note", note));
    rows.push(item);
  }
  if (!rows.length) rows.push(el("li", "plan-refused", "Choose at least one endpoint."));
  list.replaceChildren(...rows);
}

/** The plan's one-line sum, for the list's label: `8 streams, 63 msgs, the longest 8.5 s`. */
export function planSummary(list, node) {
  const rows = [...list.querySelectorAll(".plan-row")];
  if (!rows.length) return setText(node, "");
  const total = rows.reduce((sum, row) => sum + Number(row.dataset.messages), 0);
  const longest = Math.max(...rows.map((row) => Number(row.dataset.durationMs)));
  setText(node, `${rows.length} ${rows.length === 1 ? "stream" : "streams"}, ${grouped(total)} msgs, the longest ${formatDuration(longest)}`);
}
