// The endpoint registry as the server rendered it into the page, and the URLs built
// from it. Nothing here is specific to one endpoint or culprit: a new registry entry just works.
//
// A spec is one lane of a run: an endpoint as it is, or an endpoint "via" a culprit
// (`chunked:gzip`, shown as "chunked via gzip"). Each HTTP lane has its own host name.

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);
export const PARAM_NAMES = ["count", "interval", "size"];
/** How a culprit lane is named in the URL and the page: `{endpoint}:{culprit}`. */
export const VIA_SEPARATOR = ":";

function readJson(root, key) {
  const text = root.dataset[key];
  return text ? JSON.parse(text) : [];
}

/** Every lane the page can run, endpoints first in registry order, each followed by its culprit lanes. */
export function readRegistry(root) {
  const endpoints = readJson(root, "registry");
  const culprits = new Map(readJson(root, "culprits").map((culprit) => [culprit.name, culprit]));
  const healthy = endpoints.map((endpoint, index) => ({
    ...endpoint, index, lane: index + 1, endpoint: endpoint.name, label: endpoint.name, via: null, culprit: null,
  }));
  let lane = endpoints.length;
  const specs = [];
  for (const spec of healthy) {
    specs.push(spec);
    for (const via of spec.vias ?? []) {
      if (!culprits.has(via)) continue;
      const name = `${spec.name}${VIA_SEPARATOR}${via}`;
      specs.push({ ...spec, name, label: `${spec.name} via ${via}`, via, culprit: culprits.get(via), lane: ++lane });
    }
  }
  return specs;
}

/** The faults the page can ask for (`drop`, `idle`, `heartbeat`), from the registry. */
export function readFaults(root) {
  return readJson(root, "faults");
}

/** The type a CDN that holds every other type whole still streams (app/culprits.py STREAMED_TYPE). */
const STREAMED_TYPE = "text/event-stream";
const mime = (type) => (type ?? "").split(";")[0].trim().toLowerCase();

/**
 * The lane to show beside a culprit lane, and why, or null: its fix when the fix is another
 * culprit (`fixed_by`: chunked via gzip -> chunked via gzip-flush); for a culprit that holds
 * all but one type (its diagnosis: content-type-buffering), the stream of that type through
 * it (chunked via cdn -> sse via cdn); beside a fix, what it fixes; else the same stream
 * without the culprit. `specs`: Map name -> spec.
 * Returns { name, why }: why is "fix", "fixes" or "without"; or { name: null, why: "is-fix" }
 * for the lane that is itself the fix (sse via cdn).
 */
export function laneBeside(spec, specs) {
  if (!spec.via) return null;
  const lane = (endpoint, via) => [...specs.values()].find((s) => s.endpoint === endpoint && s.via === via) ?? null;
  const { culprit } = spec;
  if (culprit.fixed_by) {
    const fix = lane(spec.endpoint, culprit.fixed_by);
    if (fix) return { name: fix.name, why: "fix" };
  }
  if (culprit.diagnosed?.cause === "content-type-buffering") {
    if (mime(spec.content_type) === STREAMED_TYPE) return { name: null, why: "is-fix" };
    const streamed = [...specs.values()].find((s) => s.via === spec.via && mime(s.content_type) === STREAMED_TYPE);
    if (streamed) return { name: streamed.name, why: "fix" };
  }
  const fixed = [...specs.values()].find((s) => s.endpoint === spec.endpoint && s.culprit?.fixed_by === spec.via);
  if (fixed) return { name: fixed.name, why: "fixes" };
  return specs.has(spec.endpoint) ? { name: spec.endpoint, why: "without" } : null;
}

/** Whether the lane's culprit holds what the stream sends (so the wire falls silent between its releases). */
export function culpritHolds(spec) {
  const diagnosed = spec.culprit?.diagnosed;
  if (!diagnosed || diagnosed.verdict !== "buffered") return false;
  return !(diagnosed.cause === "content-type-buffering" && mime(spec.content_type) === STREAMED_TYPE);
}

