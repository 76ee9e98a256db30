// pages/recurring.js - the installment plans ("Paiements N fois", Vision manual §6.1) and
// subscriptions ("Abonnements", §7.1) pages; SPEC §9. One module for both, told apart by
// KINDS below:
//
//   #/installment-plans?from=…&to=…&…     the search and the journal in the user's columns,
//   #/subscriptions?…                     keyset paging, CSV/TXT export of the same search
//   #/installment-plans/ID, #/subscriptions/ID
//                                         the details: every debit made (each a link to its
//                                         transaction) and to come, and "Terminate" for those
//                                         who may (a reason for a subscription), confirmed first
//
// The search lives in the hash like the other journals' (journal.js). What the user may do
// comes from the session's allowed routes and the details' "operations"; the server has the
// last word (409 not_in_progress when another user ended it first).

import { api, ApiError, errorMessage, request } from '../api.js';
import { may, state } from '../app.js';
import { confirmDialog } from '../dialog.js';
import { h, replace } from '../dom.js';
import { formatAmount, formatCount, formatDateTime, formatDay, today } from '../format.js';
import { t } from '../i18n.js';
import {
  chooseColumns, detailsList, exportLinks, journalPage, journalTable, keepInHash, keysetPaging,
  label, none, runJournal, scopeLine, searchForm, shiftDay,
} from '../journal.js';

const PAGE = 50;
const STATUSES = ['in_progress', 'finished', 'failed', 'terminated', 'will_fail'];
const AMOUNTS = new Set(['next_amount', 'amount', 'initial_amount']);
const TIMES = new Set(['created_at', 'ended_at']);
const DAYS = new Set(['next_date', 'start']);
const COUNTS = new Set(['count', 'remaining', 'done', 'every_months', 'day_of_month']);

/** The two journals: their route, API path, preference key, ids' prefix and words' prefix. */
const KINDS = {
  plan: {
    route: 'installment-plans',
    path: '/bo/api/installment-plans',
    journal: 'installment_plans',
    p: 'pl',
    title: 'nav.installment-plans',
    fallback: ['id', 'status', 'count', 'created_at', 'order_ref', 'next_amount', 'next_date'],
  },
  subscription: {
    route: 'subscriptions',
    path: '/bo/api/subscriptions',
    journal: 'subscriptions',
    p: 'sub',
    title: 'nav.subscriptions',
    fallback: ['id', 'status', 'created_at', 'order_ref', 'next_amount', 'next_date', 'every_months'],
  },
};

export const colLabel = (key) => t(`col.rc.${key}`);

function cardExpiry(v) {
  return /^\d{4}$/.test(v || '') ? `${v.slice(0, 2)}/${v.slice(2)}` : v;
}

function statusTag(status, id) {
  const bad = status === 'failed' || status === 'will_fail';
  return h('span', { class: bad ? 'tag tag--refused' : 'tag', id: id || null, dataset: { status } }, label('rc.status', status));
}

/** The contents of one cell of the journal. */
function cell(item, key) {
  const v = item[key];
  if (key === 'remaining' && v === null && item.kind === 'subscription') return t('rc.unlimited');
  if (key === 'count' && v === 0 && item.kind === 'subscription') return t('rc.unlimited');
  if (v === undefined || v === null || v === '') return none();
  if (AMOUNTS.has(key)) return formatAmount(v, item.currency || 'EUR');
  if (TIMES.has(key)) return formatDateTime(v);
  if (DAYS.has(key)) return formatDay(v);
  if (COUNTS.has(key)) return formatCount(v);
  if (key === 'status') return statusTag(v);
  if (key === 'card_expiry') return cardExpiry(v);
  if (key === 'manual') return t(v ? 'rc.yes' : 'rc.no');
  return String(v);
}

/** The page of either kind: the journal, or the details of #/ROUTE/ID. */
export function page(kind) {
  return ({ args, query }) => (args && args[0] ? details(KINDS[kind], kind, args[0]) : journal(KINDS[kind], kind, query));
}

/* --- the journal (Vision manual §6.1.1-6.1.2, §7.1.1-7.1.2) ------------------------------------ */

