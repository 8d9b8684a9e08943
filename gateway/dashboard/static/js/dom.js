import { maskIdNumbers } from "./alert-view.js";

/**
 * Builds elements from data with text nodes only, never by parsing markup: whatever a billing cell or an
 * alert says (`=HYPERLINK(...)`, `<script>`) is shown as the text it is. Strings pass through
 * maskIdNumbers on the way in.
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  setAttributes(element, attributes);
  append(element, children);
  return element;
}

const SVG_NS = "http://www.w3.org/2000/svg";

export function svg(tag, attributes = {}, ...children) {
  const element = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== null && value !== false) element.setAttribute(name, String(value));
  }
  append(element, children);
  return element;
}

function setAttributes(element, attributes) {
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") element.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(element.dataset, value);
    else if (name === "value") element.value = value;
    else if (name === "checked") element.checked = Boolean(value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(typeof child === "string" || typeof child === "number" ? document.createTextNode(maskIdNumbers(child)) : child);
  }
}

/** Replaces a container's content. */
export function replace(container, ...children) {
  container.replaceChildren();
  append(container, children);
}

export function table(caption, headers, rows) {
  return h(
    "table",
    {},
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, headers.map((text) => h("th", { scope: "col" }, text)))),
    h("tbody", {}, rows),
  );
}

export function select(id, labelText, options, selected) {
  return h(
    "div",
    { class: "field" },
    h("label", { for: id }, labelText),
    h(
      "select",
      { id, name: id },
      options.map(([value, text]) => h("option", { value, selected: value === selected ? true : undefined }, text)),
    ),
  );
}
