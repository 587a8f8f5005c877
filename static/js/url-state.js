// The chosen endpoints and parameters live in the query string, so a comparison can be
// shared as a link. Values are kept as typed: the server is the one that validates them.

import { PARAM_NAMES } from "./registry.js";

const MAX_VALUE_LENGTH = 32;

export function readState(search, names) {
  const query = new URLSearchParams(search);
  const listed = query.get("endpoints");
  const enabled = listed === null ? new Set(names) : new Set(listed.split(",").filter((n) => names.includes(n)));
  const params = {};
  for (const name of PARAM_NAMES) params[name] = (query.get(name) ?? "").slice(0, MAX_VALUE_LENGTH);
  return { enabled, params, lanes: query.get("lanes") !== "0" };
}

export function writeState(state, names) {
  const query = new URLSearchParams();
  if (state.enabled.size !== names.length) query.set("endpoints", names.filter((n) => state.enabled.has(n)).join(","));
  for (const name of PARAM_NAMES) if (state.params[name] !== "") query.set(name, state.params[name]);
  if (!state.lanes) query.set("lanes", "0");
  const text = query.toString().replaceAll("%2C", ",");
  return text ? `?${text}` : "";
}

export const PRESETS = {
  tutorial: { count: "", interval: "", size: "" },
  firehose: { count: "10000", interval: "0", size: "" },
  drip: { count: "10", interval: "2", size: "" },
};
