// The dashboard: controls <-> URL, Run / Stop / Export, and one render per animation frame.

import { exportRun } from "./exporter.js";
import { createColumns } from "./culprit-columns.js";
import { laneBeside, laneOrigins, lanesPossible, PARAM_NAMES, readFaults, readRegistry } from "./registry.js";
import { isYours, startRun } from "./run.js";
import { linkNote, PRESETS, readState, writeState } from "./url-state.js";
import { createTimeline } from "./timeline.js";
import { createSummary } from "./summary.js";
import { createRunHistory } from "./history.js";
import { el, setText } from "./dom.js";
import { createControls } from "./controls.js";
import { renderYours, wireYours, yoursSpecs } from "./yours.js";
import { createHops } from "./hops.js";
import { renderWhy } from "./why.js";
import { WIRE_EXPLAINED } from "./wire.js";

const root = document.getElementById("app");
const form = document.getElementById("controls");
const buttons = Object.fromEntries(["run", "stop", "export-json", "export-csv"].map((id) => [id, document.getElementById(id)]));
const status = document.getElementById("status");
// The registry's lanes (what the URL's controls speak of), and with them someone's own stream
// (or the same stream at each of its hops).
const laneSpecs = readRegistry(root);
const yours = yoursSpecs(root);
const specs = [...yours, ...laneSpecs];
// The terminal's verdict is of one URL: with several, each hop has its own.
const terminalVerdict = yours.length === 1 ? new URLSearchParams(location.search).get("terminal") : null;
const hops = yours.length > 1 ? createHops(document.getElementById("hops")) : null;
const faults = readFaults(root);
const faultNames = faults.map((fault) => fault.name);
const lanesOk = lanesPossible(location);
const timeline = createTimeline(document.getElementById("timeline"), document.getElementById("timeline-cursor"));
const summary = createSummary({
  body: document.getElementById("summary-rows"),
  noticeBox: document.getElementById("what-to-notice"),
  noticeList: document.getElementById("notice-list"),
  differs: document.querySelector(".differs-table"),
});
// The history borrows the timeline to overlay two kept runs, and gives it back here.
// An overlaid kept run is drawn on the timeline too: it shows the lanes even before a first run.
const runHistory = createRunHistory({
  timeline: {
    ...timeline,
    setOverlay: (...args) => {
      timeline.setOverlay(...args);
      if (!args[0]) return;
      // Asked for from the Runs panel, far below: the overlaid timeline is brought into view.
      revealTimeline();
      requestAnimationFrame(bringTimelineIntoView);
    },
  },
  showCurrent: () => showCurrentRun(),
});
const laneInputs = [...form.querySelectorAll('input[name="endpoint"], input[name="culprit"]')];
// An endpoint's column is in the page; a culprit lane's is made the first time it is shown.
const columns = createColumns({ root, specs, showLane: (name) => showLanes([name]) });
// Checks, the plan before Run, staleness, the calm status, Escape, the WebSocket send box.
const controls = createControls({ root, form, specs, faults, columns, stop: () => isRunning() && (run.stop(), true) });
const culpritsPanel = document.getElementById("culprits");
const warmed = new Map(); // lane origin -> its warm-up request

let run = null;
let frame = 0;

const isRunning = () => run !== null && run.endT === undefined;

function formState() {
  const params = Object.fromEntries(PARAM_NAMES.map((name) => [name, form.elements[name].value.trim()]));
  const faultValues = Object.fromEntries(faultNames.map((name) => [name, form.elements[name].value.trim()]));
  const enabled = new Set(laneInputs.filter((input) => input.checked).map((input) => input.value));
  for (const spec of yours) enabled.add(spec.name);
  return { enabled, params, faults: faultValues, lanes: lanesOk && form.elements.lanes.checked };
}

function readPageState() {
  const state = readState(location.search, laneSpecs, faultNames);
  for (const spec of yours) state.enabled.add(spec.name);
  return state;
}

