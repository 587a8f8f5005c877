// Results that no longer match the controls are said to be stale: once the settings change
// after a run, the page (and the URL) describe settings the results were not measured with.
// A column switched on after the run says it was not part of it, instead of sitting "idle".

import { setText } from "./dom.js";

const NOT_IN_RUN = "not-run";

/** The settings a run's results depend on (hiding a column changes none of them). */
function settings(params, faults, lanes) {
  return JSON.stringify({ params, faults, lanes });
}

/**
 * `root`: #app (gets data-stale); `note`: the visible note near the results;
 * `columns`: Map name -> column view.
 */
export function createStaleMarker({ root, note, columns }) {
  let marked = new Set();

  function markColumn(view) {
    const article = view.element;
    article.dataset.state = NOT_IN_RUN;
    setText(article.querySelector('[data-role="state"]'), "not in this run");
    const notice = article.querySelector('[data-role="notice"]');
    if (notice) {
      notice.hidden = false;
      setText(notice, "Switched on after this run: Run to include it.");
    }
  }

  function unmarkColumn(view) {
    const article = view.element;
    if (article.dataset.state !== NOT_IN_RUN) return;
    article.dataset.state = "idle";
    setText(article.querySelector('[data-role="state"]'), "idle");
    const notice = article.querySelector('[data-role="notice"]');
    if (notice) notice.hidden = true;
  }

  return {
    /** `run`: the last run (or null); `state`: the controls as they are now. */
    update(run, state) {
      if (!run) return;
      const inRun = new Set(run.records.map((record) => record.spec.name));
      const fresh = new Set([...state.enabled].filter((name) => !inRun.has(name) && columns.has(name)));
      for (const name of marked) if (!fresh.has(name)) unmarkColumn(columns.get(name));
      for (const name of fresh) markColumn(columns.get(name));
      marked = fresh;
      const changed = settings(run.settings.params, run.settings.faults, run.settings.lanes) !==
        settings(state.params, state.faults, state.lanes);
      const stale = changed || fresh.size > 0;
      root.dataset.stale = String(stale);
      note.hidden = !stale;
    },
    /** A new run: its results match the controls, and every shown column is in it. */
    clear() {
      for (const name of marked) unmarkColumn(columns.get(name));
      marked = new Set();
      root.dataset.stale = "false";
      note.hidden = true;
    },
  };
}
