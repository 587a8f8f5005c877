// The endpoint registry as the server rendered it into the page, and the URLs built
// from it. Nothing here is specific to one endpoint: a new registry entry just works.

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);
export const PARAM_NAMES = ["count", "interval", "size"];
/** Browsers' HTTP/1.1 connection limit per host (what the lanes work around). */
export const CONNECTIONS_PER_HOST = 6;

export function readRegistry(root) {
  return JSON.parse(root.dataset.registry).map((spec, index) => ({ ...spec, index }));
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

function query(spec, params) {
  const search = new URLSearchParams();
  for (const name of PARAM_NAMES) if (params[name] !== "") search.set(name, params[name]);
  // Stamps let the page show each message's delay; a format that cannot carry one is asked for nothing.
  if (spec.stampable) search.set("stamp", "1");
  const text = search.toString();
  return text ? `?${text}` : "";
}

function origin(spec, location, lanes) {
  if (spec.transport === "websocket") {
    return `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}`;
  }
  if (!lanes) return location.origin;
  const port = location.port ? `:${location.port}` : "";
  return `${location.protocol}//lane${spec.index + 1}.localhost${port}`;
}

/** Each HTTP stream's lane origin, so the page can resolve and connect to them before Run. */
export function laneOrigins(specs, location) {
  return specs.filter(isHttpStream).map((spec) => origin(spec, location, true));
}

/** The URL one stream is read from; with lanes, each HTTP stream gets its own host name. */
export function streamUrl(spec, params, location, lanes) {
  return `${origin(spec, location, lanes)}${spec.path}${query(spec, params)}`;
}

/** The plain-HTTP twin of a stream URL, to ask the server why a stream failed. */
export function httpUrl(url) {
  return url.replace(/^ws(s?):/, "http$1:");
}
