// pages/reconciliation.js - the bank reconciliation journal ("JRB", Vision manual §8;
// docs/RECONCILIATION.md): the search of §8.1.3 (period with optional times, transaction,
// contract, rang, order reference, amount, type, batch number, JRB number, batch date, status, net
// amount), the journal with the columns of §8.1.2, keyset paging and CSV/TXT export; then the
// queue of mismatches (amount differs, unknown line, missing line), each marked resolved with
// a comment; and, for who may, the import of an acquirer's return file.
//
// GET /bo/api/reconciliation?… → {items, next}; GET /bo/api/reconciliation/mismatches?status&kind
// → {items, next}; POST /bo/api/reconciliation/mismatches/ID/resolve {comment};
// POST /bo/api/reconciliation/files?name=NAME, the file's bytes.

import { api, errorMessage, uploadBytes } from '../api.js';
import { may } from '../app.js';
import { h, replace } from '../dom.js';
import { errorBox, say, statusBox } from '../form-fields.js';
import { formatAmount, formatCount, formatDateTime } from '../format.js';
import { t } from '../i18n.js';
import {
  exportLinks, journalPage, journalTable, keepInHash, keysetPaging, label, none, runJournal,
  scopeLine, searchForm,
} from '../journal.js';
import { scopeParam } from '../scope.js';

const PAGE = 50;
const COLUMNS = [
  'id', 'created_at', 'order_ref', 'amount', 'type', 'batch_number', 'jrb_number', 'batch_at',
  'reconciled', 'reconciled_at', 'net_amount', 'commission', 'contract', 'rang',
];
const AMOUNTS = new Set(['amount', 'net_amount', 'commission']);
const KINDS = ['amount', 'unknown', 'missing'];

function cell(item, key) {
  const v = item[key];
  if (key === 'reconciled') {
    if (!v) return h('span', { class: 'badge badge--muted' }, t('jrb.status.none'));
    return h('span', { class: `badge ${v === 'yes' ? 'badge--ok' : 'badge--danger'}` }, label('jrb.status', v));
  }
  if (v === undefined || v === null || v === '') return none();
  if (key === 'commission') return formatAmount(v, item.commission_currency || item.currency);
  if (AMOUNTS.has(key)) return formatAmount(v, item.currency || 'EUR');
  if (key === 'created_at' || key === 'batch_at' || key === 'reconciled_at') return formatDateTime(v);
  if (key === 'type') return label('jrb.type', v);
  return String(v);
}

/** The return file, its bytes as they are. */
async function upload(file) {
  return uploadBytes('POST', `/bo/api/reconciliation/files?name=${encodeURIComponent(file.name)}`, file,
    'text/plain', t('jrb.upload.too_large'));
}

function uploadCard(onDone) {
  const input = h('input', { type: 'file', id: 'jrb-file', accept: '.txt,text/plain', required: true });
  const error = errorBox('jrb-upload-error');
  const done = statusBox('jrb-upload-done');
  const lines = h('ul', { id: 'jrb-upload-errors', class: 'error-list', hidden: true });
  const button = h('button', { type: 'submit', class: 'button button--primary', id: 'jrb-upload' }, t('jrb.upload.button'));
  const form = h(
    'form',
    {
      class: 'card',
      id: 'jrb-upload-form',
      'aria-labelledby': 'jrb-upload-title',
      onsubmit: async (e) => {
        e.preventDefault();
        say(error, '');
        say(done, '');
        lines.hidden = true;
        const file = input.files && input.files[0];
        if (!file) {
          say(error, t('jrb.upload.none'));
          input.focus();
          return;
        }
        button.disabled = true;
        try {
          const r = await upload(file);
          say(done, r.already_imported
            ? t('jrb.upload.already', { name: r.name })
            : t('jrb.upload.done', { lines: formatCount(r.lines), matched: formatCount(r.matched), mismatched: formatCount(r.mismatched) }));
          form.reset();
          onDone();
        } catch (err) {
          say(error, errorMessage(err));
          const list = err.body && err.body.errors;
          if (list && list.length) {
            replace(lines, ...list.map((x) => h('li', {}, t('jrb.upload.line', { line: x.line, message: x.message }))));
            lines.hidden = false;
          }
        } finally {
          button.disabled = false;
        }
      },
    },
    h('h2', { id: 'jrb-upload-title' }, t('jrb.upload.title')),
    h('p', { class: 'muted' }, t('jrb.upload.intro')),
    h('div', { class: 'field' }, h('label', { for: 'jrb-file' }, t('jrb.upload.file')), input),
    h('div', { class: 'actions' }, button),
    error,
    lines,
    done,
  );
  return form;
}

