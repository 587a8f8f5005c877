// The "Runs" panel: the last runs this browser kept (history-store.js), an exported run
// loaded back among them, and any two of them, A and B, put side by side stream by stream
// or overlaid: A's lanes on the timeline with B's marks as ghosts. DOM writes only as text.

import { el, setText } from "./dom.js";
import { MAX_RUNS, openStore } from "./history-store.js";
import { entryFromDocument, entryFromRun, entryProblem, MAX_KEPT_MESSAGES, recordsFromEntry, SAMPLE_PER_STREAM } from "./run-entry.js";
import { formatBytes, formatCount, formatMs } from "./stats.js";

/** What the comparison shows of each stream's summary (the export's own figures); `time`: ms. */
const FIELDS = [
  ["first", (s) => s.first_ms, formatMs, "time"],
  ["last", (s) => s.last_ms, formatMs, "time"],
  ["count", (s) => s.message_count, formatCount],
  ["wire", (s) => s.wire_bytes, (n) => (n === null ? "–" : formatBytes(n))],
  ["outcome", (s) => s.outcome, String],
];
/**
 * Two runs' times differ, for the table's bold, by at least this much and this share of the
 * larger: a stream's times move by a few ms from run to run (scheduling, the network), and
 * bolding that would hide the one difference that matters. Counts, bytes, outcomes: any.
 */
export const TIME_DIFFERS_MS = 10;
export const TIME_DIFFERS_SHARE = 0.1;

/** Whether B's `b` differs from A's `a` enough to be shown in bold. */
export function differs(kind, a, b) {
  if (kind !== "time" || typeof a !== "number" || typeof b !== "number") return (a ?? null) !== (b ?? null);
  const apart = Math.abs(a - b);
  return apart >= TIME_DIFFERS_MS && apart >= TIME_DIFFERS_SHARE * Math.max(Math.abs(a), Math.abs(b));
}

const when = (entry) => new Date(entry.startedAt).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
const runName = (entry) => `${when(entry)}${entry.fileName ? ` (${entry.fileName})` : ""}`;

function typedText(typed) {
  const set = Object.entries(typed ?? {}).filter(([, value]) => value !== "" && value !== null && value !== undefined);
  return set.length ? set.map(([name, value]) => `${name} ${value}`).join(", ") : "each stream's defaults";
}

function keptText(entry) {
  if (entry.whole) return `every message (${formatCount(entry.total)})`;
  return `summary + ${SAMPLE_PER_STREAM} message times per stream, of ${formatCount(entry.total)} messages`;
}

function radio(group, entry, checked) {
  const input = el("input");
  Object.assign(input, { type: "radio", name: `runs-${group}`, value: entry.id, checked });
  input.setAttribute("aria-label", `${group.toUpperCase()}: run of ${runName(entry)}`);
  return input;
}

function listRow(entry, chosen) {
  const row = el("tr");
  row.dataset.runId = entry.id;
  row.dataset.source = entry.source;
  const cell = (className, text) => row.append(el("td", className, text));
  const holding = (className, ...children) => {
    const td = el("td", className);
    td.append(...children);
    row.append(td);
  };
  for (const group of ["a", "b"]) holding("pick", radio(group, entry, chosen[group] === entry.id));
  const time = el("time", "", when(entry));
  time.dateTime = entry.startedAt;
  holding("when", time, ...(entry.fileName ? [el("span", "file", ` from ${entry.fileName}`)] : []));
  cell("endpoints", entry.streams.map((stream) => stream.name).join(", "));
  cell("params", typedText(entry.typed));
  cell("num", `${formatMs(entry.durationMs)}${entry.stoppedMs === null ? "" : " (stopped)"}`);
  cell(entry.whole ? "kept" : "kept sampled", keptText(entry));
  return row;
}

function compareRow(name, a, b) {
  const row = el("tr");
  row.dataset.endpoint = name;
  const head = el("th", "", (a ?? b).label);
  head.scope = "row";
  row.append(head);
  for (const [field, value, format, kind] of FIELDS) {
    const values = [a, b].map((stream) => (stream ? value(stream.summary) : undefined));
    const shown = values.map((v, i) => ([a, b][i] ? format(v) : "–"));
    const apart = !a || !b ? a !== b : differs(kind, values[0], values[1]);
    ["a", "b"].forEach((run, i) => {
      const td = el("td", field === "outcome" ? "outcome" : "num", shown[i]);
      Object.assign(td.dataset, { run, field });
      if (i === 1 && apart) td.classList.add("differs");
      row.append(td);
    });
  }
  return row;
}

