// journal.js - what the Transactions and Batches pages share (Vision manual §4.1, §5): the
// search form (a required period with optional times, an amount with =, ≥, ≤, ≠, selects
// and text filters), its query string (the API's own parameters, kept in the page's hash so
// that a link can prefill and run a search), the journal table in the user's columns, the
// column chooser saved in the user's preferences (PATCH /bo/api/me/preferences), the "load
// more" pager of the keyset cursor, and the export links.

import { api, ApiError, errorMessage } from './api.js';
import { state } from './app.js';
import { openDialog } from './dialog.js';
import { h, replace, uid } from './dom.js';
import { dayInput, parseDay } from './day-input.js';
import { formatCount, formatDay, today } from './format.js';
import { t, has } from './i18n.js';
import { amountInput, parseAmount } from './money.js';
import { getScope, onScopeChange } from './scope.js';

/* --- dates -------------------------------------------------------------------------------- */

/** "YYYY-MM-DD" shifted by a number of days, or months (calendar arithmetic, no zone). */
export function shiftDay(day, { days = 0, months = 0 } = {}) {
  const [y, m, d] = day.split('-').map(Number);
  const date = new Date(Date.UTC(y, m - 1 + months, d + days));
  return date.toISOString().slice(0, 10);
}

/** The periods the period selector offers: key → [from, to] days. */
function presetRange(key) {
  const now = today();
  switch (key) {
    case 'today':
      return [now, now];
    case '7d':
      return [shiftDay(now, { days: -6 }), now];
    case '30d':
      return [shiftDay(now, { days: -29 }), now];
    case '13m':
      return [shiftDay(now, { months: -13 }), now];
    default:
      return null;
  }
}

/* --- the search form ---------------------------------------------------------------------- */

function field(label, control, hint) {
  const hintId = hint ? uid('hint') : null;
  if (hintId) control.setAttribute('aria-describedby', hintId);
  return h(
    'div',
    { class: 'field' },
    h('label', { for: control.id }, label),
    control,
    hint && h('span', { class: 'j-hint', id: hintId }, hint),
  );
}

function selectOf(id, options, value, allLabel = t('j.filter.all')) {
  return h(
    'select',
    { id, name: id },
    allLabel !== null && h('option', { value: '' }, allLabel),
    options.map((o) => h('option', { value: o.value, selected: o.value === value ? true : null }, o.label)),
  );
}

/**
 * The search form. spec = {id, fields: [{key, label, kind: 'text'|'digits'|'select'|'amount'|'date',
 * options, hint, placeholder}], currency: () => the currency amounts are typed in}. query:
 * URLSearchParams to prefill it. onSearch(params) is called with the API's parameters.
 * Returns {el, read() → URLSearchParams (throws Error with .field), fill(query), run(q) (a
 * search as if submitted: chips, filters folded, onSearch)}.
 */