async function journal(k, kind, query) {
  const { p } = k;
  const fields = [
    { key: 'id', label: t('rc.f.id'), kind: 'digits' },
    { key: 'status', label: t('rc.f.status'), kind: 'select', options: STATUSES.map((s) => ({ value: s, label: t(`rc.status.${s}`) })) },
    { key: 'contract', label: t('rc.f.contract'), kind: 'text' },
    { key: 'rang', label: t('rc.f.rang'), kind: 'text', placeholder: '001', maxlength: 3 },
    { key: 'order_ref', label: t('rc.f.order_ref'), kind: 'text', hint: t('rc.f.order_ref_hint') },
    kind === 'plan' && {
      key: 'type',
      label: t('rc.f.type'),
      kind: 'select',
      options: [2, 3, 4].map((n) => ({ value: String(n), label: t('rc.type', { n }) })),
    },
    { key: 'amount', label: t('rc.f.amount'), kind: 'amount' },
    { key: 'next_from', label: t('rc.f.next_from'), kind: 'date' },
    { key: 'next_to', label: t('rc.f.next_to'), kind: 'date' },
    { key: 'email', label: t('rc.f.email'), kind: 'text' },
    { key: 'card_expiry', label: t('rc.f.card_expiry'), kind: 'text', placeholder: t('rc.f.card_expiry_placeholder'), maxlength: 4 },
    { key: 'currency', label: t('rc.f.currency'), kind: 'text', placeholder: 'EUR', maxlength: 3 },
  ].filter(Boolean);
  const fieldLabels = Object.fromEntries(fields.map((f) => [f.key, f.label]));
  Object.assign(fieldLabels, { from: t('j.period.from'), to: t('j.period.to') });

  const status = h('p', { class: 'journal-status', id: `${p}-count`, role: 'status', 'aria-live': 'polite' });
  const error = h('p', { class: 'error', role: 'alert', id: `${p}-error-api`, hidden: true });
  const empty = h('p', { class: 'notice', id: `${p}-empty`, hidden: true }, t(`rc.${kind}.empty`));
  const more = h('button', { type: 'button', class: 'button', id: `${p}-more`, hidden: true }, t('j.more'));
  const exports = exportLinks(`${k.path}/export`, p);
  const columnsButton = h('button', { type: 'button', class: 'button', id: `${p}-columns` }, t('j.columns.button'));
  const scopeEl = scopeLine();

  const table = journalTable({
    id: `${p}-journal`,
    caption: t(`rc.${kind}.journal`),
    columns: (state.prefs && state.prefs.columns && state.prefs.columns[k.journal]) || k.fallback,
    label: colLabel,
    cell,
    cellClass: (key) => (AMOUNTS.has(key) || COUNTS.has(key) ? 'num' : null),
    rowClass: (item) => (item.status === 'failed' || item.status === 'will_fail' ? 'row--refused' : null),
    key: (item) => item.id,
    lead: {
      label: t('rc.details'),
      render: (item) =>
        h(
          'a',
          {
            class: 'button button--small',
            href: `#/${k.route}/${encodeURIComponent(item.id)}`,
            dataset: { details: String(item.id) },
            'aria-label': t(`rc.${kind}.details_of`, { id: item.id }),
          },
          t('rc.details'),
        ),
    },
  });

  const form = searchForm({ id: p, fields, defaultPeriod: '13m' }, query, (q) => search(q));

  /** What the server would refuse, said before asking it. */
  function check(q) {
    const rang = q.get('rang');
    if (rang && !/^\d{3}$/.test(rang)) {
      form.showError(t('rc.error.rang'), form.controls.rang.value);
      return false;
    }
    const expiry = q.get('card_expiry');
    if (expiry && !/^(0[1-9]|1[0-2])\d\d$/.test(expiry)) {
      form.showError(t('rc.error.card_expiry'), form.controls.card_expiry.value);
      return false;
    }
    const nf = q.get('next_from');
    const nt = q.get('next_to');
    if (nf && nt && nt < nf) {
      form.showError(t('rc.error.next_order'), form.controls.next_to.value);
      return false;
    }
    return true;
  }

  const paging = keysetPaging({
    path: k.path,
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
    if (!check(q)) return;
    keepInHash(k.route, q);
    empty.hidden = true;
    exports.set(q);
    paging.search(q);
  }

  columnsButton.addEventListener('click', async () => {
    const cols = await chooseColumns(k.journal, colLabel);
    if (cols) table.setColumns(cols);
  });

  const root = journalPage({
    p,
    title: t(k.title),
    intro: t(`rc.${kind}.intro`),
    form,
    scopeEl,
    journalTitle: t(`rc.${kind}.journal`),
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

/* --- the details (§6.1.2 "Détails", §7.1.2) and terminate (§6.1.3, §7.1.3) ------------------- */

/** The transactions page showing one transaction, its details open. */
function transactionHref(debit) {
  const day = debit.date || today();
  const q = new URLSearchParams({
    from: shiftDay(day, { days: -1 }),
    to: shiftDay(day, { months: 1 }),
    id: String(debit.payment_id),
    details: String(debit.payment_id),
  });
  return `#/transactions?${q}`;
}

function debitsTable(d, kind) {
  const rows = d.installments || d.debits || [];
  if (!rows.length) return h('p', { class: 'muted', id: 'rc-debits-none' }, t('rc.debits.none'));
  const cur = d.currency || 'EUR';
  return h(
    'div',
    { class: 'table-scroll', role: 'region', 'aria-label': t(`rc.${kind}.debits`), tabindex: 0 },
    h(
      'table',
      { class: 'journal journal--compact', id: 'rc-debits' },
      h('caption', { class: 'visually-hidden' }, t(`rc.${kind}.debits`)),
      h('thead', {}, h('tr', {}, ['number', 'date', 'amount', 'status', 'payment'].map((c) => h('th', { scope: 'col' }, t(`rc.debit.${c}`))))),
      h(
        'tbody',
        {},
        rows.map((r) =>
          h(
            'tr',
            { class: r.status === 'refused' ? 'row--refused' : null, dataset: { number: String(r.number), status: r.status } },
            h('td', { class: 'num' }, r.number === 0 ? t('rc.debit.initial') : String(r.number)),
            h('td', {}, r.date ? formatDay(r.date) : none()),
            h('td', { class: 'num' }, formatAmount(r.amount, cur)),
            h('td', {}, label('rc.debit.status', r.status)),
            h(
              'td',
              {},
              r.payment_id
                ? h('a', { href: transactionHref(r), dataset: { payment: String(r.payment_id) }, 'aria-label': t('rc.debit.payment_of', { id: r.payment_id }) }, String(r.payment_id))
                : none(),
            ),
          ),
        ),
      ),
    ),
  );
}

function facts(d, kind) {
  const cur = d.currency || 'EUR';
  const remaining = d.remaining === null ? t('rc.unlimited') : formatCount(d.remaining);
  const common = [
    ['rc.d.status', statusTag(d.status, 'rc-status')],
    ['rc.d.order_ref', d.order_ref, 'rc-order-ref'],
    ['rc.d.next_amount', d.next_amount !== null && d.next_amount !== undefined ? formatAmount(d.next_amount, cur) : null, 'rc-next-amount'],
    ['rc.d.next_date', d.next_date && formatDay(d.next_date), 'rc-next-date'],
    ['rc.d.remaining', remaining, 'rc-remaining'],
  ];
  const own =
    kind === 'plan'
      ? [
          ['rc.d.type', t('rc.type', { n: d.count })],
          ['rc.d.total', formatAmount(d.amount, cur)],
          ['rc.d.every_months', '0'],
          ['rc.d.day_of_month', '0'],
        ]
      : [
          ['rc.d.initial_amount', d.initial_amount ? formatAmount(d.initial_amount, cur) : null],
          ['rc.d.amount', formatAmount(d.amount, cur)],
          ['rc.d.count', d.count === 0 ? t('rc.unlimited') : formatCount(d.count)],
          ['rc.d.every_months', formatCount(d.every_months), 'rc-every'],
          ['rc.d.day_of_month', String(d.day_of_month).padStart(2, '0'), 'rc-day'],
        ];
  return detailsList([
    ...common,
    ...own,
    ['rc.d.start', d.start && formatDay(d.start)],
    ['rc.d.created_at', d.created_at && formatDateTime(d.created_at)],
    ['rc.d.created_by', d.created_by_login || (d.manual ? null : t('rc.d.merchant_api'))],
    ['rc.d.shop', d.shop_name ? `${d.shop_name} (${d.site}/${d.rang})` : null],
    ['rc.d.contract', d.contract_number],
    ['rc.d.payment_method', d.payment_method],
    ['rc.d.card', d.card_masked],
    ['rc.d.card_expiry', cardExpiry(d.card_expiry)],
    ['rc.d.alias', d.alias],
    ['rc.d.email', d.email],
    ['rc.d.archive_ref', d.archive_ref],
    ['rc.d.ended_at', d.ended_at && formatDateTime(d.ended_at), 'rc-ended-at'],
    ['rc.d.ended_by', d.ended_by_login, 'rc-ended-by'],
    ['rc.d.end_reason', d.end_reason, 'rc-end-reason'],
  ]);
}

async function details(k, kind, id) {
  const back = h('a', { href: `#/${k.route}`, class: 'button j-button-quiet', id: 'rc-back' }, t(`rc.${kind}.back`));
  const error = h('p', { class: 'error', role: 'alert', id: 'rc-error', hidden: true });
  const notice = h('p', { class: 'success', role: 'status', id: 'rc-notice', hidden: true });
  const body = h('div', { id: 'rc-details' });
  const title = h('h1', { id: 'rc-title' }, t(`rc.${kind}.title`, { id }));
  const root = h('section', { class: 'journal-page', 'aria-labelledby': 'rc-title' }, h('div', { class: 'actions' }, back), title, notice, error, body);
  const route = `POST ${k.path}/{id}/terminate`;

  function draw(d) {
    const bar = [];
    if (may(route)) {
      const button = h(
        'button',
        { type: 'button', class: 'button j-button-danger', id: 'rc-terminate', disabled: d.operations && d.operations.terminate ? null : true },
        t('rc.terminate'),
      );
      button.addEventListener('click', () => terminate(d));
      bar.push(button);
    }
    replace(
      body,
      h(
        'div',
        { class: 'card' },
        h('div', { class: 'actions' }, bar),
        facts(d, kind),
      ),
      h('section', { class: 'card', 'aria-labelledby': 'rc-debits-title' }, h('h2', { id: 'rc-debits-title' }, t(`rc.${kind}.debits`)), debitsTable(d, kind)),
    );
  }

  async function terminate(d) {
    const reason =
      kind === 'subscription'
        ? h('textarea', { id: 'rc-reason', maxlength: 250, rows: 3, 'aria-describedby': 'rc-reason-hint' })
        : null;
    const field = reason
      ? h(
          'div',
          { class: 'field' },
          h('label', { for: 'rc-reason' }, t('rc.terminate.reason')),
          reason,
          h('span', { class: 'j-hint', id: 'rc-reason-hint' }, t('rc.terminate.reason_hint')),
        )
      : null;
    const done = await confirmDialog({
      id: 'rc-confirm',
      title: t('rc.terminate'),
      text: t(`rc.${kind}.terminate_confirm`, { id: d.id, order_ref: d.order_ref }),
      confirm: t('rc.terminate.go'),
      danger: true,
      field,
      run: () => {
        const text = reason ? reason.value.trim() : '';
        if (new TextEncoder().encode(text).length > 250) throw new Error(t('rc.error.reason'));
        return request('POST', `${k.path}/${encodeURIComponent(d.id)}/terminate`, text ? { reason: text } : {});
      },
    });
    if (!done) return;
    draw(done);
    notice.textContent = t(`rc.${kind}.terminated`);
    notice.hidden = false;
  }

  try {
    const d = await api.get(`${k.path}/${encodeURIComponent(id)}`);
    draw(d);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return root;
    error.textContent = err instanceof ApiError && err.status === 404 ? t(`rc.${kind}.not_found`) : errorMessage(err);
    error.hidden = false;
  }
  return root;
}
