// The summary: one row per stream of the run (what the first screen shows), "what to
// notice" once the run has settled, and each transport's measured framing in the
// comparison table. DOM writes only through text.

import { el, setText } from "./dom.js";
import { whatToNotice } from "./notice.js";
import { formatCount, formatMs, formatWire, framingPerMessage } from "./stats.js";

const CELLS = ["state", "headers", "first", "last", "count", "wire", "framing"];
/** While streams run, the rows are refreshed at most this often: figures nobody reads at 60 Hz. */
const REFRESH_MS = 100;

function rowFor(record) {
  const row = el("tr");
  // Someone's own streams wear their own hue, as on the timeline (timeline-lane.js).
  const hue = record.spec.url ? "yours-hue" : `c${record.spec.index % 8}`;
  row.className = `${hue}${record.spec.via ? " via-lane" : ""}`;
  row.dataset.endpoint = record.spec.name;
  const name = el("th");
  name.scope = "row";
  name.append(el("span", "swatch"), el("span", "summary-name", record.spec.label ?? record.spec.name));
  row.append(name);
  const cells = {};
  for (const key of CELLS) {
    cells[key] = el("td", key === "state" ? "outcome" : "num");
    cells[key].dataset.field = key;
    row.append(cells[key]);
  }
  cells.state.append(el("span", "state"));
  return { row, cells, record };
}

const perMessage = (n) => (n === null ? "–" : `${n.toFixed(1)} B`);

function fill({ row, cells, record }) {
  // Before a run the rows are the chosen lanes, idle.
  const state = record.state ?? "idle";
  row.dataset.state = state;
  setText(cells.state.firstChild, state);
  setText(cells.headers, formatMs(record.openT));
  setText(cells.first, formatMs(record.firstT));
  setText(cells.last, formatMs(record.lastT));
  setText(cells.count, formatCount(record.count ?? 0));
  const wire = record.wireBytes ?? null;
  // Through a culprit the count is a floor (≥): the page cannot see how the body was cut into chunks.
  setText(cells.wire, wire === null ? "–" : formatWire(record));
  setText(cells.framing, perMessage(framingPerMessage(record)));
}

/** Each transport's framing per message, per endpoint that ran on it (healthy lanes only). */
function fillDiffers(table, records) {
  for (const row of table.querySelectorAll("tbody tr[data-transport]")) {
    const measured = records
      .filter((record) => record.spec.transport === row.dataset.transport && !record.spec.via)
      .map((record) => [record.spec.name, framingPerMessage(record)])
      .filter(([, n]) => n !== null);
    const text = measured.map(([name, n]) => `${name} ${perMessage(n)}`).join(" · ");
    setText(row.querySelector('[data-role="measured-framing"]'), text || "run to measure");
  }
}

export function createSummary({ body, noticeBox, noticeList, differs }) {
  let rows = [];
  let noticed = null;
  let filledAt = -Infinity;
  return {
    reset(records) {
      rows = records.map(rowFor);
      body.replaceChildren(...rows.map(({ row }) => row));
      for (const row of rows) fill(row);
      noticeBox.hidden = true;
      noticed = null;
      filledAt = -Infinity;
    },
    render(run, running) {
      if (running && performance.now() - filledAt < REFRESH_MS) return;
      filledAt = performance.now();
      for (const row of rows) fill(row);
      if (running || noticed === run) return;
      noticed = run;
      const sentences = whatToNotice(run.records, run.params);
      noticeList.replaceChildren(...sentences.map((text) => el("li", "", text)));
      noticeBox.hidden = !sentences.length;
      if (differs) fillDiffers(differs, run.records);
    },
  };
}