export function searchForm(spec, query, onSearch) {
  const p = spec.id;
  const fromDate = dayInput({ id: `${p}-from`, required: true });
  const fromTime = h('input', { type: 'time', id: `${p}-from-time` });
  const toDate = dayInput({ id: `${p}-to`, required: true });
  const toTime = h('input', { type: 'time', id: `${p}-to-time` });
  const preset = selectOf(
    `${p}-period`,
    ['today', '7d', '30d', '13m'].map((k) => ({ value: k, label: t(`j.period.${k}`) })),
    '',
    t('j.period.custom'),
  );
  preset.addEventListener('change', () => {
    const range = presetRange(preset.value);
    if (!range) return;
    [fromDate.value, toDate.value] = range;
    fromTime.value = '';
    toTime.value = '';
  });
  /* The quick period names the dates shown when they are one of its periods, else "Custom". */
  function showPreset() {
    const whole = !fromTime.value && !toTime.value;
    const match = ['today', '7d', '30d', '13m'].find((k) => {
      const [a, b] = presetRange(k);
      return whole && fromDate.value === a && toDate.value === b;
    });
    preset.value = match || '';
  }
  for (const input of [fromDate, toDate, fromTime, toTime]) {
    input.addEventListener('input', showPreset);
  }

  const controls = {};
  const filterFields = spec.fields.map((f) => {
    const id = `${p}-${f.key.replace(/_/g, '-')}`;
    if (f.kind === 'amount') {
      const op = selectOf(
        `${id}-op`,
        ['eq', 'ge', 'le', 'ne'].map((k) => ({ value: k, label: t(`j.amount.${k}`) })),
        'eq',
        null,
      );
      op.setAttribute('aria-label', t('j.amount.op'));
      const value = h('input', { type: 'text', id, inputmode: 'decimal', autocomplete: 'off' });
      controls[f.key] = { op, value, kind: f.kind, label: f.label };
      return h(
        'div',
        { class: 'field' },
        h('label', { for: id }, f.label),
        h('div', { class: 'amount-filter' }, op, value),
      );
    }
    let control;
    if (f.kind === 'select') {
      control = selectOf(id, f.options, '');
    } else if (f.kind === 'date') {
      control = dayInput({ id });
    } else {
      control = h('input', {
        type: 'text',
        id,
        autocomplete: 'off',
        inputmode: f.kind === 'digits' ? 'numeric' : null,
        placeholder: f.placeholder || null,
        maxlength: f.maxlength || null,
      });
    }
    controls[f.key] = { value: control, kind: f.kind, label: f.label };
    return field(f.label, control, f.hint);
  });

  const error = h('p', { class: 'error', role: 'alert', id: `${p}-error`, hidden: true });
  const toggle = h(
    'button',
    { type: 'button', class: 'button j-button-quiet', id: `${p}-toggle`, 'aria-expanded': 'true', 'aria-controls': `${p}-filters` },
    t('j.filters.hide'),
  );
  const grid = h('div', { class: 'filters-grid', id: `${p}-filters` }, filterFields);
  function showFilters(show) {
    toggle.setAttribute('aria-expanded', String(show));
    toggle.textContent = t(show ? 'j.filters.hide' : 'j.filters.show');
    grid.hidden = !show;
  }
  toggle.addEventListener('click', () => showFilters(grid.hidden));

  /* Results first: once a search runs, its filters fold away and each one it applies shows as a
     chip (its label and value) that removes it, so a folded filter never acts unseen. */
  const chips = h('ul', { class: 'filter-chips', id: `${p}-chips`, 'aria-label': t('j.chips.label'), hidden: true });
  function chipText(f, v) {
    const c = controls[f.key];
    if (c.kind === 'amount') {
      const m = /^(eq|ge|le|ne):(\d+)$/.exec(v);
      return m ? `${t(`j.amount.${m[1]}`)} ${amountInput(Number(m[2]), currency())}` : v;
    }
    if (c.kind === 'select') {
      const o = [...c.value.options].find((x) => x.value === v);
      return o ? o.textContent : v;
    }
    if (c.kind === 'date') return formatDay(v);
    return v;
  }
  function showChips(q) {
    const active = spec.fields.filter((f) => q.get(f.key));
    replace(
      chips,
      active.map((f) =>
        h(
          'li',
          { class: 'filter-chip', dataset: { key: f.key } },
          h('span', {}, t('j.chips.field', { field: f.label }), ' ', h('strong', {}, chipText(f, q.get(f.key)))),
          h(
            'button',
            { type: 'button', class: 'filter-chip-remove', 'aria-label': t('j.chips.remove', { field: f.label }), title: t('j.chips.remove', { field: f.label }), dataset: { remove: f.key } },
            '×',
          ),
        ),
      ),
    );
    chips.hidden = !active.length;
  }
  chips.addEventListener('click', (e) => {
    const b = e.target.closest('[data-remove]');
    if (!b) return;
    const c = controls[b.dataset.remove];
    c.value.value = '';
    if (c.op) c.op.value = 'eq';
    form.requestSubmit();
  });
  /** Runs a search of the form: its chips, the filters folded, then the page's search. */
  function run(q) {
    showChips(q);
    showFilters(false);
    onSearch(q);
  }
  const reset = h('button', { type: 'button', class: 'button', id: `${p}-reset` }, t('j.filters.reset'));
  const submit = h('button', { type: 'submit', class: 'button button--primary', id: `${p}-submit` }, t('j.filters.search'));

  const form = h(
    'form',
    { class: 'card search-form', id: `${p}-form`, novalidate: true, 'aria-labelledby': `${p}-form-title` },
    h('div', { class: 'search-head' }, h('h2', { id: `${p}-form-title` }, t('j.filters.title')), toggle),
    chips,
    h(
      'fieldset',
      { class: 'period' },
      h('legend', {}, t('j.period.legend')),
      field(t('j.period.preset'), preset),
      h('div', { class: 'period-pair' }, field(t('j.period.from'), fromDate), field(t('j.period.from_time'), fromTime)),
      h('div', { class: 'period-pair' }, field(t('j.period.to'), toDate), field(t('j.period.to_time'), toTime)),
    ),
    grid,
    error,
    h('div', { class: 'actions' }, submit, reset),
  );

  function currency() {
    const c = controls.currency && controls.currency.value.value.trim().toUpperCase();
    return c && /^[A-Z]{3}$/.test(c) ? c : 'EUR';
  }

  function fail(message, input) {
    const e = new Error(message);
    e.input = input;
    throw e;
  }

  /** The API parameters of the form, checked; throws Error {message, input}. */
  function read() {
    const q = new URLSearchParams();
    if (!fromDate.value) fail(t('j.error.from_required'), fromDate);
    if (!toDate.value) fail(t('j.error.to_required'), toDate);
    if (!parseDay(fromDate.value)) fail(t('j.error.day', { field: t('j.period.from') }), fromDate);
    if (!parseDay(toDate.value)) fail(t('j.error.day', { field: t('j.period.to') }), toDate);
    const from = fromTime.value ? `${fromDate.value}T${fromTime.value}` : fromDate.value;
    const to = toTime.value ? `${toDate.value}T${toTime.value}` : toDate.value;
    const start = `${fromDate.value}T${fromTime.value || '00:00'}`;
    const end = `${toDate.value}T${toTime.value || '23:59'}`;
    if (start > end) fail(t('j.error.order'), toDate);
    q.set('from', from);
    q.set('to', to);
    for (const f of spec.fields) {
      const c = controls[f.key];
      const v = c.value.value.trim();
      if (!v) continue;
      if (c.kind === 'amount') {
        const minor = parseAmount(v, currency());
        if (minor === null) fail(t('j.error.amount', { field: c.label }), c.value);
        q.set(f.key, `${c.op.value}:${minor}`);
      } else if (c.kind === 'date') {
        if (!parseDay(v)) fail(t('j.error.day', { field: c.label }), c.value);
        q.set(f.key, v);
      } else if (c.kind === 'digits') {
        if (!/^\d{1,18}$/.test(v)) fail(t('j.error.digits', { field: c.label }), c.value);
        q.set(f.key, v);
      } else if (f.key === 'currency') {
        if (!/^[A-Za-z]{3}$/.test(v)) fail(t('j.error.currency'), c.value);
        q.set(f.key, v.toUpperCase());
      } else {
        q.set(f.key, v);
      }
    }
    return q;
  }

  /** Fills the form from API parameters (a link's, or the last search's). */
  function fill(query) {
    const [fd, ft = ''] = (query.get('from') || '').split('T');
    const [td, tt = ''] = (query.get('to') || '').split('T');
    fromDate.value = fd || '';
    fromTime.value = ft.slice(0, 5);
    toDate.value = td || '';
    toTime.value = tt.slice(0, 5);
    for (const f of spec.fields) {
      const c = controls[f.key];
      const v = query.get(f.key) || '';
      if (c.kind === 'amount') {
        const m = /^(eq|ge|le|ne):(\d+)$/.exec(v);
        c.op.value = m ? m[1] : 'eq';
        c.value.value = m ? amountInput(Number(m[2]), query.get('currency') || 'EUR') : '';
      } else if (c.kind === 'select' && v && ![...c.value.options].some((o) => o.value === v)) {
        // A value the list does not have yet (a shop outside the loaded tree): keep it.
        c.value.append(h('option', { value: v }, v));
        c.value.value = v;
      } else {
        c.value.value = v;
      }
    }
    showPreset();
  }

  function showError(message, input) {
    error.textContent = message;
    error.hidden = false;
    if (input) {
      if (grid.hidden && grid.contains(input)) toggle.click();
      input.setAttribute('aria-invalid', 'true');
      input.focus();
    }
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
    error.hidden = true;
    let q;
    try {
      q = read();
    } catch (err) {
      showError(err.message, err.input);
      return;
    }
    run(q);
  });
  reset.addEventListener('click', () => {
    form.reset();
    const [a, b] = presetRange(spec.defaultPeriod || '30d');
    fromDate.value = a;
    toDate.value = b;
    showPreset();
    error.hidden = true;
    for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  });

  fill(query);
  if (!fromDate.value || !toDate.value) {
    const [a, b] = presetRange(spec.defaultPeriod || '30d');
    fromDate.value = fromDate.value || a;
    toDate.value = toDate.value || b;
  }
  showPreset();
  return { el: form, read, fill, showError, controls, run };
}