/** `faults`: [{name, applies_to}], `chosen`: {name: value}: {name: number} of those asked of this stream. */
export function faultsFor(spec, faults = [], chosen = {}) {
  const asked = {};
  for (const fault of faults) {
    const value = chosen[fault.name] ?? "";
    if (value !== "" && fault.applies_to.includes(spec.endpoint)) asked[fault.name] = Number(value);
  }
  return asked;
}

export function isHttpStream(spec) {
  return spec.transport !== "websocket";
}

/** Lanes (`laneN.localhost`) resolve to loopback, so they only reach this server from loopback. */
export function lanesPossible(location) {
  return location.protocol === "http:" && LOOPBACK_HOSTS.has(location.hostname);
}

/** How many messages the stream will send: the chosen count, else its default. */
export function expectedCount(spec, params) {
  return params.count === "" ? spec.defaults.count : Number(params.count);
}

/** `faults`: [{name, applies_to}], `chosen`: {name: value}; a fault is only asked of the endpoints it applies to. */
function query(spec, params, faults = [], chosen = {}) {
  const search = new URLSearchParams();
  for (const name of PARAM_NAMES) if (params[name] !== "") search.set(name, params[name]);
  // Stamps let the page show each message's delay; a format that cannot carry one is asked for nothing.
  if (spec.stampable) search.set("stamp", "1");
  if (spec.via) search.set("via", spec.via);
  for (const fault of faults) {
    const value = chosen[fault.name] ?? "";
    // As typed (validated against the bounds before Run), never a number's rewriting of it.
    if (value !== "" && fault.applies_to.includes(spec.endpoint)) search.set(fault.name, value);
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

function origin(spec, location, lanes) {
  if (spec.transport === "websocket") {
    return `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}`;
  }
  if (!lanes) return location.origin;
  const port = location.port ? `:${location.port}` : "";
  return `${location.protocol}//lane${spec.lane}.localhost${port}`;
}

/** Each HTTP stream's lane origin, so the page can resolve and connect to them before Run. */
export function laneOrigins(specs, location) {
  return specs.filter((spec) => isHttpStream(spec) && !spec.url).map((spec) => origin(spec, location, true));
}

/** The URL one stream is read from; with lanes, each HTTP stream gets its own host name. */
export function streamUrl(spec, params, location, lanes, faults, chosen) {
  if (spec.url) return spec.url; // someone's own stream, read as it is
  return `${origin(spec, location, lanes)}${spec.path}${query(spec, params, faults, chosen)}`;
}

/** Content codings a browser takes only over a secure connection (measured in Chromium 156: HTTPS or localhost). */
const SECURE_CODINGS = ["br", "zstd"];

/** Whether a browser counts `url` as a secure connection: HTTPS, or loopback by any of its names. */
function trustworthy(url) {
  const { protocol, hostname } = new URL(url, globalThis.location?.href);
  if (protocol === "https:" || protocol === "wss:") return true;
  return hostname === "localhost" || hostname.endsWith(".localhost") || hostname === "[::1]" ||
    /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/**
 * Why this browser will not read the lane, when its culprit compresses with a coding a browser
 * takes only over a secure connection and the lane is plain HTTP elsewhere than loopback
 * (measured in Chromium: Accept-Encoding is then `gzip, deflate`, and a br or zstd body
 * fails as a network error); else "".
 */
export function codingRefusal(spec, url) {
  const coding = spec.via?.split("-")[0];
  if (!SECURE_CODINGS.includes(coding) || trustworthy(url)) return "";
  return `this browser does not decode ${coding} over plain HTTP from ${new URL(url).host} (Chromium takes ` +
    `${SECURE_CODINGS.join(" and ")} only over HTTPS or from localhost); transport-lab diagnose and compare decode it`;
}

/** The plain-HTTP twin of a stream URL, to ask the server why a stream failed. */
export function httpUrl(url) {
  return url.replace(/^ws(s?):/, "http$1:");
}