function mismatchCard() {
  const status = h(
    'select',
    { id: 'jrb-m-status' },
    ['open', 'resolved', 'all'].map((s) => h('option', { value: s }, t(`jrb.m.status.${s}`))),
  );
  const kind = h(
    'select',
    { id: 'jrb-m-kind' },
    h('option', { value: '' }, t('jrb.m.kind.all')),
    KINDS.map((k) => h('option', { value: k }, t(`jrb.m.kind.${k}`))),
  );
  const error = errorBox('jrb-m-error');
  const summary = h('p', { id: 'jrb-m-summary', class: 'muted', role: 'status', 'aria-live': 'polite' });
  const tbody = h('tbody', { id: 'jrb-m-rows' });
  const more = h('button', { type: 'button', class: 'button', id: 'jrb-m-more', hidden: true }, t('j.more'));
  const canResolve = may('POST /bo/api/reconciliation/mismatches/{id}/resolve');
  let cursor = null;
  let shown = 0;
  let seq = 0;

  function resolveForm(m, tr) {
    const id = `jrb-m-comment-${m.id}`;
    const comment = h('textarea', { id, maxlength: 500, rows: 2, required: true });
    const err = errorBox(`jrb-m-resolve-error-${m.id}`);
    const save = h('button', { type: 'submit', class: 'button button--primary', dataset: { save: String(m.id) } }, t('jrb.m.save'));
    const f = h(
      'form',
      {
        class: 'jrb-resolve',
        onsubmit: async (e) => {
          e.preventDefault();
          say(err, '');
          if (!comment.value.trim()) {
            say(err, t('jrb.m.comment_needed'));
            comment.focus();
            return;
          }
          save.disabled = true;
          try {
            const r = await api.post(`/bo/api/reconciliation/mismatches/${m.id}/resolve`, { comment: comment.value.trim() });
            tr.replaceWith(row(r));
          } catch (x) {
            say(err, errorMessage(x));
            save.disabled = false;
          }
        },
      },
      h('label', { for: id }, t('jrb.m.comment')),
      comment,
      save,
      err,
    );
    return f;
  }

  function row(m) {
    const tr = h('tr', { dataset: { mismatch: String(m.id), kind: m.kind } });
    const state = m.resolved
      ? h('div', {}, h('span', { class: 'badge badge--ok' }, t('jrb.m.resolved')),
        h('span', { class: 'cell-sub' }, t('jrb.m.resolved_by', { who: m.resolved_by, at: formatDateTime(m.resolved_at) })),
        h('span', { class: 'cell-sub jrb-comment' }, m.comment))
      : canResolve
        ? h('button', {
          type: 'button',
          class: 'button button--small',
          dataset: { resolve: String(m.id) },
          onclick: (e) => e.currentTarget.replaceWith(resolveForm(m, tr)),
        }, t('jrb.m.resolve'))
        : h('span', { class: 'badge badge--danger' }, t('jrb.m.open'));
    tr.append(
      h('td', {}, h('span', { class: 'badge badge--danger' }, t(`jrb.m.kind.${m.kind}`))),
      h('td', { class: 'nowrap' }, formatDateTime(m.created_at)),
      h('td', {}, m.transaction_id ? h('a', { href: `#/transactions?from=2000-01-01&to=2100-01-01&id=${m.transaction_id}` }, m.transaction_id) : m.reference),
      h('td', {}, String(m.batch_number), h('span', { class: 'cell-sub' }, `${m.contract} / ${m.rang} · JRB ${m.jrb_number}`)),
      h('td', { class: 'num' }, m.kind === 'unknown' ? none() : formatAmount(m.expected, m.currency)),
      h('td', { class: 'num' }, m.kind === 'missing' ? none() : formatAmount(m.received, m.currency)),
      h('td', {}, state),
    );
    return tr;
  }

  async function load(append) {
    const mine = ++seq;
    say(error, '');
    const q = new URLSearchParams({ status: status.value });
    if (kind.value) q.set('kind', kind.value);
    if (append && cursor) q.set('cursor', cursor);
    try {
      const r = await api.get(`/bo/api/reconciliation/mismatches?${q}${scopeParam()}`);
      if (mine !== seq) return;
      if (!append) {
        replace(tbody);
        shown = 0;
      }
      tbody.append(...r.items.map(row));
      shown += r.items.length;
      cursor = r.next || null;
      more.hidden = !cursor;
      summary.textContent = shown ? t('jrb.m.shown', { n: formatCount(shown) }) : t('jrb.m.none');
    } catch (err) {
      if (mine === seq) say(error, errorMessage(err));
    }
  }
  status.addEventListener('change', () => load(false));
  kind.addEventListener('change', () => load(false));
  more.addEventListener('click', () => load(true));

  const card = h(
    'section',
    { class: 'card journal-card', id: 'jrb-mismatches', 'aria-labelledby': 'jrb-m-title' },
    h('h2', { id: 'jrb-m-title' }, t('jrb.m.title')),
    h('p', { class: 'muted' }, t('jrb.m.intro')),
    h(
      'div',
      { class: 'filters' },
      h('div', { class: 'field' }, h('label', { for: 'jrb-m-status' }, t('jrb.m.status')), status),
      h('div', { class: 'field' }, h('label', { for: 'jrb-m-kind' }, t('jrb.m.kind')), kind),
    ),
    error,
    summary,
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'table', id: 'jrb-m-table' },
        h('caption', { class: 'visually-hidden' }, t('jrb.m.title')),
        h('thead', {}, h('tr', {}, ['kind', 'at', 'txn', 'batch', 'expected', 'received', 'state'].map((c) => h('th', { scope: 'col' }, t(`jrb.m.col.${c}`))))),
        tbody,
      ),
    ),
    h('div', { class: 'actions journal-more' }, more),
  );
  return { el: card, load };
}