/** Whether a query has what a search needs (a link may carry only some filters). */
export function runnable(query) {
  return query.has('from') && query.has('to');
}

/** The API's "bad field" answer as a sentence naming the form's field. */
export function searchError(err, labels = {}) {
  if (err instanceof ApiError && err.code === 'invalid_field' && err.body && err.body.field) {
    const name = labels[err.body.field] || err.body.field;
    if (err.body.field === 'node') return t('j.error.node');
    return t('j.error.field', { field: name });
  }
  if (err instanceof ApiError && err.status === 404 && getScope()) return t('j.error.node');
  return errorMessage(err);
}

/** Keeps the search in the page's hash (no navigation): a reload or a shared link runs it again. */
export function keepInHash(route, query) {
  const qs = query.toString();
  const hash = `#/${route}${qs ? `?${qs}` : ''}`;
  if (window.location.hash !== hash) window.history.replaceState(null, '', hash);
}

/* --- the journal table -------------------------------------------------------------------- */

/**
 * A journal table. opts = {id, caption, columns: [key], label(key), cell(item, key) → Node or
 * text, lead: {label, render(item) → Node} (a first column that is not the user's choice:
 * the details button), rowClass(item), key(item) → row id}.
 */
export function journalTable(opts) {
  let columns = opts.columns.slice();
  let items = [];
  const caption = h('caption', { class: 'visually-hidden' }, opts.caption);
  const thead = h('thead');
  const tbody = h('tbody');
  const table = h('table', { class: 'journal', id: opts.id }, caption, thead, tbody);
  const wrap = h('div', { class: 'table-scroll', role: 'region', 'aria-label': opts.caption, tabindex: 0 }, table);

  function head() {
    replace(
      thead,
      h(
        'tr',
        {},
        opts.lead && h('th', { scope: 'col', class: 'lead' }, h('span', { class: 'visually-hidden' }, opts.lead.label)),
        columns.map((key) => h('th', { scope: 'col', dataset: { col: key } }, opts.label(key))),
      ),
    );
  }

  function row(item) {
    return h(
      'tr',
      { class: (opts.rowClass && opts.rowClass(item)) || null, dataset: { id: String(opts.key(item)) } },
      opts.lead && h('td', { class: 'lead' }, opts.lead.render(item)),
      columns.map((key) => {
        const v = opts.cell(item, key);
        return h('td', { dataset: { col: key }, class: (opts.cellClass && opts.cellClass(key)) || null }, v);
      }),
    );
  }

  head();
  return {
    el: wrap,
    table,
    get items() {
      return items;
    },
    set(list) {
      items = list.slice();
      replace(tbody, items.map(row));
    },
    add(list) {
      items.push(...list);
      tbody.append(...list.map(row));
    },
    /** Replaces the row of item (same key) with its new values. */
    update(item) {
      const k = String(opts.key(item));
      const i = items.findIndex((x) => String(opts.key(x)) === k);
      if (i < 0) return;
      items[i] = item;
      const tr = tbody.querySelector(`tr[data-id="${CSS.escape(k)}"]`);
      if (tr) tr.replaceWith(row(item));
    },
    setColumns(cols) {
      columns = cols.slice();
      head();
      replace(tbody, items.map(row));
    },
    get columns() {
      return columns;
    },
  };
}