/** The controls' query, keeping the page's own streams (`stream`, `terminal`) as they were. */
function withYours(query) {
  const current = new URLSearchParams(location.search);
  const kept = new URLSearchParams();
  for (const key of ["stream", "terminal"]) for (const value of current.getAll(key)) kept.append(key, value);
  const text = kept.toString();
  if (!text) return query;
  return query ? `${query}&${text}` : `?${text}`;
}

function applyState(state) {
  for (const input of laneInputs) input.checked = state.enabled.has(input.value);
  for (const name of PARAM_NAMES) form.elements[name].value = state.params[name];
  for (const name of faultNames) form.elements[name].value = state.faults[name];
  form.elements.lanes.checked = state.lanes;
  if (asksForCulprits(state)) culpritsPanel.open = true;
}

/** Culprits and faults stay folded away until a link (or a reload) asks for some. */
function asksForCulprits(state) {
  const culprit = specs.some((spec) => spec.via && state.enabled.has(spec.name));
  return culprit || Object.values(state.faults).some((value) => value !== "");
}

function explainLimit(lanes) {
  const text = lanes
    ? "Browsers open at most 6 HTTP/1.1 connections per host, so each HTTP stream here is read from its own " +
      "host name (lane1.localhost, lane2.localhost, …) and every stream starts at once."
    : "Browsers open at most 6 HTTP/1.1 connections per host: past six streams, the rest wait for a free " +
      "connection and are marked “queued” below.";
  setText(document.getElementById("limit-text"), text);
}

function idleRecords(state) {
  return specs.filter((spec) => state.enabled.has(spec.name)).map((spec) => ({ spec, messages: [], lastT: null }));
}

/** Even rows of columns: as many per row as fit, spread so no row is left ragged (8 as 4 + 4). */
const COLUMN_MIN_PX = 250;
const columnGrid = root.querySelector(".columns");
function balanceColumns() {
  const shown = [...columns.values()].filter((view) => !view.element.hidden).length;
  const fit = Math.max(1, Math.floor((columnGrid.clientWidth + 12) / (COLUMN_MIN_PX + 12)));
  const rows = Math.ceil(Math.max(shown, 1) / fit);
  columnGrid.style.setProperty("--per-row", String(Math.ceil(Math.max(shown, 1) / rows)));
}
new ResizeObserver(balanceColumns).observe(columnGrid);

/** Controls changed: URL, visible columns, and (between runs) the empty timeline. */
function controlsChanged() {
  const state = formState();
  const query = withYours(writeState(state, laneSpecs));
  history.replaceState(null, "", `${location.pathname}${query}`);
  columns.show(state.enabled);
  balanceColumns();
  explainLimit(state.lanes);
  if (!run) {
    timeline.reset(idleRecords(state));
    summary.reset(idleRecords(state));
  }
  controls.changed(state, run);
  warmLanes(specs.filter((spec) => state.enabled.has(spec.name)));
}

/** Checks these lanes' controls (a column's or a culprit's "beside it" button), as a click would. */
function showLanes(names) {
  for (const input of laneInputs) if (names.includes(input.value)) input.checked = true;
  controlsChanged();
}

/**
 * Each culprit with a lane to show beside its own (its fix, or what it fixes) offers it in
 * its card: beside each of its chosen lanes, or beside its first lane when none is chosen.
 */
