// A run as JSON or CSV, for analysis elsewhere. Pure builders, and one download helper.

import { yoursDocument } from "./yours.js";

function messageRows(record) {
  return record.messages.map((m, i) => ({
    index: i,
    receive_ms: round(m.t),
    server_sent_ms: m.sent === null ? null : round(m.sent),
    delay_ms: m.sent === null ? null : round(m.t - m.sent),
    bytes: m.bytes,
    ...(m.id === null || m.id === undefined ? {} : { id: m.id }),
    text: m.text,
  }));
}

function round(ms) {
  return Math.round(ms * 1000) / 1000;
}

/** Everything a run recorded. Times are ms since Run; `run.started_at` anchors them in epoch time. */
export function runDocument(run) {
  return {
    tool: "Transport Lab",
    run: { started_at: run.startedAt, epoch_ms_at_run: round(run.epoch0), page: location.href, lanes: run.lanes },
    params: run.params,
    endpoints: run.records.map((record) => ({
      name: record.spec.name,
      endpoint: record.spec.endpoint,
      via: record.spec.via,
      path: record.spec.path,
      transport: record.spec.transport,
      url: record.url,
      state: record.state,
      error: record.error,
      queued_ms: record.queuedMs,
      ttfb_ms: record.openT === null ? null : round(record.openT),
      message_count: record.count,
      bytes_received: record.bytes,
      round_trips_ms: record.rtts.map(round),
      held_max_ms: record.heldMax === null ? null : round(record.heldMax),
      most_messages_in_one_read: record.burst,
      dropped_ms: record.drops.map(round),
      reconnected_ms: record.reconnects.map(round),
      messages: messageRows(record),
      // Someone's own stream also carries its timeline and verdict, as `diagnose --json` does.
      ...(record.arrivals ? { your_stream: yoursDocument(record) } : {}),
    })),
  };
}

const CSV_COLUMNS = ["endpoint", "index", "receive_ms", "server_sent_ms", "delay_ms", "bytes", "text"];

export function csvCell(value) {
  if (value === null || value === undefined) return "";
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function runCsv(run) {
  const lines = [CSV_COLUMNS.join(",")];
  for (const record of run.records) {
    for (const row of messageRows(record)) {
      const cells = [record.spec.name, row.index, row.receive_ms, row.server_sent_ms, row.delay_ms, row.bytes, row.text];
      lines.push(cells.map(csvCell).join(","));
    }
  }
  return `${lines.join("\r\n")}\r\n`;
}

export function download(filename, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function exportName(run, extension) {
  return `transport-lab-${run.startedAt.replaceAll(":", "-").replace(/\..*$/, "")}.${extension}`;
}