/** A details list: rows = [[i18n key of the term, value (Node or text; "—" when empty), id?]]. */
export function detailsList(rows) {
  return h(
    'dl',
    { class: 'details details--cols' },
    rows.map(([key, value, id]) => [
      h('dt', {}, t(key)),
      h('dd', { id: id || null }, value === null || value === undefined || value === '' ? none() : value),
    ]),
  );
}

/** "—" for what the answer does not have. */
export function none() {
  return h('span', { class: 'muted', title: t('j.none') }, '—');
}

/** The text of a code ("sent") through its i18n key, or the code itself. */
export function label(prefix, code) {
  if (code === null || code === undefined || code === '') return none();
  return has(`${prefix}.${code}`) ? t(`${prefix}.${code}`) : String(code);
}

/* --- columns ------------------------------------------------------------------------------ */

/**
 * The column chooser of a journal ("transactions" or "batches"): a checkbox and up/down
 * buttons per column, saved with PATCH /bo/api/me/preferences; "reset" saves null (the
 * default). Resolves with the new columns, or null when cancelled.
 */
export function chooseColumns(journal, colLabel) {
  return new Promise((resolve) => {
    const prefs = state.prefs || {};
    const current = (prefs.columns && prefs.columns[journal]) || [];
    const available = (prefs.available_columns && prefs.available_columns[journal]) || current;
    const order = [...current, ...available.filter((k) => !current.includes(k))];
    let result = null;
    const list = h('ol', { class: 'columns-list', id: `columns-${journal}` });
    const error = h('p', { class: 'error', role: 'alert', hidden: true });

    function item(key) {
      const id = uid('col');
      const up = h('button', { type: 'button', class: 'icon-button', dataset: { move: 'up' }, 'aria-label': t('j.columns.up', { name: colLabel(key) }), title: t('j.columns.up', { name: colLabel(key) }) }, '↑');
      const down = h('button', { type: 'button', class: 'icon-button', dataset: { move: 'down' }, 'aria-label': t('j.columns.down', { name: colLabel(key) }), title: t('j.columns.down', { name: colLabel(key) }) }, '↓');
      const li = h(
        'li',
        { dataset: { col: key } },
        h('input', { type: 'checkbox', id, checked: current.includes(key) ? true : null, value: key }),
        h('label', { for: id }, colLabel(key)),
        h('span', { class: 'move' }, up, down),
      );
      up.addEventListener('click', () => {
        const prev = li.previousElementSibling;
        if (prev) prev.before(li);
        up.focus();
      });
      down.addEventListener('click', () => {
        const next = li.nextElementSibling;
        if (next) next.after(li);
        down.focus();
      });
      return li;
    }
    list.append(...order.map(item));

    const save = h('button', { type: 'button', class: 'button button--primary', id: 'columns-save' }, t('j.columns.save'));
    const reset = h('button', { type: 'button', class: 'button', id: 'columns-reset' }, t('j.columns.reset'));
    const cancel = h('button', { type: 'button', class: 'button j-button-quiet', id: 'columns-cancel' }, t('j.dialog.cancel'));
    const d = openDialog({
      title: t('j.columns.title'),
      content: [h('p', { class: 'muted' }, t('j.columns.intro')), list, error],
      actions: [save, reset, cancel],
      id: 'columns-dialog',
    });

    async function patch(value) {
      error.hidden = true;
      try {
        const answer = await api.patch('/bo/api/me/preferences', { columns: { [journal]: value } });
        if (answer && answer.columns) state.prefs = { ...state.prefs, ...answer };
        else state.prefs = await api.get('/bo/api/me/preferences');
        result = state.prefs.columns[journal];
        d.close();
      } catch (err) {
        error.textContent = errorMessage(err);
        error.hidden = false;
      }
    }
    save.addEventListener('click', () => {
      const chosen = [...list.querySelectorAll('input:checked')].map((i) => i.value);
      if (!chosen.length) {
        error.textContent = t('j.columns.empty');
        error.hidden = false;
        return;
      }
      patch(chosen);
    });
    reset.addEventListener('click', () => patch(null));
    cancel.addEventListener('click', () => d.close());
    d.closed.then(() => resolve(result));
  });
}

