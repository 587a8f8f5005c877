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

/** The faults the page can ask for (`drop`), from the registry. */
export function readFaults(root) {
  return readJson(root, "faults");
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

/** The plain-HTTP twin of a stream URL, to ask the server why a stream failed. */
export function httpUrl(url) {
  return url.replace(/^ws(s?):/, "http$1:");
}
