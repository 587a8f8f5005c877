// Controls that tell the truth before Run and a calm status during it: values checked against
// the server's bounds on their fields, what each stream will send, results marked stale once
// the settings move on, a live region that speaks at a run's start and end only, Escape to
// stop, and the WebSocket column's send box.

import { setText } from "./dom.js";
import { durationProblem, planSummary, renderPlan, resolvedFor } from "./plan.js";
import { sendText } from "./run.js";
import { createStaleMarker } from "./stale.js";
import { numericBounds, problems } from "./validate.js";
import { createSendBox } from "./ws-send.js";

function plural(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}

function tally(run) {
  const counts = {};
  for (const record of run.records) counts[record.state] = (counts[record.state] ?? 0) + 1;
  return Object.entries(counts).map(([state, n]) => `${n} ${state}`).join(", ");
}

/**
 * `root` #app (data-params: the bounds), `form` #controls, `specs` every lane, `faults` the
 * registry's faults, `columns` Map name -> column view, `stop()` stops the running run.
 */
export function createControls({ root, form, specs, faults, columns, stop }) {
  const bounds = numericBounds(JSON.parse(root.dataset.params || "[]"));
  const maxSeconds = Number(root.dataset.maxDuration);
  const status = document.getElementById("status");
  const elapsed = document.getElementById("elapsed");
  const planList = document.getElementById("plan");
  const planSum = document.getElementById("plan-sum");
  const stale = createStaleMarker({ root, note: document.getElementById("stale-note"), columns });
  const sendBoxes = new Map();
  let lastRun = null;

  for (const [name, view] of columns) {
    const box = view.element.querySelector('[data-role="ws-send"]');
    if (!box) continue;
    sendBoxes.set(name, createSendBox(box, (text) => {
      const index = lastRun?.records.findIndex((record) => record.spec.name === name) ?? -1;
      return index >= 0 && sendText(lastRun, index, text);
    }));
    sendBoxes.get(name).reset();
  }

  /** Marks every checked field: aria-invalid and its message naming the bound. */
  function check(state) {
    const values = { ...state.params, ...state.faults };
    const found = problems(values, bounds);
    // The server caps a stream's time by its messages (several per user for nested JSON), not by count.
    const overlong = found.length ? null : durationProblem(chosenSpecs(state), state.params, maxSeconds);
    if (overlong) found.push({ name: "interval", message: overlong });
    const wrong = new Map(found.map(({ name, message }) => [name, message]));
    for (const name of Object.keys(values)) {
      const input = form.elements[name];
      const message = document.getElementById(`${name}-problem`);
      if (!input || !bounds.has(name)) continue;
      if (wrong.has(name)) input.setAttribute("aria-invalid", "true");
      else input.removeAttribute("aria-invalid");
      if (message) {
        message.hidden = !wrong.has(name);
        setText(message, wrong.get(name) ?? "");
      }
    }
    root.dataset.invalid = String(found.length > 0);
    return found;
  }

  function chosenSpecs(state) {
    return specs.filter((spec) => state.enabled.has(spec.name));
  }

  /** A fault set while no chosen stream takes it is sent to none: said beside it, not left silent. */
  function sayUnused(state) {
    const chosen = chosenSpecs(state);
    for (const fault of faults) {
      const note = document.getElementById(`${fault.name}-unused`);
      if (!note) continue;
      const unused = state.faults[fault.name] !== "" && chosen.length > 0 &&
        !chosen.some((spec) => fault.applies_to.includes(spec.endpoint));
      note.hidden = !unused;
      setText(note, unused ? `No chosen stream takes ${fault.name} (only ${fault.applies_to.join(", ")}): Run sends it to none.` : "");
    }
  }

  document.addEventListener("keydown", (event) => {
    // A tooltip or dialog that closes on Escape prevents the default: then it was theirs.
    if (event.key !== "Escape" || event.defaultPrevented || event.repeat) return;
    if (stop()) event.preventDefault();
  });

  return {
    /** The controls changed (or the page opened): marks, plan, and staleness of the last run. */
    changed(state, run) {
      const found = check(state);
      sayUnused(state);
      renderPlan(planList, {
        specs: chosenSpecs(state), params: state.params, faults, chosenFaults: state.faults, refused: found.length > 0,
      });
      planSummary(planList, planSum);
      stale.update(run, state);
    },

    /** False (and nothing requested) when a value breaks its bound: the fields say which, focus goes to the first. */
    allowRun(state) {
      const found = check(state);
      if (!found.length) return true;
      const first = form.elements[found[0].name];
      first.closest("details")?.setAttribute("open", "");
      first.focus();
      const more = found.length > 1 ? ` (and ${plural(found.length - 1, "more value", "more values")})` : "";
      setText(status, `Not run: ${found[0].message}${more}.`);
      return false;
    },

    /** A run has begun: what it resolved to, its settings (for staleness), fresh send boxes. */
    runStarted(run, state) {
      lastRun = run;
      run.resolved = resolvedFor(run.records.map((record) => record.spec), state.params);
      run.settings = { params: { ...state.params }, faults: { ...state.faults }, lanes: state.lanes };
      stale.clear();
      for (const [name, box] of sendBoxes) box.reset(run.records.find((record) => record.spec.name === name) ?? null);
      setText(status, `Running ${plural(run.records.length, "stream", "streams")}; Stop or Esc ends them.`);
    },

    /** Every frame: the elapsed time ticks (not live); the status changes once, at the end. */
    render(run, running, nowMs) {
      elapsed.hidden = !running;
      setText(elapsed, `${(nowMs / 1000).toFixed(1)} s`);
      if (!running) {
        const verb = run.stopped ? "Stopped at" : "Finished in";
        setText(status, `${verb} ${(nowMs / 1000).toFixed(2)} s: ${tally(run)}.`);
      }
      for (const [name, box] of sendBoxes) {
        const record = run.records.find((each) => each.spec.name === name);
        if (record) box.render(record, run.resolved?.[name]?.messages ?? null);
      }
    },
  };
}