/* --- paging and exports ------------------------------------------------------------------- */

/** The line under a journal: how many rows are shown, and whether more follow. */
export function countText(n, more) {
  if (n === 0) return t('j.count.none');
  return t(more ? 'j.count.more' : 'j.count.all', { n: formatCount(n) });
}

/** The export's layouts (layout=, docs/EXPORTS.md): a spreadsheet's first, the default here. */
const EXPORT_LAYOUTS = ['classic', 'machine', 'old'];

/** The export links of a search: CSV and TXT of the same parameters (the cookie goes along),
 * in the layout chosen beside them (a spreadsheet's by default); with report, also the user's
 * electronic reporting format (format=report, docs/EREPORTING.md), which has its own. */
export function exportLinks(path, idPrefix, { report = false } = {}) {
  const csv = h('a', { class: 'button', id: `${idPrefix}-export-csv`, href: '#', download: '' }, t('j.export.csv'));
  const txt = h('a', { class: 'button', id: `${idPrefix}-export-txt`, href: '#', download: '' }, t('j.export.txt'));
  const rep = report
    ? h('a', { class: 'button', id: `${idPrefix}-export-report`, href: '#', download: '' }, t('j.export.report'))
    : null;
  const layout = h(
    'select',
    { id: `${idPrefix}-export-layout`, 'aria-label': t('j.export.layout'), title: t('j.export.layout') },
    EXPORT_LAYOUTS.map((l) => h('option', { value: l }, t(`j.export.layout.${l}`))),
  );
  const box = h(
    'div',
    { class: 'j-export', hidden: true },
    h('span', { class: 'j-export-label', id: `${idPrefix}-export-label` }, t('j.export.label')),
    layout,
    csv,
    txt,
    rep,
  );
  let last = null;
  function links(query) {
    const q = new URLSearchParams(query);
    q.delete('cursor');
    q.delete('limit');
    const s = getScope();
    if (s) q.set('node', String(s.id));
    q.set('layout', layout.value);
    q.set('format', 'csv');
    csv.href = `${path}?${q}`;
    q.set('format', 'txt');
    txt.href = `${path}?${q}`;
    if (rep) {
      q.delete('layout');
      q.set('format', 'report');
      rep.href = `${path}?${q}`;
    }
  }
  layout.addEventListener('change', () => last !== null && links(last));
  return {
    el: box,
    set(query) {
      last = query;
      links(query);
      box.hidden = false;
    },
    hide() {
      box.hidden = true;
    },
  };
}

