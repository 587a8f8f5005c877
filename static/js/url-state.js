// The chosen lanes and parameters live in the query string, so a comparison can be
// shared as a link. Values are kept exactly as written, never replaced by a default: a bad one
// is shown in its field and marked there (validate.js), and Run refuses it.
//
// `endpoints=` lists the healthy lanes when not all are on; `culprits=chunked:gzip,…` the
// culprit lanes (none by default); each fault (`drop=N`) is a parameter of its own.

import { PARAM_NAMES } from "./registry.js";

const listed = (query, key) => (query.get(key) ?? "").split(",").filter(Boolean);

/** `specs`: every lane; `faultNames`: the registry's faults. */
export function readState(search, specs, faultNames) {
  const query = new URLSearchParams(search);
  const healthy = specs.filter((spec) => !spec.via).map((spec) => spec.name);
  const culprits = new Set(specs.filter((spec) => spec.via).map((spec) => spec.name));
  const chosen = query.get("endpoints") === null ? healthy : listed(query, "endpoints").filter((n) => healthy.includes(n));
  const enabled = new Set([...chosen, ...listed(query, "culprits").filter((name) => culprits.has(name))]);
  // Names no lane has are left out, and said so (linkNote), never dropped silently.
  const unknown = {
    endpoints: listed(query, "endpoints").filter((name) => !healthy.includes(name)),
    culprits: listed(query, "culprits").filter((name) => !culprits.has(name)),
  };
  // Not cut to length either: a cut could turn a bad value into a good one.
  const value = (name) => query.get(name) ?? "";
  const params = Object.fromEntries(PARAM_NAMES.map((name) => [name, value(name)]));
  const faults = Object.fromEntries(faultNames.map((name) => [name, value(name)]));
  return { enabled, params, faults, lanes: query.get("lanes") !== "0", unknown };
}

const SHOWN_NAMES = 5;
const quoted = (names) => names.slice(0, SHOWN_NAMES).map((name) => `“${name.slice(0, 40)}”`).join(", ") +
  (names.length > SHOWN_NAMES ? ` and ${names.length - SHOWN_NAMES} more` : "");

/** What a link asked for that this page has no lane for, in a sentence, or "". */
export function linkNote(unknown, specs) {
  const parts = [];
  if (unknown.endpoints.length) {
    const names = specs.filter((spec) => !spec.via).map((spec) => spec.name).join(", ");
    parts.push(`endpoints=${quoted(unknown.endpoints)}: no such endpoint (there are ${names})`);
  }
  if (unknown.culprits.length) {
    const example = specs.find((spec) => spec.via)?.name ?? "chunked:gzip";
    parts.push(`culprits=${quoted(unknown.culprits)}: no such culprit lane (one is ENDPOINT:CULPRIT, as ${example})`);
  }
  return parts.length ? `This link asked for lanes this page does not have, so they are left out — ${parts.join("; ")}.` : "";
}

export function writeState(state, specs) {
  const query = new URLSearchParams();
  const healthy = specs.filter((spec) => !spec.via);
  if (!healthy.every((spec) => state.enabled.has(spec.name))) {
    query.set("endpoints", healthy.filter((spec) => state.enabled.has(spec.name)).map((spec) => spec.name).join(","));
  }
  const culprits = specs.filter((spec) => spec.via && state.enabled.has(spec.name)).map((spec) => spec.name);
  if (culprits.length) query.set("culprits", culprits.join(","));
  for (const name of PARAM_NAMES) if (state.params[name] !== "") query.set(name, state.params[name]);
  for (const [name, value] of Object.entries(state.faults)) if (value !== "") query.set(name, value);
  if (!state.lanes) query.set("lanes", "0");
  const text = query.toString().replaceAll("%2C", ",").replaceAll("%3A", ":");
  return text ? `?${text}` : "";
}

export const PRESETS = {
  tutorial: { count: "", interval: "", size: "" },
  firehose: { count: "10000", interval: "0", size: "" },
  drip: { count: "10", interval: "2", size: "" },
};