export function createRunHistory({ timeline, showCurrent }) {
  const $ = (id) => document.getElementById(id);
  const ui = {
    table: $("runs-table"), rows: $("runs-rows"), empty: $("runs-empty"), file: $("runs-file"), overlay: $("runs-overlay"),
    back: $("runs-back"), forget: $("runs-forget"), status: $("runs-status"), compare: $("runs-compare"),
    compareRows: $("runs-compare-rows"), compareWhich: $("runs-compare-which"),
  };
  let entries = [];
  /** What of the kept runs cannot be shown (stored by an older page, or damaged): skipped, said. */
  let skipped = [];
  const chosen = { a: null, b: null };
  let running = false;
  let overlaid = false;
  const canOverlay = () => typeof timeline.setOverlay === "function";
  const byId = (id) => entries.find((entry) => entry.id === id) ?? null;
  const say = (text) => setText(ui.status, text);

  function choose(a, b) {
    chosen.a = byId(a)?.id ?? entries[0]?.id ?? null;
    chosen.b = byId(b) && b !== chosen.a ? b : (entries.find((entry) => entry.id !== chosen.a)?.id ?? null);
  }

  /** The kept runs that can be shown; the others are skipped with a note, never breaking the list. */
  function showable(list) {
    skipped = [];
    const good = list.filter((entry) => {
      const problem = entryProblem(entry);
      if (problem) skipped.push(problem);
      return !problem;
    });
    for (const problem of skipped) console.warn(`Transport Lab: a kept run is skipped: ${problem}`);
    return good;
  }

  const skippedNote = () =>
    skipped.length
      ? ` ${skipped.length === 1 ? "One kept run" : `${skipped.length} kept runs`} could not be shown ` +
        `(kept by an older version of this page, or damaged: ${skipped[0]}) and ${skipped.length === 1 ? "is" : "are"} skipped.`
      : "";

  function render() {
    ui.table.hidden = !entries.length;
    ui.empty.hidden = entries.length > 0;
    ui.forget.disabled = !entries.length;
    ui.rows.replaceChildren(...entries.map((entry) => listRow(entry, chosen)));
    renderCompare();
  }

  function renderCompare() {
    const [a, b] = [byId(chosen.a), byId(chosen.b)];
    ui.compare.hidden = !(a && b);
    ui.overlay.disabled = !(a && b) || running || !canOverlay();
    ui.overlay.title = canOverlay() ? "" : "This timeline cannot draw a second run yet.";
    if (!a || !b) return;
    setText(ui.compareWhich, `A (${runName(a)}) and B (${runName(b)})`);
    const names = [...new Set([...a.streams, ...b.streams].map((stream) => stream.name))];
    const stream = (entry, name) => entry.streams.find((s) => s.name === name) ?? null;
    ui.compareRows.replaceChildren(...names.map((name) => compareRow(name, stream(a, name), stream(b, name))));
  }

  const ready = openStore().then((store) => {
    if (!store.persistent) say("This browser refuses to keep data for this page: runs are kept until it is closed.");
    return store;
  });

  async function keep(entry, sentence) {
    const store = await ready;
    const previous = chosen.a;
    entries = showable(await store.keep(entry));
    choose(entry.id, previous);
    render();
    const sampled = entry.whole ? "" : ` Its ${formatCount(entry.total)} messages are more than the ` +
      `${formatCount(MAX_KEPT_MESSAGES)} a kept run may hold: it is kept as its summary and a sample of message times.`;
    say(`${sentence}${sampled}${skippedNote()}`);
  }

  async function loadFile(file) {
    let entry;
    try {
      entry = entryFromDocument(JSON.parse(await file.text()), file.name);
    } catch (error) {
      say(`${file.name} was not loaded: ${error instanceof SyntaxError ? "it is not JSON" : error.message}.`);
      return;
    }
    await keep(entry, `Loaded ${file.name}, the run of ${when(entry)}, as A.`);
  }

  function overlay() {
    const [a, b] = [byId(chosen.a), byId(chosen.b)];
    const records = recordsFromEntry(a);
    timeline.reset(records);
    const end = Math.max(0, ...records.map((record) => Math.max(record.lastT ?? 0, record.endT ?? 0)));
    timeline.setOverlay(recordsFromEntry(b), `B: ${runName(b)}`);
    timeline.render(end, false);
    overlaid = true;
    ui.back.hidden = false;
    const sampled = [a, b].some((entry) => !entry.whole) ? " (a sampled run shows its kept sample of marks)" : "";
    say(`The timeline shows A, the run of ${runName(a)}, with B's marks as ghosts${sampled}.`);
  }

  function leaveOverlay() {
    if (!overlaid) return;
    overlaid = false;
    ui.back.hidden = true;
    timeline.setOverlay(null);
  }

  ui.rows.addEventListener("change", (event) => {
    const group = event.target.name?.replace("runs-", "");
    if (group !== "a" && group !== "b") return;
    chosen[group] = event.target.value;
    renderCompare();
  });
  ui.file.addEventListener("change", () => {
    const [file] = ui.file.files;
    ui.file.value = "";
    if (file) loadFile(file);
  });
  ui.overlay.addEventListener("click", overlay);
  ui.back.addEventListener("click", () => {
    leaveOverlay();
    showCurrent();
  });
  ui.forget.addEventListener("click", async () => {
    // Nothing brings them back: ask first, naming how many.
    const kept = entries.length;
    const which = kept === 1 ? "the run kept in this browser? It cannot" : `the ${kept} runs kept in this browser? They cannot`;
    if (!confirm(`Forget ${which} be brought back.`)) {
      return say("Nothing was forgotten.");
    }
    await (await ready).forget();
    entries = [];
    skipped = [];
    choose(null, null);
    render();
    say("Forgotten: this browser keeps no run of this page now.");
  });
  ready.then(async (store) => {
    try {
      entries = showable(await store.all());
    } catch (error) {
      entries = [];
      say(`The kept runs could not be read (${error?.message ?? error}): new runs are still kept.`);
    }
    choose(null, null);
    render();
    if (skipped.length) say(`${ui.status.textContent} ${skippedNote()}`.trim());
    ui.table.closest("section").dataset.ready = "true";
  });

  return {
    /** A run that settled (finished or stopped): kept, and chosen as A beside the one before. */
    save(run) {
      const entry = entryFromRun(run);
      return keep(entry, `Kept the run of ${when(entry)} (the last ${MAX_RUNS} runs are kept in this browser).`);
    },
    /** A new run takes the timeline back. */
    runStarted() {
      leaveOverlay();
    },
    setRunning(value) {
      running = value;
      renderCompare();
    },
  };
}