function wireCulpritCards() {
  const grid = form.querySelector(".culprit-grid");
  grid?.style.setProperty("--via-count", String(grid.querySelectorAll(".culprit-heads .head").length));
  const byName = new Map(laneSpecs.map((spec) => [spec.name, spec]));
  for (const card of form.querySelectorAll("fieldset[data-culprit]")) {
    const lanes = laneSpecs.filter((spec) => spec.via === card.dataset.culprit);
    const beside = lanes.length ? laneBeside(lanes[0], byName) : null;
    if (!beside?.name || !["fix", "fixes"].includes(beside.why)) continue;
    const other = byName.get(beside.name);
    // Another culprit is named by itself (via gzip-flush); the same one by its lane (sse via cdn).
    const named = other.via === lanes[0].via ? other.label : `via ${other.via}`;
    const button = el("button", "beside-lanes", beside.why === "fix"
      ? `Show its fix (${named}) beside it` : `Show what it fixes (${named}) beside it`);
    button.type = "button";
    button.addEventListener("click", () => {
      const chosen = lanes.filter((spec) => formState().enabled.has(spec.name));
      const pairs = (chosen.length ? chosen : lanes.slice(0, 1)).flatMap((spec) => [spec.name, laneBeside(spec, byName)?.name]);
      showLanes(pairs.filter(Boolean));
    });
    card.querySelector('[data-role="fix"]')?.append(" ", button);
  }
}

function render() {
  // Called directly (a run settled) with a frame already asked for: that frame is not drawn twice.
  if (frame) cancelAnimationFrame(frame);
  frame = 0;
  if (!run) return;
  const running = isRunning();
  const nowMs = running ? run.now() : run.endT;
  const views = run.records.map((record) => columns.get(record.spec.name));
  for (const view of views) view.measure();
  run.records.forEach((record, i) => views[i].render(record, nowMs));
  run.records.forEach((record, i) => {
    if (isYours(record)) renderYours(views[i].element, record, terminalVerdict, labLane);
    else renderWhy(views[i].element, record);
  });
  hops?.render(run.records.filter(isYours));
  timeline.render(nowMs, running);
  // Whatever stopped the run (the button, a key), its line is drawn where it was stopped.
  timeline.markStopped(run.stopped ? (run.stopT ?? run.endT) : null);
  summary.render(run, running);
  controls.render(run, running, nowMs);
  if (running || views.some((view) => view.pendingScroll)) scheduleRender();
}

/**
 * The lab lane that reproduces a cause diagnose names (a culprit the registry says it names so),
 * on the chunked stream where there is one, shown beside its fix: or null.
 */
function labLane(id) {
  const reproducing = laneSpecs.filter((spec) => spec.culprit?.diagnosed?.cause === id);
  const lane = reproducing.find((spec) => spec.endpoint === "chunked") ?? reproducing[0];
  if (!lane) return null;
  const names = [lane.name, laneBeside(lane, new Map(laneSpecs.map((spec) => [spec.name, spec])))?.name].filter(Boolean);
  return { label: lane.label, names, show: () => {
    showLanes(names);
    culpritsPanel.open = true;
    setText(status, `${names.join(" and ")} will run beside your stream: Run to see ${lane.label} hold it.`);
  } };
}

function scheduleRender() {
  if (!frame) frame = requestAnimationFrame(render);
}

function setRunning(running) {
  buttons.stop.disabled = !running;
  buttons["export-json"].disabled = running || !run;
  buttons["export-csv"].disabled = running || !run;
  root.dataset.running = String(running);
  runHistory.setRunning(running);
}

function showCurrentRun() {
  timeline.reset(run ? run.records : idleRecords(formState()));
  if (run) render();
}

function startNewRun() {
  const state = formState();
  const chosen = specs.filter((spec) => state.enabled.has(spec.name));
  if (!chosen.length) return setText(status, "Choose at least one endpoint to run.");
  // A refused Run changes nothing, not even a run in progress.
  if (!controls.allowRun(state)) return;
  if (isRunning()) run.stop();
  const current = startRun({
    specs: chosen, params: state.params, faults, chosenFaults: state.faults,
    location, lanes: state.lanes, onChange: scheduleRender,
  });
  run = current;
  revealTimeline();
  controls.runStarted(current, state);
  for (const record of current.records) columns.get(record.spec.name).reset(record);
  runHistory.runStarted();
  timeline.reset(current.records);
  summary.reset(current.records);
  setRunning(true);
  scheduleRender();
  bringTimelineIntoView();
  current.finished.then(() => {
    runHistory.save(current);
    if (run !== current) return;
    setRunning(false);
    render();
  });
}