/** The query string of a search, with the tree's node when one is chosen. */
export function withScope(query) {
  const q = new URLSearchParams(query);
  const s = getScope();
  if (s) q.set('node', String(s.id));
  else q.delete('node');
  return q;
}

/** The chosen node of the tree, as a line under a page's title (or nothing). */
export function scopeLine() {
  const s = getScope();
  return h(
    'p',
    { class: 'scope-line', id: 'scope-line' },
    s ? t('j.scope.node', { name: s.name }) : t('j.scope.all'),
  );
}

function whenText(v) {
  if (!v) return '';
  const [day, time] = v.split('T');
  return time ? `${formatDay(day)} ${time.slice(0, 5)}` : formatDay(day);
}

/** The period of a search in words: "du 26/10/2026 au 25/11/2026". */
export function periodText(query) {
  return t('j.period.text', { from: whenText(query.get('from')), to: whenText(query.get('to')) });
}

/**
 * A journal's pages by key (the API's `next` cursor): search(q) shows the first page of the
 * search q, more() adds the next one; an answer older than the last search is dropped.
 * opts: {path (the API's), table (journalTable), more (the button), status, error, labels
 * (searchError's), focus (the selector, in a new row, of what takes the focus after more()),
 * shown(items) after a first page, failed() after an error}. Returns {search, more, last()}.
 */
