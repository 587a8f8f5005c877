// The columns, by lane name. An endpoint's column is in the page; a culprit lane's (an
// endpoint read through a culprit: dozens of them) is cloned from the page's one
// <template id="culprit-column"> the first time the lane is shown, and filled from the
// registry: the page carries each culprit's words once, not once per lane.
//
// A culprit lane says what the culprit does and its fix, and offers the lane that shows
// the fix (or, beside a fix, what it fixes) with a button that checks that lane too.

import { columnView } from "./columns.js";
import { described, el, setText } from "./dom.js";
import { laneBeside } from "./registry.js";

const slot = (article, name) => article.querySelector(`[data-slot="${name}"]`);
const lead = (text) => text.split(": ")[0];
const rest = (text) => text.split(": ").slice(1).join(": ");

function sentence(label, text) {
  const p = el("p");
  if (label) p.append(el("strong", "", `${label}: `));
  p.append(...described(text), ".");
  return p;
}

/** What the culprit does (its lead visible, the rest with its source folded) and its fix. */
function about(spec) {
  const { culprit } = spec;
  const what = sentence(culprit.label, lead(culprit.cause));
  what.className = "culprit-what";
  const fix = sentence("Fix", culprit.fix);
  fix.className = "culprit-fix";
  const beside = el("p", "beside");
  beside.dataset.role = "beside";
  beside.hidden = true;
  const parts = [what, fix, beside];
  const more = rest(culprit.cause);
  if (more || culprit.source) {
    const details = el("details", "culprit-more");
    details.append(el("summary", "", "How it holds, where it is seen"));
    if (more) details.append(sentence("", more));
    if (culprit.source) {
      const source = sentence("Seen in", culprit.source);
      source.className = "source";
      details.append(source);
    }
    parts.push(details);
  }
  return parts;
}

/** `via gzip` -> `chunked via gzip-flush`: how the button names the other lane. */
const BESIDE_WORDS = {
  fix: (other) => [`Show its fix beside it: ${other}`, `Its fix is beside it: ${other}`],
  fixes: (other) => [`Show what it fixes beside it: ${other}`, `What it fixes is beside it: ${other}`],
  without: (other) => [`Show the stream without it beside it: ${other}`, `The stream without it is beside it: ${other}`],
};

function culpritArticle(template, spec) {
  const article = template.content.firstElementChild.cloneNode(true);
  const id = `col-${spec.index}-${spec.via}`;
  article.classList.add(`c${spec.index % 8}`);
  article.dataset.endpoint = spec.name;
  article.dataset.transport = spec.transport;
  article.setAttribute("aria-labelledby", `${id}-title`);
  article.querySelector("h3").id = `${id}-title`;
  setText(slot(article, "path"), spec.path);
  setText(slot(article, "via"), `via ${spec.via}`);
  const shape = spec.stampable ? "stamped" : "unstamped";
  for (const node of article.querySelectorAll("[data-shape]")) if (node.dataset.shape !== shape) node.remove();
  slot(article, "about").append(...about(spec));
  article.querySelector('[data-role="messages"]').setAttribute("aria-label", `${spec.path} via ${spec.via} messages`);
  article.hidden = true;
  return article;
}

/**
 * `root` #app, `specs` every lane in page order, `showLane(name)` checks a lane's control.
 * Map-like: get(name) makes a culprit lane's column when first asked; iterating gives those made.
 */
export function createColumns({ root, specs, showLane }) {
  const grid = root.querySelector(".columns");
  const template = document.getElementById("culprit-column");
  const byName = new Map(specs.map((spec) => [spec.name, spec]));
  const views = new Map();
  const besides = new Map(); // culprit lane -> { name, why, button, label } of the lane it offers
  for (const spec of specs) {
    const article = root.querySelector(`.column[data-endpoint="${CSS.escape(spec.name)}"]`);
    if (article) views.set(spec.name, columnView(article));
  }

  /** Before the next lane (in page order) that already has its column. */
  function place(spec, article) {
    const order = specs.indexOf(spec);
    const next = specs.slice(order + 1).find((later) => views.has(later.name));
    grid.insertBefore(article, next ? views.get(next.name).element : null);
  }

  function wireBeside(spec, article) {
    const beside = laneBeside(spec, byName);
    const node = article.querySelector('[data-role="beside"]');
    if (!beside) return;
    node.hidden = false;
    if (!beside.name) {
      node.append(`This lane is that fix: ${spec.endpoint} is ${spec.content_type.split(";")[0]}.`);
      return;
    }
    const button = el("button", "beside-lane");
    button.type = "button";
    button.dataset.lane = beside.name;
    button.addEventListener("click", () => showLane(beside.name));
    node.append(button);
    besides.set(spec.name, { ...beside, button, label: byName.get(beside.name).label });
  }

  function make(spec) {
    if (!template || !spec.via) return undefined;
    const article = culpritArticle(template, spec);
    wireBeside(spec, article);
    place(spec, article);
    const view = columnView(article);
    views.set(spec.name, view);
    return view;
  }

  return {
    has: (name) => byName.has(name),
    get(name) {
      return views.get(name) ?? (byName.has(name) ? make(byName.get(name)) : undefined);
    },
    values: () => views.values(),
    [Symbol.iterator]: () => views.entries(),
    /** Shows the chosen lanes' columns (made as needed) and hides the rest; each "beside" button says if its lane is shown. */
    show(enabled) {
      for (const spec of specs) {
        if (enabled.has(spec.name)) this.get(spec.name).element.hidden = false;
        else if (views.has(spec.name)) views.get(spec.name).element.hidden = true;
      }
      for (const beside of besides.values()) {
        const shown = enabled.has(beside.name);
        const [offer, done] = BESIDE_WORDS[beside.why](beside.label);
        setText(beside.button, shown ? done : offer);
        beside.button.disabled = shown;
      }
    },
  };
}
