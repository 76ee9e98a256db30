// pages/batches.js - the batches page ("remises", Vision manual §5; SPEC §7): the search
// (period with optional times, total amount with =, ≥, ≤, ≠, contract, rang, batch number,
// status, payment method), the journal in the user's columns with keyset paging, CSV/TXT
// export, and from each batch a link to its transactions (the transactions page searching
// the batch's number and contract, prefilled and run, under a header saying which batch:
// batchHeader). The search lives in the hash: the contracts page links here with
// contract=NUMBER.

import { state } from '../app.js';
import { api, errorMessage } from '../api.js';
import { h } from '../dom.js';
import { formatAmount, formatCount, formatDateTime, formatDay, timeZone } from '../format.js';
import { t } from '../i18n.js';
import {
  chooseColumns, detailsList, exportLinks, journalPage, journalTable, keepInHash, keysetPaging,
  label, none, runJournal, scopeLine, searchForm, shiftDay,
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

/**
 * The transactions page searching a batch's transactions (accepted up to 13 months before):
 * its number and contract (the number is per contract), as a user would type them, and its
 * id for the header (batchHeader).
 */
export function batchTransactionsHref(batch) {
  const day = batch.created_at ? dayOf(batch.created_at) : null;
  const q = new URLSearchParams();
  if (day) {
    q.set('from', shiftDay(day, { months: -13 }));
    q.set('to', shiftDay(day, { days: 1 }));
  }
  q.set('batch', String(batch.number));
  if (batch.contract) q.set('contract', batch.contract);
  q.set('batch_id', String(batch.id));
  return `#/transactions?${q}`;
}

/** The batches page showing one batch's day and contract (the way back from its transactions). */
export function batchJournalHref(batch) {
  const day = dayOf(batch.created_at);
  return `#/batches?${new URLSearchParams({ from: day, to: day, contract: batch.contract, number: String(batch.number) })}`;
}

/**
 * The header of a batch's transactions (GET /bo/api/batches/{id}): which batch (number,
 * contract and rang, bank date, sending), its counts and totals, a way back to the batches
 * page, and onClear to search without it. {el, loaded: Promise of the batch or null}.
 */
export function batchHeader(id, onClear) {
  const el = h('section', { class: 'card batch-header', id: 'tx-batch-header', 'aria-labelledby': 'tx-batch-title', 'aria-busy': 'true' });
  const loaded = api.get(`/bo/api/batches/${encodeURIComponent(id)}`).then(
    (b) => {
      const money = (v) => formatAmount(v, b.currency || 'EUR');
      el.removeAttribute('aria-busy');
      el.dataset.batch = String(b.id);
      const clear = h('button', { type: 'button', class: 'button', id: 'tx-batch-clear' }, t('b.h.clear'));
      clear.addEventListener('click', () => {
        el.remove();
        onClear();
      });
      el.append(
        h('h2', { id: 'tx-batch-title' }, t('b.h.title', { number: b.number, contract: b.contract, rang: b.rang })),
        detailsList([
          ['b.h.number', String(b.number), 'tx-batch-number'],
          ['b.h.contract', `${b.contract} / ${b.rang}`, 'tx-batch-contract'],
          ['b.h.bank_date', formatDay(b.bank_date), 'tx-batch-day'],
          ['b.h.created_at', formatDateTime(b.created_at)],
          ['b.h.payment_method', b.payment_method],
          ['b.h.count', formatCount(b.transaction_count), 'tx-batch-count'],
          ['b.h.debits', `${formatCount(b.debit_count)} · ${money(b.debit_amount)}`],
          ['b.h.credits', `${formatCount(b.credit_count)} · ${money(b.credit_amount)}`],
          ['b.h.total', money(b.total), 'tx-batch-total'],
        ]),
        h('div', { class: 'actions' }, h('a', { class: 'button', id: 'tx-batch-back', href: batchJournalHref(b) }, t('b.h.back')), clear),
      );
      return b;
    },
    (err) => {
      el.removeAttribute('aria-busy');
      el.append(h('p', { class: 'error', role: 'alert', id: 'tx-batch-error' }, errorMessage(err)));
      return null;
    },
  );
  return { el, loaded };
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
