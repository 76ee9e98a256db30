// pages/blocklist.js - Parameters › Card blocklist (Vision manual §9.3; SPEC §11; README
// "Risk"): the entries of the node the tree navigation chose (or the user's own) and below,
// newest first, 50 a page: kind, value (a card's masked number, a BIN, a buyer's e-mail, a
// customer country with its name), the node it applies to, the reason, until when, who added
// it and when, and an "expired" mark on those past their day. Filters: kind, text (value or
// reason), expired ones too; the same search as a CSV or TXT file. The action and administrator
// profiles add entries (a card number checked here as the server checks it: 12 to 19 digits
// and Luhn; a BIN of 6 or 8 digits; an e-mail; a country of the server's list) and remove
// them after a confirmation; the others only read. An entry removed is accepted again at once.
//
// GET /bo/api/blocklist?node&kind&q&expired=1&cursor&limit → {items:[{id, kind, value, node_id,
// node_name, node_level, reason, expires_at, expired, created_at, created_by, txn_id}], next};
// POST /bo/api/blocklist {kind, value, node?, reason?, expires_at?} → 201 the entry (400
// invalid_field with "field", 404 node outside the scope, 409 already_blocked);
// DELETE /bo/api/blocklist/{id} → 204; GET /bo/api/blocklist/export?format=csv|txt&… → the file.

import { api, ApiError, errorMessage } from '../api.js';
import { may } from '../app.js';
import { confirmDialog } from '../confirm-dialog.js';
import { countryCodes, countryLabel, countryOptions } from '../countries.js';
import { h, replace } from '../dom.js';
import { dayInput } from '../day-input.js';
import { formatCount, formatDateTime, formatDay, today } from '../format.js';
import { t } from '../i18n.js';
import { exportLinks, keepInHash, none, scopeLine, shiftDay } from '../journal.js';
import { getScope, onScopeChange } from '../scope.js';
import { subtree, treeNodes } from '../tree.js';

export const KINDS = ['card', 'bin', 'email', 'country'];
const ADD = 'POST /bo/api/blocklist';
const REMOVE = 'DELETE /bo/api/blocklist/{id}';
const PAGE = 50;
const REASON_MAX = 200; // bytes of UTF-8, as the server counts: an accented letter is two

/** The length of a text as the server counts it (UTF-8 bytes). */
export function byteLength(text) {
  return new TextEncoder().encode(text).length;
}