const timelinePanel = document.getElementById("timeline-panel");
const planBox = document.getElementById("plan-box");

/** The lanes take the plan's place once there is something to draw (a run, or a kept one overlaid). */
function revealTimeline() {
  if (timelinePanel.dataset.ran === "true") return;
  timelinePanel.dataset.ran = "true";
  planBox.open = false;
}

/**
 * Run pressed with the timeline out of sight (on a narrow screen it is below the controls):
 * it comes up, under the bar that holds Run, so the run is watched as it happens.
 */
function bringTimelineIntoView() {
  const { top } = timelinePanel.getBoundingClientRect();
  const clear = innerHeight - actionBar.offsetHeight * Number(isBar()) - 120;
  if (top >= 0 && top <= clear) return;
  const still = matchMedia("(prefers-reduced-motion: reduce)").matches;
  timelinePanel.scrollIntoView({ block: "start", behavior: still ? "auto" : "smooth" });
}

/** On a narrow screen Run and Stop are a bar over the window's foot: the page's end is kept clear of it. */
const actionBar = form.querySelector(".actions");
const isBar = () => getComputedStyle(actionBar).position === "fixed";
const pageHead = document.querySelector(".page-head");
function keepClearOfBar() {
  document.body.style.setProperty("--action-bar-height", isBar() ? `${actionBar.offsetHeight}px` : "0px");
  // Beside the timeline the controls fit the window under the head (controls.css).
  document.body.style.setProperty("--page-head-height", `${pageHead.getBoundingClientRect().bottom + scrollY + 10}px`);
}
new ResizeObserver(keepClearOfBar).observe(actionBar);
new ResizeObserver(keepClearOfBar).observe(pageHead);
addEventListener("resize", keepClearOfBar);

function wire() {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    startNewRun();
  });
  buttons.stop.addEventListener("click", () => isRunning() && run.stop());
  buttons["export-json"].addEventListener("click", () => exportRun(run, "json"));
  buttons["export-csv"].addEventListener("click", () => exportRun(run, "csv"));
  for (const button of form.querySelectorAll("[data-preset]")) {
    button.addEventListener("click", () => {
      for (const [name, value] of Object.entries(PRESETS[button.dataset.preset])) form.elements[name].value = value;
      controlsChanged();
    });
  }
  form.addEventListener("input", controlsChanged);
  window.addEventListener("popstate", () => {
    applyState(readPageState());
    controlsChanged();
  });
  window.addEventListener("resize", () => run && !isRunning() && render());
}

/**
 * A first connection to a lane name costs ~100 ms; paying it before Run keeps stream starts
 * even. Each lane once: the endpoints' at load, a culprit lane's when it is chosen.
 */
function warmLanes(chosen) {
  if (!lanesOk) return Promise.resolve();
  const origins = laneOrigins(chosen, location);
  for (const origin of origins) {
    if (!warmed.has(origin)) warmed.set(origin, fetch(`${origin}/healthz`, { cache: "no-store" }));
  }
  return Promise.allSettled(origins.map((origin) => warmed.get(origin)));
}

document.getElementById("lanes-toggle").hidden = !lanesOk;
setText(document.getElementById("wire-explained"), WIRE_EXPLAINED);
wireCulpritCards();
const asked = readPageState();
const note = document.getElementById("link-note");
setText(note, linkNote(asked.unknown, laneSpecs));
note.hidden = !note.textContent;
applyState(asked);
wire();
wireYours(location, root);
controlsChanged();
warmLanes(specs.filter((spec) => !spec.via)).then(() => {
  root.dataset.ready = "true";
});
