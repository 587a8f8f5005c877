// The only way this page writes to the DOM: elements and text nodes, never HTML.

const SVG_NS = "http://www.w3.org/2000/svg";

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export function svg(tag, attributes = {}) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  return node;
}

export function setText(node, text) {
  if (node && node.textContent !== text) node.textContent = text;
}

/** The registry's words as nodes: `backticks` become <code>, as the templates' `described` shows them. */
export function described(text) {
  return text.split("`").map((part, i) => (i % 2 ? el("code", "", part) : document.createTextNode(part)));
}