/** Whether a string of digits passes the Luhn check (ISO/IEC 7812-1). */
export function luhn(digits) {
  let sum = 0;
  for (let i = 0; i < digits.length; i += 1) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/**
 * The value to send for kind, checked as the server checks it: {value} or {error: i18n key}.
 * countries: the codes the server knows.
 */
export function checkValue(kind, raw, countries = []) {
  const text = String(raw || '').trim();
  if (!text) return { error: kind === 'country' ? 'bl.err.country' : 'bl.err.value' };
  switch (kind) {
    case 'card': {
      const digits = text.replace(/[\s-]/g, '');
      return /^\d{12,19}$/.test(digits) && luhn(digits) ? { value: digits } : { error: 'bl.err.card' };
    }
    case 'bin': {
      const digits = text.replace(/\s/g, '');
      return /^(\d{6}|\d{8})$/.test(digits) ? { value: digits } : { error: 'bl.err.bin' };
    }
    case 'email':
      return text.length <= 254 && /^[^\s@]+@[^\s@]+\.[^\s@.]+$/.test(text) ? { value: text.toLowerCase() } : { error: 'bl.err.email' };
    case 'country':
      return countries.includes(text) ? { value: text } : { error: 'bl.err.country' };
    default:
      return { error: 'bl.err.kind' };
  }
}

/** The value of an entry as the list shows it. */
function valueText(e) {
  return e.kind === 'country' ? countryLabel(e.value) : String(e.value);
}

function scopeCell(e) {
  return [
    h('span', { class: 'cell-level' }, e.node_name || String(e.node_id || '')),
    e.node_level ? h('span', { class: 'cell-sub' }, t(`bl.level.${e.node_level}`)) : null,
  ];
}

function scopeText(e) {
  const level = e.node_level ? t(`bl.level.${e.node_level}`) : '';
  return level ? `${level} · ${e.node_name || e.node_id}` : String(e.node_name || e.node_id || '');
}

function nodeLabel(n) {
  const level = t(`bl.level.${n.level}`);
  return n.site ? `${level} · ${n.name} (${n.site}/${n.rang})` : `${level} · ${n.name}`;
}

/** The transactions page opening the details of the transaction an entry was blocked from. */
function transactionHref(e) {
  const day = (e.created_at || today()).slice(0, 10);
  const q = new URLSearchParams({
    from: shiftDay(day, { months: -13 }),
    to: shiftDay(day, { days: 1 }),
    id: String(e.txn_id),
    details: String(e.txn_id),
  });
  return `#/transactions?${q}`;
}

/**
 * A labelled control with its hint and its own error line, tied to it (aria-describedby),
 * so a refusal is said beside the field it is about. Returns {el, control, set(control), error(text)}.
 */
function fieldBox({ id, label, control, hint }) {
  const labelEl = h('label', { for: id }, label);
  const hintEl = hint ? h('p', { class: 'field-hint', id: `${id}-hint` }, hint) : null;
  const errorEl = h('p', { class: 'field-error', id: `${id}-error`, role: 'alert', hidden: true });
  const el = h('div', { class: 'field' }, labelEl, control, hintEl, errorEl);
  const box = {
    el,
    control,
    labelEl,
    hintEl,
    set(next) {
      next.id = id;
      box.control.replaceWith(next);
      box.control = next;
      watch(next);
      box.error('');
    },
    error(text) {
      const c = box.control;
      errorEl.textContent = text || '';
      errorEl.hidden = !text;
      if (text) c.setAttribute('aria-invalid', 'true');
      else c.removeAttribute('aria-invalid');
      c.setAttribute('aria-describedby', [hintEl && hintEl.id, text && errorEl.id].filter(Boolean).join(' '));
    },
  };
  // What was said about the value goes once the user changes it.
  function watch(c) {
    c.addEventListener('input', () => {
      if (!errorEl.hidden) box.error('');
    });
  }
  control.id = id;
  watch(control);
  box.error('');
  return box;
}

export async function render({ query } = {}) {
  const canAdd = may(ADD);
  const canRemove = may(REMOVE);
  const scopeEl = scopeLine();
  const error = h('p', { class: 'error', role: 'alert', id: 'bl-error', hidden: true });
  const done = h('p', { class: 'success', role: 'status', id: 'bl-done', tabindex: -1, hidden: true });
  const say = (box, text) => {
    box.textContent = text || '';
    box.hidden = !text;
  };

  /* --- the search ------------------------------------------------------------------------- */

  const kind = h(
    'select',
    { id: 'bl-kind', name: 'kind' },
    h('option', { value: '' }, t('bl.f.kind.all')),
    KINDS.map((k) => h('option', { value: k }, t(`bl.kind.${k}`))),
  );
  const q = h('input', { type: 'search', id: 'bl-q', name: 'q', autocomplete: 'off', maxlength: 200, 'aria-describedby': 'bl-q-hint' });
  const expired = h('input', { type: 'checkbox', id: 'bl-expired', name: 'expired' });
  if (query) {
    if (KINDS.includes(query.get('kind'))) kind.value = query.get('kind');
    q.value = query.get('q') || '';
    expired.checked = query.get('expired') === '1';
  }
  const searchForm = h(
    'form',
    { class: 'card bl-search', id: 'bl-search', novalidate: true, role: 'search', 'aria-labelledby': 'bl-search-title' },
    h('h2', { id: 'bl-search-title' }, t('bl.filters')),
    h(
      'div',
      { class: 'filters' },
      h('div', { class: 'field' }, h('label', { for: 'bl-kind' }, t('bl.f.kind')), kind),
      h('div', { class: 'field bl-q' }, h('label', { for: 'bl-q' }, t('bl.f.q')), q),
      h('div', { class: 'field field--check' }, expired, h('label', { for: 'bl-expired' }, t('bl.f.expired'))),
      h('button', { type: 'submit', class: 'button button--primary', id: 'bl-submit' }, t('bl.f.search')),
    ),
    h('p', { class: 'field-hint', id: 'bl-q-hint' }, t('bl.f.q.hint')),
  );

  function params() {
    const p = new URLSearchParams();
    if (kind.value) p.set('kind', kind.value);
    if (q.value.trim()) p.set('q', q.value.trim());
    if (expired.checked) p.set('expired', '1');
    return p;
  }

  function withNode(p) {
    const s = getScope();
    const out = new URLSearchParams(p);
    if (s) out.set('node', String(s.id));
    return out;
  }

  /* --- the list --------------------------------------------------------------------------- */

  const status = h('p', { class: 'journal-status', id: 'bl-count', role: 'status', 'aria-live': 'polite' });
  const tbody = h('tbody', { id: 'bl-rows' });
  const table = h(
    'table',
    { class: 'journal bl-table', id: 'bl-table' },
    h('caption', { class: 'visually-hidden' }, t('bl.list')),
    h('thead', {}, h('tr', {}, ['kind', 'value', 'scope', 'reason', 'expires', 'created', ...(canRemove ? ['action'] : [])].map((c) =>
      h('th', { scope: 'col' }, t(`bl.col.${c}`))))),
    tbody,
  );
  const tableWrap = h('div', { class: 'table-scroll', role: 'region', 'aria-label': t('bl.list'), tabindex: 0, hidden: true }, table);
  const more = h('button', { type: 'button', class: 'button', id: 'bl-more', hidden: true }, t('bl.more'));
  const exports = exportLinks('/bo/api/blocklist/export', 'bl');
  const addLink = canAdd
    ? h('button', { type: 'button', class: 'button', id: 'bl-to-add' }, t('bl.add'))
    : null;

  let shown = 0;
  let cursor = null;
  let seq = 0;

  function row(e) {
    const remove = canRemove
      ? h(
          'button',
          {
            type: 'button',
            class: 'button button--small j-button-danger-quiet',
            dataset: { remove: String(e.id) },
            'aria-label': t('bl.remove_of', { value: valueText(e) }),
          },
          t('bl.remove'),
        )
      : null;
    if (remove) remove.addEventListener('click', () => removeEntry(e, remove));
    const by = e.created_by;
    return h(
      'tr',
      { dataset: { id: String(e.id), kind: e.kind }, class: e.expired ? 'row--inactive' : null },
      h('td', {}, t(`bl.kind.${e.kind}`)),
      h(
        'td',
        { class: 'wrap-anywhere' },
        h('span', { class: e.kind === 'card' || e.kind === 'bin' ? 'bl-value mono' : 'bl-value' }, valueText(e)),
        e.txn_id ? h('a', { class: 'cell-sub', href: transactionHref(e) }, t('bl.from_txn', { id: e.txn_id })) : null,
      ),
      h('td', {}, scopeCell(e)),
      h('td', { class: 'wrap-anywhere' }, e.reason || none()),
      h(
        'td',
        { class: 'nowrap' },
        e.expires_at ? formatDay(e.expires_at) : h('span', { class: 'muted' }, t('bl.never')),
        e.expired ? [' ', h('span', { class: 'badge badge--muted bl-expired' }, t('bl.expired'))] : null,
      ),
      h(
        'td',
        {},
        by ? h('span', { class: 'cell-level', title: by.login || null }, by.name || by.login) : h('span', { class: 'cell-level muted' }, t('bl.system')),
        e.created_at ? h('span', { class: 'cell-sub' }, h('time', { datetime: e.created_at }, formatDateTime(e.created_at))) : null,
      ),
      canRemove ? h('td', {}, remove) : null,
    );
  }

  async function fetchPage(append) {
    const mine = ++seq;
    table.setAttribute('aria-busy', 'true');
    say(error, '');
    const p = withNode(params());
    p.set('limit', String(PAGE));
    if (append && cursor) p.set('cursor', cursor);
    try {
      const answer = await api.get(`/bo/api/blocklist?${p}`);
      if (mine !== seq) return;
      const items = (answer && answer.items) || [];
      if (!append) {
        replace(tbody);
        shown = 0;
      }
      const before = tbody.rows.length;
      tbody.append(...items.map(row));
      shown += items.length;
      cursor = (answer && answer.next) || null;
      more.hidden = !cursor;
      status.textContent = shown ? t(cursor ? 'bl.count.more' : 'bl.count', { n: formatCount(shown) }) : t('bl.none');
      tableWrap.hidden = !shown;
      if (shown) exports.set(params());
      else exports.hide();
      // "Show more": the keyboard goes on from the first new row.
      if (append && tbody.rows[before]) {
        const target = tbody.rows[before].querySelector('button, a');
        if (target) target.focus();
      }
      results.dataset.state = 'loaded';
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return;
      if (mine !== seq) return;
      status.textContent = '';
      say(error, err instanceof ApiError && err.status === 404 && getScope() ? t('j.error.node') : errorMessage(err));
    } finally {
      if (mine === seq) table.removeAttribute('aria-busy');
    }
  }

  function search() {
    keepInHash('blocklist', params());
    cursor = null;
    return fetchPage(false);
  }

  searchForm.addEventListener('submit', (e) => {
    e.preventDefault();
    say(done, '');
    search();
  });
  more.addEventListener('click', async () => {
    more.disabled = true;
    await fetchPage(true);
    more.disabled = false;
  });

  async function removeEntry(e, button) {
    say(error, '');
    say(done, '');
    const value = valueText(e);
    const yes = await confirmDialog({
      title: t('bl.remove.title'),
      text: t('bl.remove.text', { value, kind: t(`bl.kind.${e.kind}`), scope: scopeText(e) }),
      confirm: t('bl.remove.go'),
      danger: true,
    });
    if (!yes) return;
    button.disabled = true;
    try {
      await api.del(`/bo/api/blocklist/${encodeURIComponent(e.id)}`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return;
      button.disabled = false;
      say(error, errorMessage(err));
      if (err instanceof ApiError && err.status === 404) await fetchPage(false); // gone already
      return;
    }
    const tr = button.closest('tr');
    if (tr) tr.remove();
    shown = Math.max(0, shown - 1);
    status.textContent = shown ? t(cursor ? 'bl.count.more' : 'bl.count', { n: formatCount(shown) }) : t('bl.none');
    tableWrap.hidden = !shown;
    say(done, t('bl.removed', { value }));
    done.focus();
  }

  const results = h(
    'section',
    { class: 'card journal-card', 'aria-labelledby': 'bl-list-title' },
    h('h2', { id: 'bl-list-title' }, t('bl.list')),
    h('div', { class: 'journal-toolbar' }, h('div', { class: 'actions' }, addLink), exports.el),
    status,
    tableWrap,
    h('div', { class: 'actions journal-more' }, more),
  );

  /* --- the form to add one ---------------------------------------------------------------- */

  const adder = canAdd ? await addForm() : null;
  if (addLink) addLink.addEventListener('click', () => adder.focus());

  async function addForm() {
    let countries = [];
    try {
      countries = await countryCodes();
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) throw err;
      countries = []; // said when a country is chosen: the server's list is missing
    }
    const kindSel = h('select', { name: 'kind' }, KINDS.map((k) => h('option', { value: k }, t(`bl.kind.${k}`))));
    const kindBox = fieldBox({ id: 'bl-add-kind', label: t('bl.add.kind'), control: kindSel });
    const valueBox = fieldBox({ id: 'bl-add-value', label: '', control: h('input', { type: 'text' }), hint: ' ' });
    const nodeSel = h('select', { name: 'node' });
    const nodeBox = fieldBox({ id: 'bl-add-node', label: t('bl.add.node'), control: nodeSel, hint: t('bl.add.node.hint') });
    const reason = h('input', { type: 'text', name: 'reason', maxlength: REASON_MAX, autocomplete: 'off' });
    const reasonBox = fieldBox({ id: 'bl-add-reason', label: t('bl.add.reason'), control: reason, hint: t('bl.add.reason.hint') });
    const expires = dayInput({ name: 'expires_at', min: today() });
    const expiresBox = fieldBox({ id: 'bl-add-expires', label: t('bl.add.expires'), control: expires, hint: t('bl.add.expires.hint') });
    const boxes = { kind: kindBox, value: valueBox, node: nodeBox, reason: reasonBox, expires_at: expiresBox };
    const formError = h('p', { class: 'error', role: 'alert', id: 'bl-add-error', hidden: true });
    const submit = h('button', { type: 'submit', class: 'button button--primary', id: 'bl-add-submit' }, t('bl.add.submit'));

    /** The value's control for the kind chosen: a country list, or a text field. */
    function valueControl() {
      const k = kindSel.value;
      valueBox.labelEl.textContent = t(`bl.add.value.${k}`);
      valueBox.hintEl.textContent = t(`bl.add.value.${k}.hint`);
      let c;
      if (k === 'country') {
        c = h(
          'select',
          { name: 'value' },
          h('option', { value: '' }, t('bl.add.country.choose')),
          countryOptions(countries).map((o) => h('option', { value: o.value }, o.label)),
        );
      } else {
        c = h('input', {
          type: k === 'email' ? 'email' : 'text',
          name: 'value',
          autocomplete: 'off',
          spellcheck: 'false',
          inputmode: k === 'email' ? 'email' : 'numeric',
          maxlength: k === 'email' ? 254 : k === 'bin' ? 8 : 23,
          class: k === 'email' ? null : 'mono',
        });
      }
      valueBox.set(c);
    }
    kindSel.addEventListener('change', valueControl);
    valueControl();

    async function fillNodes() {
      const nodes = (await treeNodes()) || [];
      const s = getScope();
      const list = s ? subtree(nodes, s.id) : nodes; // the node chosen and what is below it
      replace(nodeSel, list.map((n) => h('option', { value: String(n.id) }, nodeLabel(n))));
      nodeBox.el.hidden = !list.length; // no tree: the server takes the user's own node
    }
    await fillNodes();

    const form = h(
      'form',
      { class: 'bl-add-form', id: 'bl-add-form', novalidate: true },
      h('div', { class: 'bl-add-grid' }, kindBox.el, valueBox.el, nodeBox.el, reasonBox.el, expiresBox.el),
      formError,
      h('div', { class: 'actions' }, submit),
    );

    function clearErrors() {
      for (const b of Object.values(boxes)) b.error('');
      say(formError, '');
    }

    function fieldError(name, text) {
      const b = boxes[name];
      if (!b) {
        say(formError, text);
        return;
      }
      b.error(text);
      say(formError, t('bl.err.fix'));
      b.control.focus();
    }

    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearErrors();
      say(done, '');
      const k = kindSel.value;
      const checked = checkValue(k, valueBox.control.value, countries);
      if (checked.error) {
        fieldError('value', t(checked.error));
        return;
      }
      const body = { kind: k, value: checked.value };
      if (!nodeBox.el.hidden && nodeSel.value) body.node = Number(nodeSel.value);
      const why = reason.value.trim();
      if (byteLength(why) > REASON_MAX) {
        fieldError('reason', t('bl.err.reason'));
        return;
      }
      if (why) body.reason = why;
      if (expires.value) {
        if (!/^\d{4}-\d{2}-\d{2}$/.test(expires.value) || expires.value < today()) {
          fieldError('expires_at', t('bl.err.expires_at'));
          return;
        }
        body.expires_at = expires.value;
      }
      submit.disabled = true;
      try {
        const made = await api.post('/bo/api/blocklist', body);
        valueBox.control.value = '';
        reason.value = '';
        expires.value = '';
        // A card is named by its masked number only, even in this message.
        const said = made && made.value ? valueText(made) : k === 'card' ? `${body.value.slice(0, 6)}…${body.value.slice(-4)}` : valueText(body);
        say(done, t('bl.added', { value: said }));
        await search();
        valueBox.control.focus();
      } catch (err) {
        if (err instanceof ApiError && err.status === 401) return;
        if (err instanceof ApiError && err.code === 'invalid_field' && boxes[err.body.field]) {
          const f = err.body.field;
          fieldError(f, t(f === 'value' ? `bl.err.${k}` : `bl.err.${f}`));
        } else if (err instanceof ApiError && err.code === 'already_blocked') {
          fieldError('value', errorMessage(err));
        } else if (err instanceof ApiError && err.status === 404) {
          fieldError('node', t('bl.err.node'));
        } else {
          say(formError, errorMessage(err));
        }
      } finally {
        submit.disabled = false;
      }
    });

    const el = h(
      'section',
      { class: 'card bl-add', id: 'bl-add', 'aria-labelledby': 'bl-add-title' },
      h('h2', { id: 'bl-add-title' }, t('bl.add')),
      form,
    );
    return { el, fillNodes, focus: () => kindSel.focus() };
  }

  const page = h(
    'section',
    { class: 'journal-page blocklist', 'aria-labelledby': 'bl-title' },
    h('h1', { id: 'bl-title' }, t('nav.blocklist')),
    scopeEl,
    h('p', { class: 'muted bl-intro' }, t('bl.intro')),
    searchForm,
    error,
    done,
    results,
    adder && adder.el,
  );
  await search();
  // The tree navigation chose another node: the same search there, and the form's scopes.
  const stop = onScopeChange(() => {
    if (!page.isConnected) {
      stop();
      return;
    }
    replace(scopeEl, scopeLine().textContent);
    if (adder) adder.fillNodes();
    search();
  });
  return page;
}
