// dialog.js - modal dialogs and tabs for the journals' details and confirmations.
//
// Dialogs are native <dialog> elements opened with showModal(): the browser keeps the focus
// inside, makes the rest of the page inert and closes on Escape. The focus goes to the
// dialog's first field (or its first button) and back to what opened it when it closes.
// A navigation (hash change) closes every dialog, so none outlives its page.

import { errorMessage } from './api.js';
import { h, replace, uid } from './dom.js';
import { t } from './i18n.js';

const open = new Set();

window.addEventListener('hashchange', () => {
  for (const d of [...open]) d.close();
});

// The shell replaces the page without a hash change too (sign-in after a 401): a dialog whose
// page is gone closes.
const pageGone = new MutationObserver(() => {
  for (const d of [...open]) if (d.page && !d.page.isConnected) d.close();
});

/** Where the focus goes back: the opener, or its twin when the opener was redrawn. */
function returnFocus(opener) {
  let target = opener;
  if (target && !target.isConnected) {
    const key = Object.keys(target.dataset || {})[0];
    const name = key && key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    target = name ? document.querySelector(`[data-${name}="${CSS.escape(opener.dataset[key])}"]`) : null;
    if (!target && opener.id) target = document.getElementById(opener.id);
  }
  if (target && target.isConnected && typeof target.focus === 'function') target.focus();
}

/**
 * Opens a modal dialog. title: text; content: Node(s); actions: Node(s) of the footer;
 * wide: a larger dialog; id: the element's id. Returns {dialog, body, footer, close(),
 * closed: Promise resolved once it is closed}.
 */
export function openDialog({ title, content, actions, wide = false, id }) {
  const opener = document.activeElement;
  const titleId = uid('dialog-title');
  const body = h('div', { class: 'jdialog-body' }, content);
  const footer = h('div', { class: 'jdialog-footer actions' }, actions);
  const closeButton = h(
    'button',
    { type: 'button', class: 'jdialog-close', 'aria-label': t('j.dialog.close'), title: t('j.dialog.close') },
    '×',
  );
  const dialog = h(
    'dialog',
    { class: wide ? 'jdialog jdialog--wide' : 'jdialog', 'aria-labelledby': titleId, id },
    h('div', { class: 'jdialog-head' }, h('h2', { id: titleId }, title), closeButton),
    body,
    footer,
  );
  let resolveClosed;
  const closed = new Promise((resolve) => {
    resolveClosed = resolve;
  });
  closeButton.addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => {
    open.delete(dialog);
    dialog.remove();
    returnFocus(opener);
    resolveClosed();
  });
  document.body.append(dialog);
  dialog.page = document.getElementById('main');
  const app = document.getElementById('app');
  if (app) pageGone.observe(app, { childList: true });
  open.add(dialog);
  dialog.showModal();
  focusFirst(dialog);
  return { dialog, body, footer, close: () => dialog.close(), closed };
}

/** Moves the focus to the dialog's [data-autofocus], first field, or first footer button. */
export function focusFirst(dialog) {
  const target =
    dialog.querySelector('[data-autofocus]') ||
    dialog.querySelector('.jdialog-body input, .jdialog-body select, .jdialog-body textarea') ||
    dialog.querySelector('.jdialog-footer button:not([disabled])') ||
    dialog.querySelector('.jdialog-close');
  if (target) target.focus();
}

/**
 * A confirmation that runs the operation itself, so its error shows in the dialog.
 * text: what will happen; confirm: the button's label; field: optional Node (an amount
 * field) placed before the buttons; run(): async, throws ApiError or an Error to show;
 * dismiss: the other button's label ("Fermer" where "Annuler" would read as the operation).
 * Resolves with run()'s result, or null when cancelled.
 */
export function confirmDialog({ title, text, confirm, field, run, id, danger = false, dismiss = t('j.dialog.cancel') }) {
  return new Promise((resolve) => {
    let result = null;
    const error = h('p', { class: 'error', role: 'alert', hidden: true });
    const ok = h(
      'button',
      { type: 'submit', class: danger ? 'button j-button-danger' : 'button button--primary', id: id && `${id}-confirm` },
      confirm,
    );
    const cancel = h('button', { type: 'button', class: 'button', id: id && `${id}-cancel` }, dismiss);
    const form = h(
      'form',
      { class: 'form', novalidate: true },
      h('p', {}, text),
      field,
      error,
      h('div', { class: 'actions' }, ok, cancel),
    );
    const d = openDialog({ title, content: form, id });
    cancel.addEventListener('click', () => d.close());
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      ok.disabled = true;
      error.hidden = true;
      try {
        result = await run();
        d.close();
      } catch (err) {
        error.textContent = err && err.name === 'ApiError' ? errorMessage(err) : String(err.message || err);
        error.hidden = false;
        ok.disabled = false;
        const input = form.querySelector('[aria-invalid="true"]') || form.querySelector('input');
        if (input) input.focus();
      }
    });
    d.closed.then(() => resolve(result));
  });
}

/**
 * Tabs (WAI-ARIA tabs pattern): tabs = [{key, label, render: () => Node}]. Arrow keys,
 * Home and End move between tabs; the panel is built when its tab is chosen.
 */
export function tabs(items, { idPrefix = uid('tabs'), label } = {}) {
  const list = h('div', { role: 'tablist', class: 'tabs', 'aria-label': label });
  const panel = h('div', { role: 'tabpanel', class: 'tab-panel', tabindex: 0 });
  const buttons = items.map((item, i) =>
    h(
      'button',
      {
        type: 'button',
        role: 'tab',
        class: 'tab',
        id: `${idPrefix}-${item.key}`,
        'aria-selected': 'false',
        'aria-controls': `${idPrefix}-panel`,
        tabindex: -1,
        dataset: { index: String(i) },
      },
      item.label,
    ),
  );
  panel.id = `${idPrefix}-panel`;
  function select(i, focus) {
    buttons.forEach((b, j) => {
      b.setAttribute('aria-selected', String(i === j));
      b.tabIndex = i === j ? 0 : -1;
      if (i === j) b.setAttribute('data-autofocus', '');
      else b.removeAttribute('data-autofocus');
    });
    panel.setAttribute('aria-labelledby', buttons[i].id);
    replace(panel, items[i].render());
    if (focus) buttons[i].focus();
  }
  buttons.forEach((b, i) => {
    b.addEventListener('click', () => select(i, false));
    b.addEventListener('keydown', (e) => {
      const n = buttons.length;
      const moves = { ArrowRight: (i + 1) % n, ArrowLeft: (i - 1 + n) % n, Home: 0, End: n - 1 };
      if (e.key in moves) {
        e.preventDefault();
        select(moves[e.key], true);
      }
    });
  });
  list.append(...buttons);
  select(0, false);
  const el = h('div', { class: 'tabs-box' }, list, panel);
  return { el, select: (key) => select(Math.max(0, items.findIndex((x) => x.key === key)), false), refresh: () => {
    const i = buttons.findIndex((b) => b.getAttribute('aria-selected') === 'true');
    select(i < 0 ? 0 : i, false);
  } };
}
