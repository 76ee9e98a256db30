// pages/batches.js - the batches page ("remises", Vision manual §5; SPEC §7): the search
// (period with optional times, total amount with =, ≥, ≤, ≠, contract, rang, batch number,
// status, payment method), the journal in the user's columns with keyset paging, CSV/TXT
// export, and from each batch a link to its transactions (the transactions page with
// batch=ID, prefilled and run). The search lives in the hash: the contracts page links here
// with contract=NUMBER.

import { state } from '../app.js';
import { h } from '../dom.js';
import { formatAmount, formatCount, formatDateTime, formatDay, timeZone } from '../format.js';
import { t } from '../i18n.js';
import {
  chooseColumns, exportLinks, journalPage, journalTable, keepInHash, keysetPaging, label, none,
  runJournal, scopeLine, searchForm, shiftDay,
} from '../journal.js';

const PAGE = 50;
const METHODS = ['CB', 'VISA', 'MASTERCARD', 'E-BLEUE', 'AMEX', 'JCB', 'PAYPAL'];
const AMOUNTS = new Set(['credit_amount', 'debit_amount', 'total']);
const COUNTS = new Set(['credit_count', 'debit_count', 'transaction_count']);

export const colLabel = (key) => t(`col.b.${key}`);

/** The calendar day of an instant in the user's zone, "YYYY-MM-DD". */
function dayOf(instant) {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: timeZone(),
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(new Date(instant));
  const get = (type) => parts.find((p) => p.type === type).value;
  return `${get('year')}-${get('month')}-${get('day')}`;
}

/** The transactions page searching a batch's transactions (accepted up to 13 months before). */
export function batchTransactionsHref(batch) {
  const day = batch.created_at ? dayOf(batch.created_at) : null;
  const q = new URLSearchParams();
  if (day) {
    q.set('from', shiftDay(day, { months: -13 }));
    q.set('to', shiftDay(day, { days: 1 }));
  }
  q.set('batch', String(batch.id));
  return `#/transactions?${q}`;
}

function cell(item, key) {
  const v = item[key];
  if (v === undefined || v === null || v === '') return none();
  if (AMOUNTS.has(key)) return formatAmount(v, item.currency || 'EUR');
  if (COUNTS.has(key)) return formatCount(v);
  if (key === 'created_at') return formatDateTime(v);
  if (key === 'bank_date') return formatDay(v);
  if (key === 'status') return label('b.status', v);
  return String(v);
}

export async function render({ query }) {
  const fields = [
    { key: 'amount', label: t('b.f.amount'), kind: 'amount' },
    { key: 'contract', label: t('b.f.contract'), kind: 'text' },
    { key: 'rang', label: t('b.f.rang'), kind: 'text', placeholder: '001', maxlength: 3 },
    { key: 'number', label: t('b.f.number'), kind: 'digits' },
    { key: 'status', label: t('b.f.status'), kind: 'select', options: [{ value: 'sent', label: t('b.status.sent') }] },
    { key: 'payment_method', label: t('b.f.payment_method'), kind: 'select', options: METHODS.map((m) => ({ value: m, label: m })) },
  ];
  const fieldLabels = Object.fromEntries(fields.map((f) => [f.key, f.label]));
  Object.assign(fieldLabels, { from: t('j.period.from'), to: t('j.period.to') });

  const status = h('p', { class: 'journal-status', id: 'b-count', role: 'status', 'aria-live': 'polite' });
  const error = h('p', { class: 'error', role: 'alert', id: 'b-error', hidden: true });
  const empty = h('p', { class: 'notice', id: 'b-empty', hidden: true }, t('b.empty'));
  const more = h('button', { type: 'button', class: 'button', id: 'b-more', hidden: true }, t('j.more'));
  const exports = exportLinks('/bo/api/batches/export', 'b');
  const columnsButton = h('button', { type: 'button', class: 'button', id: 'b-columns' }, t('j.columns.button'));
  const scopeEl = scopeLine();

  const table = journalTable({
    id: 'b-journal',
    caption: t('b.journal'),
    columns: (state.prefs && state.prefs.columns && state.prefs.columns.batches) || ['created_at', 'number', 'total', 'currency'],
    label: colLabel,
    cell,
    cellClass: (key) => (AMOUNTS.has(key) || COUNTS.has(key) ? 'num' : null),
    key: (item) => item.id,
    lead: {
      label: t('b.transactions'),
      render: (item) =>
        h(
          'a',
          {
            class: 'button button--small',
            href: batchTransactionsHref(item),
            dataset: { batch: String(item.id) },
            'aria-label': t('b.transactions_of', { number: item.number ?? item.id }),
          },
          t('b.transactions'),
        ),
    },
  });

  const form = searchForm({ id: 'b', fields, defaultPeriod: '30d' }, query, (q) => search(q));

  function rangCheck(q) {
    const rang = q.get('rang');
    if (rang && !/^\d{3}$/.test(rang)) {
      form.showError(t('b.error.rang'), form.controls.rang.value);
      return false;
    }
    return true;
  }

  const paging = keysetPaging({
    path: '/bo/api/batches',
    table,
    more,
    status,
    error,
    labels: fieldLabels,
    focus: 'a',
    page: PAGE,
    shown: (items) => {
      empty.hidden = items.length > 0;
    },
    failed: () => exports.hide(),
  });

  function search(q) {
    if (!rangCheck(q)) return;
    keepInHash('batches', q);
    empty.hidden = true;
    exports.set(q);
    paging.search(q);
  }

  columnsButton.addEventListener('click', async () => {
    const cols = await chooseColumns('batches', colLabel);
    if (cols) table.setColumns(cols);
  });

  const root = journalPage({
    p: 'b',
    title: t('nav.batches'),
    intro: t('b.intro'),
    form,
    scopeEl,
    journalTitle: t('b.journal'),
    actions: [columnsButton],
    exports: exports.el,
    error,
    status,
    empty,
    table,
    more,
  });
  return runJournal({ root, scopeEl, form, paging, search });
}
