// dom.js - building elements without HTML strings: text always goes in as text, so nothing
// the server or a user typed can become markup (and the CSP forbids inline code anyway).

/**
 * h('button', {type: 'submit', class: 'primary', onclick: fn}, 'Text', child, ...)
 * Attributes named on* become listeners; `dataset` and `aria` objects are spread; false,
 * null and undefined attributes and children are skipped.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2), value);
    } else if (name === 'class') {
      el.className = value;
    } else if (name === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (name === 'aria') {
      for (const [k, v] of Object.entries(value)) el.setAttribute(`aria-${k}`, String(v));
    } else if (name === 'value' || name === 'checked' || name === 'disabled') {
      el[name] = value;
    } else {
      el.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces the children of el. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let ids = 0;
/** A unique element id with a readable prefix (labels point to controls with it). */
export function uid(prefix) {
  ids += 1;
  return `${prefix}-${ids}`;
}