export async function render({ query }) {
  const fields = [
    { key: 'id', label: t('jrb.f.id'), kind: 'digits' },
    { key: 'contract', label: t('jrb.f.contract'), kind: 'text' },
    { key: 'rang', label: t('jrb.f.rang'), kind: 'text', placeholder: '001', maxlength: 3 },
    { key: 'order_ref', label: t('jrb.f.order_ref'), kind: 'text' },
    { key: 'amount', label: t('jrb.f.amount'), kind: 'amount' },
    { key: 'type', label: t('jrb.f.type'), kind: 'select', options: ['debit', 'credit'].map((v) => ({ value: v, label: t(`jrb.type.${v}`) })) },
    { key: 'batch', label: t('jrb.f.batch'), kind: 'digits' },
    { key: 'jrb', label: t('jrb.f.jrb'), kind: 'digits' },
    { key: 'batch_from', label: t('jrb.f.batch_from'), kind: 'date' },
    { key: 'batch_to', label: t('jrb.f.batch_to'), kind: 'date' },
    { key: 'status', label: t('jrb.f.status'), kind: 'select', options: ['yes', 'error', 'none'].map((v) => ({ value: v, label: t(`jrb.status.${v}`) })) },
    { key: 'net', label: t('jrb.f.net'), kind: 'amount' },
  ];
  const labels = Object.fromEntries(fields.map((f) => [f.key, f.label]));
  Object.assign(labels, { from: t('j.period.from'), to: t('j.period.to') });

  const status = h('p', { class: 'journal-status', id: 'jrb-count', role: 'status', 'aria-live': 'polite' });
  const error = h('p', { class: 'error', role: 'alert', id: 'jrb-error', hidden: true });
  const empty = h('p', { class: 'notice', id: 'jrb-empty', hidden: true }, t('jrb.empty'));
  const more = h('button', { type: 'button', class: 'button', id: 'jrb-more', hidden: true }, t('j.more'));
  const exports = exportLinks('/bo/api/reconciliation/export', 'jrb');
  const scopeEl = scopeLine();
  const table = journalTable({
    id: 'jrb-journal',
    caption: t('jrb.journal'),
    columns: COLUMNS,
    label: (key) => t(`jrb.col.${key}`),
    cell,
    cellClass: (key) => (AMOUNTS.has(key) ? 'num' : null),
    key: (item) => item.id,
    rowClass: (item) => (item.reconciled === 'error' ? 'row--error' : null),
  });
  const form = searchForm({ id: 'jrb', fields, defaultPeriod: '30d' }, query, (q) => search(q));
  const paging = keysetPaging({
    path: '/bo/api/reconciliation',
    table,
    more,
    status,
    error,
    labels,
    focus: 'td',
    page: PAGE,
    shown: (items) => {
      empty.hidden = items.length > 0;
    },
    failed: () => exports.hide(),
  });
  const queue = mismatchCard();

  function search(q) {
    const rang = q.get('rang');
    if (rang && !/^\d{3}$/.test(rang)) {
      form.showError(t('jrb.error.rang'), form.controls.rang.value);
      return;
    }
    keepInHash('reconciliation', q);
    empty.hidden = true;
    exports.set(q);
    paging.search(q);
    queue.load(false);
  }

  const root = journalPage({
    p: 'jrb',
    title: t('nav.reconciliation'),
    intro: t('jrb.intro'),
    form,
    scopeEl,
    journalTitle: t('jrb.journal'),
    actions: [],
    exports: exports.el,
    error,
    status,
    empty,
    table,
    more,
  });
  root.append(queue.el);
  if (may('POST /bo/api/reconciliation/files')) {
    root.append(uploadCard(() => {
      const last = paging.last();
      if (last) paging.search(last);
      queue.load(false);
    }));
  }
  return runJournal({ root, scopeEl, form, paging, search });
}