export function keysetPaging({ path, table, more, status, error, labels, focus, shown, failed, page = 50 }) {
  let last = null; // the API parameters of the search shown
  let next = null;
  let busy = false; // a page being added
  let seq = 0;

  function settle() {
    more.hidden = !next;
    status.textContent = countText(table.items.length, Boolean(next));
  }

  async function search(q) {
    const mine = ++seq;
    last = q;
    error.hidden = true;
    status.textContent = t('j.searching');
    table.table.setAttribute('aria-busy', 'true');
    try {
      const answer = await api.get(`${path}?${withScope(q)}&limit=${page}`);
      if (mine !== seq) return;
      table.set(answer.items || []);
      next = answer.next || null;
      if (shown) shown(table.items);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return;
      if (mine !== seq) return;
      table.set([]);
      next = null;
      if (failed) failed();
      error.textContent = searchError(err, labels);
      error.hidden = false;
    } finally {
      if (mine === seq) {
        settle();
        table.table.removeAttribute('aria-busy');
      }
    }
  }

  async function loadMore() {
    if (!next || busy || !last) return;
    busy = true;
    more.disabled = true;
    const mine = seq;
    try {
      const q = withScope(last);
      q.set('limit', String(page));
      q.set('cursor', next);
      const answer = await api.get(`${path}?${q}`);
      if (mine !== seq) return;
      const before = table.items.length;
      table.add(answer.items || []);
      next = answer.next || null;
      // The first new row's control, so keyboard users go on from there.
      const firstNew = table.table.querySelectorAll('tbody tr')[before];
      if (firstNew && firstNew.querySelector(focus)) firstNew.querySelector(focus).focus();
    } catch (err) {
      error.textContent = searchError(err, labels);
      error.hidden = false;
    } finally {
      busy = false;
      more.disabled = false;
      settle();
    }
  }

  more.addEventListener('click', loadMore);
  return { search, more: loadMore, last: () => last };
}

/* --- a journal page ----------------------------------------------------------------------- */

/**
 * A journal page as Batches, Installment plans and Subscriptions lay it out: the title, the
 * tree's node, an introduction, the search form, then the journal's card (its toolbar, the
 * messages, the table, "more"). parts = {p (the ids' prefix), title, intro, form, scopeEl,
 * journalTitle, actions: [Node] (the toolbar's buttons), exports (exportLinks' el), error,
 * status, empty, table, more}.
 */
export function journalPage({ p, title, intro, form, scopeEl, journalTitle, actions, exports, error, status, empty, table, more }) {
  return h(
    'section',
    { class: 'journal-page', 'aria-labelledby': `${p}-title` },
    h('h1', { id: `${p}-title` }, title),
    scopeEl,
    h('p', { class: 'muted' }, intro),
    form.el,
    h(
      'section',
      { class: 'card journal-card', 'aria-labelledby': `${p}-journal-title` },
      h('h2', { id: `${p}-journal-title` }, journalTitle),
      h('div', { class: 'journal-toolbar' }, h('div', { class: 'actions' }, actions), exports),
      error,
      status,
      empty,
      table.el,
      h('div', { class: 'actions journal-more' }, more),
    ),
  );
}

/**
 * Runs a journal page: its search again when the tree's node changes while the page is shown,
 * and the form's first search (a link's, or the default period's).
 */
export function runJournal({ root, scopeEl, form, paging, search }) {
  const off = onScopeChange(() => {
    if (!root.isConnected) {
      off();
      return;
    }
    replace(scopeEl, scopeLine().textContent);
    if (paging.last()) search(paging.last());
  });
  firstSearch(form, search);
  return root;
}

/** Runs the search the form holds (a link's, or the default period's), if it is whole. */
export function firstSearch(form, search) {
  let first = null;
  try {
    first = form.read();
  } catch {
    first = null;
  }
  if (first) (form.run || search)(first);
}
