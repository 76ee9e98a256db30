// pages/transactions.js - the transactions page (Vision manual §4.1, §4.2; SPEC §5, §6):
// the search form (every filter of GET /bo/api/transactions), the journal in the user's
// columns with keyset paging, CSV/TXT export of the same search, the details dialog (details
// with 3-D Secure, reconciliation, history, notifications to the merchant's server) and the cash operations, each confirmed first.
//
// The search lives in the page's hash (#/transactions?from=…&to=…&status=…): a link from
// the batches page (batch=NUMBER&contract=…&batch_id=ID) prefills and runs it, under the
// batch's header (batches.js batchHeader). An operation is offered when the
// session's allowed routes list its route (app.js may(): the action and administrator
// profiles today); which ones are enabled comes from the details' "operations" when the
// server gives it, else from the acquirer status as SPEC §6 says. The server has the last
// word: its refusals (409 state conflict, 422 amount or 75-day limit) are shown.

import { api, ApiError, errorMessage, request } from '../api.js';
import { may, state } from '../app.js';
import { confirmDialog, openDialog, tabs } from '../dialog.js';
import { h, replace } from '../dom.js';
import { dayInput } from '../day-input.js';
import { formatAmount, formatCount, formatDateTime, formatDay, today } from '../format.js';
import { t } from '../i18n.js';
import {
  chooseColumns, detailsList as dl, exportLinks, firstSearch, journalTable, keepInHash,
  keysetPaging, label, none, periodText, scopeLine, searchForm, shiftDay, withScope,
} from '../journal.js';
import { amountInput, parseAmount } from '../money.js';
import { onScopeChange } from '../scope.js';
import { treeNodes } from '../tree.js';
import { ORIGINS } from '../strings/hosted.js';
import { batchHeader } from './batches.js';
import { notificationsTab } from './notifications.js';

const PAGE = 50;
const METHODS = ['CB', 'VISA', 'MASTERCARD', 'E-BLEUE', 'AMEX', 'JCB', 'PAYPAL'];
const TYPES = ['debit', 'refund', 'cancellation'];
const STATUSES = ['accepted', 'refused', 'pending', 'abandoned'];
const ACQ = ['awaiting_capture', 'awaiting_confirmation', 'to_send', 'sent', 'discarded', 'na'];
const OPERATIONS = ['capture', 'cancel', 'refund', 'send', 'block_card'];
/** Each operation's route, as GET /bo/api/session's "allowed" names it. */
const OP_ROUTES = {
  capture: 'POST /bo/api/transactions/{id}/capture',
  cancel: 'POST /bo/api/transactions/{id}/cancel',
  refund: 'POST /bo/api/transactions/{id}/refund',
  send: 'POST /bo/api/transactions/{id}/send',
  block_card: 'POST /bo/api/transactions/{id}/block-card',
};
const CAPTURE_ALL = 'POST /bo/api/transactions/capture-all';
const SEND_ALL = 'POST /bo/api/transactions/send-all';
const DAYS_MAX = 75; // SPEC §6: no capture, cancel or refund after 75 days

const AMOUNT_COLUMNS = new Set(['amount_initial', 'amount_current', 'amount_refunded']);
const TIME_COLUMNS = new Set(['created_at', 'accepted_at', 'updated_at']);

export const colLabel = (key) => t(`col.tx.${key}`);

/** A journal item's value for a column key (the search's item names some fields its way). */
function valueOf(item, key) {
  switch (key) {
    case 'shop':
      return item.shop_id;
    case 'batch':
      return item.batch_number ?? item.batch;
    case 'three_d_secure_guaranteed':
      return item.three_d_secure_guaranteed ?? item.three_d_secure_guarantee;
    case 'three_d_secure':
      return item.three_d_secure && typeof item.three_d_secure === 'object'
        ? item.three_d_secure.payment
        : item.three_d_secure;
    default:
      return item[key];
  }
}

/** Whether a click on a link is the browser's to follow (a modifier key: a new tab or window). */
function browserClick(e) {
  return e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0;
}

/** A transaction's id as the link to its own address (its details open on the page). */
function txLink(id) {
  return h('a', { href: `#/transactions?details=${encodeURIComponent(id)}`, class: 'txn-link', dataset: { tx: String(id) } }, String(id));
}

/** A summary's current amounts summed by currency: "12 345,67 € + 100,00 $". */
function sumsText(sums) {
  const by = new Map();
  for (const x of sums.totals || []) by.set(x.currency, (by.get(x.currency) || 0) + x.amount_current);
  return [...by].map(([cur, v]) => formatAmount(v, cur || 'EUR')).join(' + ');
}

function cardExpiry(v) {
  return /^\d{4}$/.test(v || '') ? `${v.slice(0, 2)}/${v.slice(2)}` : v;
}

/** The contents of one cell. shops: Map id → name. */
function cell(item, key, shops) {
  const v = valueOf(item, key);
  if (v === undefined || v === null || v === '') return none();
  if (AMOUNT_COLUMNS.has(key)) return formatAmount(v, item.currency || 'EUR');
  if (TIME_COLUMNS.has(key)) return formatDateTime(v);
  switch (key) {
    case 'id':
      return txLink(v);
    case 'type':
      return label('tx.type', v);
    case 'status':
      return item.refused || v === 'refused'
        ? h('span', { class: 'j-refused-mark' }, h('span', { 'aria-hidden': 'true' }, '⊘ '), label('tx.status', v))
        : label('tx.status', v);
    case 'acquirer_status':
      return label('tx.acq', v);
    case 'refusal_reason':
      return label('tx.refusal', v);
    case 'three_d_secure':
    case 'three_d_secure_guaranteed':
      return label('tx.tds.yesno', v);
    case 'bank_date':
      return formatDay(v);
    case 'card_expiry':
      return cardExpiry(v);
    case 'capture':
      return label('tx.capture', v);
    case 'manual':
      return t(v ? 'tx.manual.yes' : 'tx.manual.no');
    case 'origin':
      return v ? t(`tx.origin.${v}`) : '';
    case 'shop':
      return shops.get(String(v)) || `#${v}`;
    default:
      return String(v);
  }
}

/** What the details answer says, in the shape of a journal item (to update its row). */
function asItem(d, old = {}) {
  const card = d.card || {};
  const tds = d.three_d_secure || {};
  return {
    ...old,
    ...d,
    card_masked: card.masked ?? old.card_masked,
    card_country: card.country ?? old.card_country,
    card_expiry: card.expiry ?? old.card_expiry,
    issuer: card.issuer ?? old.issuer,
    card_type: card.type ?? old.card_type,
    three_d_secure: tds.payment ?? old.three_d_secure,
    three_d_secure_authenticated: tds.authenticated ?? old.three_d_secure_authenticated,
    three_d_secure_guaranteed: tds.guaranteed ?? old.three_d_secure_guaranteed,
    three_d_secure_guarantee: old.three_d_secure_guarantee,
    refused: d.status === 'refused',
    history: undefined,
    operations: undefined,
  };
}

/**
 * The operations offered on a transaction (those whose route the user may call), each true
 * when it may be done now; null when none is offered.
 */
function allowedOps(d) {
  const offered = OPERATIONS.filter((op) => may(OP_ROUTES[op]));
  if (!offered.length) return null;
  let now = d.operations;
  if (!now || typeof now !== 'object') {
    // Until the server says it: SPEC §6 from the status (the server checks again anyway).
    const accepted = d.status === 'accepted';
    const debit = d.type === 'debit';
    const age = (Date.now() - Date.parse(d.created_at)) / 86400000;
    const inTime = !(age > DAYS_MAX + 1);
    now = {
      capture: accepted && debit && d.acquirer_status === 'awaiting_capture' && inTime,
      cancel: accepted && debit && d.acquirer_status === 'to_send' && inTime,
      refund: accepted && debit && d.acquirer_status === 'sent' && d.amount_current > 0 && inTime,
      send: accepted && (debit || d.type === 'refund') && d.acquirer_status === 'to_send',
      block_card: Boolean(d.card && d.card.masked),
    };
  }
  return Object.fromEntries(offered.map((op) => [op, Boolean(now[op])]));
}

/**
 * The block-card dialog's optional reason and expiry date (README "Risk"): {el, read() → the
 * request's body (throws Error on a past date), refused(err) → the error to show, its field
 * marked when the server names one}.
 */
function blockFields() {
  const reason = h('input', { type: 'text', id: 'op-block-reason', maxlength: 200, autocomplete: 'off', 'aria-describedby': 'op-block-reason-hint' });
  const expires = dayInput({ id: 'op-block-expires', min: today(), 'aria-describedby': 'op-block-expires-hint' });
  const el = h(
    'div',
    { class: 'block-fields' },
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'op-block-reason' }, t('tx.op.block.reason')),
      reason,
      h('span', { class: 'j-hint', id: 'op-block-reason-hint' }, t('bl.add.reason.hint')),
    ),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'op-block-expires' }, t('tx.op.block.expires')),
      expires,
      h('span', { class: 'j-hint', id: 'op-block-expires-hint' }, t('tx.op.block.expires_hint')),
    ),
  );
  const controls = { reason, expires_at: expires };
  for (const c of Object.values(controls)) {
    c.addEventListener('input', () => c.removeAttribute('aria-invalid'));
  }
  function invalid(name, text) {
    for (const [k, c] of Object.entries(controls)) {
      if (k === name) c.setAttribute('aria-invalid', 'true');
      else c.removeAttribute('aria-invalid');
    }
    return new Error(text);
  }
  return {
    el,
    read() {
      invalid(null);
      const body = {};
      const why = reason.value.trim();
      if (new TextEncoder().encode(why).length > 200) throw invalid('reason', t('bl.err.reason'));
      if (why) body.reason = why;
      if (expires.value) {
        if (!/^\d{4}-\d{2}-\d{2}$/.test(expires.value) || expires.value < today()) throw invalid('expires_at', t('bl.err.expires_at'));
        body.expires_at = expires.value;
      }
      return body;
    },
    refused(err) {
      const name = err instanceof ApiError && err.code === 'invalid_field' && err.body && err.body.field;
      if (name && controls[name]) return invalid(name, t(`bl.err.${name}`));
      return err;
    },
  };
}

/* --- the page ----------------------------------------------------------------------------- */

export async function render({ query }) {
  const nodes = await treeNodes();
  const shopNodes = (nodes || []).filter((n) => n.level === 'shop');
  const shops = new Map(shopNodes.map((n) => [String(n.id), n.name]));

  const fields = [
    { key: 'id', label: t('tx.f.id'), kind: 'digits' },
    { key: 'amount', label: t('tx.f.amount'), kind: 'amount' },
    { key: 'currency', label: t('tx.f.currency'), kind: 'text', placeholder: 'EUR', maxlength: 3 },
    { key: 'payment_method', label: t('tx.f.payment_method'), kind: 'select', options: METHODS.map((m) => ({ value: m, label: m })) },
    shopNodes.length
      ? { key: 'shop', label: t('tx.f.shop'), kind: 'select', options: shopNodes.map((n) => ({ value: String(n.id), label: n.site ? `${n.name} (${n.site}/${n.rang})` : n.name })) }
      : { key: 'shop', label: t('tx.f.shop_id'), kind: 'digits' },
    { key: 'batch', label: t('tx.f.batch'), kind: 'digits' },
    { key: 'order_ref', label: t('tx.f.order_ref'), kind: 'text', hint: t('tx.f.order_ref_hint') },
    { key: 'type', label: t('tx.f.type'), kind: 'select', options: TYPES.map((v) => ({ value: v, label: t(`tx.type.${v}`) })) },
    { key: 'status', label: t('tx.f.status'), kind: 'select', options: STATUSES.map((v) => ({ value: v, label: t(`tx.status.${v}`) })) },
    { key: 'acquirer_status', label: t('tx.f.acquirer_status'), kind: 'select', options: ACQ.map((v) => ({ value: v, label: t(`tx.acq.${v}`) })) },
    { key: 'contract', label: t('tx.f.contract'), kind: 'text' },
    { key: 'email', label: t('tx.f.email'), kind: 'text' },
    { key: 'wallet', label: t('tx.f.wallet'), kind: 'text' },
    { key: 'manual', label: t('tx.f.manual'), kind: 'select', options: ['yes', 'no'].map((v) => ({ value: v, label: t(`tx.manual.${v}`) })) },
    { key: 'origin', label: t('tx.f.origin'), kind: 'select', options: ORIGINS.map((v) => ({ value: v, label: t(`tx.origin.${v}`) })) },
  ];
  const fieldLabels = Object.fromEntries(fields.map((f) => [f.key, f.label]));
  Object.assign(fieldLabels, { from: t('j.period.from'), to: t('j.period.to') });

  const status = h('p', { class: 'journal-status', id: 'tx-count', role: 'status', 'aria-live': 'polite' });
  const error = h('p', { class: 'error', role: 'alert', id: 'tx-error', hidden: true });
  const missing = h('p', { class: 'muted small', id: 'tx-missing-cols', hidden: true });

  /** Says which chosen columns the search's answer does not carry (shown "—"), never hiding it. */
  function noteMissing() {
    const items = table.items;
    const lacking = items.length
      ? table.columns.filter((k) => items.every((i) => valueOf(i, k) === undefined))
      : [];
    missing.textContent = lacking.length ? t('tx.missing_cols', { names: lacking.map(colLabel).join(', ') }) : '';
    missing.hidden = !lacking.length;
  }
  const more = h('button', { type: 'button', class: 'button', id: 'tx-more', hidden: true }, t('j.more'));
  const exports = exportLinks('/bo/api/transactions/export', 'tx', { report: true });
  const columnsButton = h('button', { type: 'button', class: 'button', id: 'tx-columns' }, t('j.columns.button'));
  const captureAll = may(CAPTURE_ALL) && h('button', { type: 'button', class: 'button', id: 'tx-capture-all', disabled: true }, t('tx.bulk.capture'));
  const sendAll = may(SEND_ALL) && h('button', { type: 'button', class: 'button', id: 'tx-send-all', disabled: true }, t('tx.bulk.send'));
  const scopeEl = scopeLine();

  const table = journalTable({
    id: 'tx-journal',
    caption: t('tx.journal'),
    columns: (state.prefs && state.prefs.columns && state.prefs.columns.transactions) || ['id', 'created_at', 'type', 'status', 'amount_initial', 'currency'],
    label: colLabel,
    cell: (item, key) => cell(item, key, shops),
    key: (item) => item.id,
    rowClass: (item) => (item.refused || item.status === 'refused' ? 'row--refused' : null),
    lead: {
      label: t('tx.details'),
      render: (item) =>
        h(
          'button',
          {
            type: 'button',
            class: 'button button--small',
            dataset: { details: item.id },
            'aria-label': t('tx.details_of', { id: item.id }),
          },
          t('tx.details'),
        ),
    },
  });
  table.table.addEventListener('click', (e) => {
    const b = e.target.closest('[data-details], a[data-tx]');
    if (!b) return;
    // A transaction's link opens in place; with a modifier key, where the browser puts it.
    if (b.dataset.tx && browserClick(e)) return;
    e.preventDefault();
    openDetails(b.dataset.details || b.dataset.tx);
  });

  const form = searchForm({ id: 'tx', fields, defaultPeriod: '30d' }, query, (q) => search(q));

  const paging = keysetPaging({
    path: '/bo/api/transactions',
    table,
    more,
    status,
    error,
    labels: fieldLabels,
    focus: 'button', // the details button
    page: PAGE,
    shown: () => {
      updateBulk();
      noteMissing();
    },
    failed: () => exports.hide(),
  });
  const last = () => paging.last();

  /* A batch's transactions (the batches page's link): its header while the search is its
   * number and contract; batch_id names it too, never unseen (the header says which). */
  let batch = null;
  let header = query.get('batch_id') && /^\d{1,18}$/.test(query.get('batch_id'))
    ? batchHeader(query.get('batch_id'), () => {
        batch = null;
        header = null;
        const q = new URLSearchParams(last() || form.read());
        q.delete('batch_id');
        q.delete('batch');
        q.delete('contract');
        form.fill(q);
        search(q);
      })
    : null;
  if (header) header.loaded.then((b) => { batch = b; });

  function search(q) {
    const id = query.get('batch_id');
    if (header && q.get('batch') && (!batch || q.get('batch') === String(batch.number))) {
      q.set('batch_id', id);
    } else {
      q.delete('batch_id');
      if (header) header.el.remove();
      header = null;
    }
    keepInHash('transactions', q);
    exports.set(q);
    paging.search(q);
    showTotal(q);
  }

  /* The whole result counted and summed (GET /bo/api/transactions/summary), beside the rows. */
  const total = h('p', { class: 'journal-total', id: 'tx-total', title: t('tx.total.note'), hidden: true });
  let totalSeq = 0;
  async function showTotal(q) {
    const mine = ++totalSeq;
    total.hidden = true;
    let sums;
    try {
      sums = await api.get(`/bo/api/transactions/summary?${withScope(q)}`);
    } catch {
      return; // the journal's own search says what went wrong
    }
    if (mine !== totalSeq) return;
    replace(
      total,
      h('strong', {}, t('tx.total', { n: formatCount(sums.count) })),
      (sums.totals || []).map((x) => [' · ', t(`tx.total.${x.type}`, { count: formatCount(x.count), amount: formatAmount(x.amount, x.currency || 'EUR') })]),
    );
    total.hidden = sums.count === 0;
  }

  columnsButton.addEventListener('click', async () => {
    const cols = await chooseColumns('transactions', colLabel);
    if (cols) {
      table.setColumns(cols);
      noteMissing();
    }
  });

  /* --- capture all / send all (SPEC §6, Vision manual §4.2.4, §4.2.5) --- */

  function updateBulk() {
    const acq = last() && last().get('acquirer_status');
    if (captureAll) captureAll.disabled = !last() || Boolean(acq && acq !== 'awaiting_capture');
    if (sendAll) sendAll.disabled = !last() || Boolean(acq && acq !== 'to_send');
  }

  async function bulk(kind) {
    if (!last()) return;
    const q = withScope(last());
    const path = `/bo/api/transactions/${kind === 'capture' ? 'capture-all' : 'send-all'}?${q}`;
    const totals = { processed: 0, refused: [] };
    const title = t(`tx.bulk.${kind}`).replace(/…$/, '');
    // What the operation is about to take: the search's transactions of that acquirer status.
    const taken = new URLSearchParams(q);
    taken.set('acquirer_status', kind === 'capture' ? 'awaiting_capture' : 'to_send');
    let sums;
    try {
      sums = await api.get(`/bo/api/transactions/summary?${taken}`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return;
      error.textContent = errorMessage(err);
      error.hidden = false;
      return;
    }
    if (!sums.count) {
      const ok = h('button', { type: 'button', class: 'button', id: `bulk-${kind}-cancel` }, t('j.dialog.close'));
      const d = openDialog({ title, content: h('p', { id: 'bulk-none' }, t(`tx.bulk.${kind}_none`, { period: periodText(last()) })), actions: [ok], id: `bulk-${kind}` });
      ok.addEventListener('click', () => d.close());
      await d.closed;
      return;
    }
    const first = await confirmDialog({
      id: `bulk-${kind}`,
      title,
      text: t(`tx.bulk.${kind}_confirm`, {
        n: formatCount(sums.count),
        total: sumsText(sums),
        period: periodText(last()),
      }),
      confirm: t(`tx.bulk.${kind}_go_n`, { n: formatCount(sums.count) }),
      dismiss: t('j.dialog.close'),
      run: () => request('POST', path), // no body: the search is in the query
    });
    if (!first) return;
    let answer = first;
    const resultBox = h('div', { id: 'bulk-result', role: 'status' });
    const again = h('button', { type: 'button', class: 'button button--primary', id: 'bulk-again' }, t('tx.bulk.again'));
    const closeButton = h('button', { type: 'button', class: 'button', id: 'bulk-close' }, t('j.dialog.close'));
    const add = (a) => {
      totals.processed += a.processed || 0;
      totals.refused.push(...(a.refused || []));
    };
    const draw = () => {
      replace(
        resultBox,
        h('p', { id: 'bulk-processed' }, t('tx.bulk.processed', { n: totals.processed })),
        totals.refused.length
          ? [
              h('p', {}, t('tx.bulk.refused', { n: totals.refused.length })),
              h('ul', { class: 'bulk-refused' }, totals.refused.slice(0, 50).map((r) => h('li', {}, `${r.id} : ${label('error', r.error)}`))),
            ]
          : h('p', {}, t('tx.bulk.none_refused')),
        answer.more ? h('p', { class: 'notice' }, t('tx.bulk.more')) : null,
      );
      again.hidden = !answer.more;
    };
    add(answer);
    const d = openDialog({ title, content: resultBox, actions: [again, closeButton], id: 'bulk-dialog' });
    draw();
    again.addEventListener('click', async () => {
      again.disabled = true;
      try {
        answer = await request('POST', path);
        add(answer);
        draw();
      } catch (err) {
        resultBox.append(h('p', { class: 'error', role: 'alert' }, errorMessage(err)));
      } finally {
        again.disabled = false;
      }
    });
    closeButton.addEventListener('click', () => d.close());
    await d.closed;
    search(last());
  }
  if (captureAll) captureAll.addEventListener('click', () => bulk('capture'));
  if (sendAll) sendAll.addEventListener('click', () => bulk('send'));

  /* --- details (Vision manual §4.1.4–§4.1.6) and operations (§4.2) --- */

  async function openDetails(id) {
    let d;
    try {
      d = await api.get(`/bo/api/transactions/${encodeURIComponent(id)}`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return;
      error.textContent = errorMessage(err);
      error.hidden = false;
      return;
    }
    const notice = h('p', { class: 'success', id: 'details-notice', role: 'status', hidden: true });
    const content = h('div', { class: 'details-content' });
    const body = h('div', {}, notice, content);
    let tabsBox = null;
    const dialog = openDialog({
      title: t('tx.details_title', { id: d.id }),
      content: body,
      actions: h('button', { type: 'button', class: 'button', id: 'details-close' }, t('j.dialog.close')),
      wide: true,
      id: 'tx-details',
    });
    dialog.footer.querySelector('#details-close').addEventListener('click', () => dialog.close());
    // Another transaction's link (the original, a refund) opens its details in place of these.
    body.addEventListener('click', (e) => {
      const a = e.target.closest('a[data-tx]');
      if (!a || browserClick(e)) return;
      e.preventDefault();
      if (a.dataset.tx === String(d.id)) return;
      dialog.close();
      openDetails(a.dataset.tx);
    });

    function draw(keepTab) {
      const selected = tabsBox && tabsBox.el.querySelector('[aria-selected=true]');
      const tabKey = keepTab && selected ? selected.id.replace(/^tx-tab-/, '') : 'details';
      tabsBox = tabs(
        [
          { key: 'details', label: t('tx.tab.details'), render: () => detailsTab(d, shops) },
          { key: 'jrb', label: t('tx.tab.jrb'), render: () => jrbTab(d) },
          { key: 'history', label: t('tx.tab.history'), render: () => historyTab(d) },
          { key: 'notifications', label: t('tx.tab.notifications'), render: () => notificationsTab(d.id) },
        ],
        { idPrefix: 'tx-tab', label: t('tx.tabs') },
      );
      replace(content, summary(d), operationsBar(d), tabsBox.el);
      tabsBox.select(tabKey);
    }

    function operationsBar(tx) {
      const ops = allowedOps(tx);
      if (!ops) return null;
      const offered = OPERATIONS.filter((op) => op in ops);
      const buttons = offered.map((op) =>
        h(
          'button',
          {
            type: 'button',
            class: op === 'block_card' ? 'button j-button-danger-quiet' : 'button',
            id: `op-${op.replace('_', '-')}`,
            disabled: !ops[op],
            'aria-describedby': 'ops-help',
          },
          t(`tx.op.${op}`),
        ),
      );
      buttons.forEach((b, i) => b.addEventListener('click', () => operate(offered[i])));
      return h(
        'div',
        { class: 'operations', role: 'group', 'aria-labelledby': 'ops-title' },
        h('h3', { id: 'ops-title', class: 'operations-title' }, t('tx.ops')),
        h('div', { class: 'actions' }, buttons),
        h('p', { class: 'muted small', id: 'ops-help' }, t('tx.ops_help')),
      );
    }

    async function operate(op) {
      const currency = d.currency || 'EUR';
      let field = null;
      let input = null;
      let max = 0;
      if (op === 'capture' || op === 'refund') {
        max = op === 'capture' ? d.amount_initial : d.amount_current;
        input = h('input', { type: 'text', id: 'op-amount', inputmode: 'decimal', autocomplete: 'off', value: amountInput(max, currency), 'aria-describedby': 'op-amount-hint' });
        field = h(
          'div',
          { class: 'field' },
          h('label', { for: 'op-amount' }, t('tx.op.amount', { currency })),
          input,
          h('span', { class: 'j-hint', id: 'op-amount-hint' }, t(`tx.op.${op}_max`, { max: formatAmount(max, currency) })),
        );
      }
      let block = null;
      if (op === 'block_card') {
        block = blockFields();
        field = block.el;
      }
      const done = await confirmDialog({
        id: 'op-dialog',
        title: t(`tx.op.${op}`),
        text: t(`tx.op.${op}_confirm`, {
          id: d.id,
          amount: formatAmount(d.amount_current, currency),
          card: (d.card && d.card.masked) || '',
        }),
        confirm: t(`tx.op.${op}_go`),
        dismiss: t('j.dialog.close'),
        field,
        danger: op === 'cancel' || op === 'block_card',
        run: async () => {
          const body = block ? block.read() : {};
          if (input) {
            const amount = parseAmount(input.value, currency);
            if (amount === null || amount < 1) throw new Error(t('tx.op.amount_invalid'));
            body.amount = amount;
          }
          const path = `/bo/api/transactions/${encodeURIComponent(d.id)}/${op === 'block_card' ? 'block-card' : op}`;
          try {
            return (await api.post(path, body)) || {};
          } catch (err) {
            throw block ? block.refused(err) : err;
          }
        },
      });
      if (!done) return;
      try {
        d = await api.get(`/bo/api/transactions/${encodeURIComponent(d.id)}`);
      } catch (err) {
        // The operation is done; the dialog shows what the operation answered.
        d = { ...d, ...done, history: d.history };
      }
      const old = table.items.find((x) => String(x.id) === String(d.id));
      if (old) table.update(asItem(d, old));
      let text = t(`tx.op.${op}_done`);
      notice.textContent = text;
      if (op === 'refund' && done.refund && done.refund.id) {
        replace(notice, t('tx.op.refund_done'), ' ', t('tx.op.refund_done_see'), ' ', txLink(done.refund.id));
      }
      if (op === 'block_card' && may('GET /bo/api/blocklist')) {
        notice.append(' ', h('a', { href: '#/blocklist', id: 'details-blocklist' }, t('tx.op.block.see')));
      }
      notice.hidden = false;
      draw(true);
      // The operation's button was redrawn: the focus goes to what happened.
      notice.tabIndex = -1;
      notice.focus();
    }

    draw(false);
  }

  const off = onScopeChange(() => {
    if (!root.isConnected) {
      off();
      return;
    }
    replace(scopeEl, scopeLine().textContent);
    if (last()) search(last());
  });

  const toolbar = h(
    'div',
    { class: 'journal-toolbar' },
    h('div', { class: 'actions' }, columnsButton, captureAll, sendAll),
    exports.el,
  );
  const root = h(
    'section',
    { class: 'journal-page', 'aria-labelledby': 'tx-title' },
    h('h1', { id: 'tx-title' }, t('nav.transactions')),
    scopeEl,
    header ? header.el : null,
    form.el,
    h(
      'section',
      { class: 'card journal-card', 'aria-labelledby': 'tx-journal-title' },
      h('h2', { id: 'tx-journal-title' }, t('tx.journal')),
      toolbar,
      error,
      status,
      total,
      table.el,
      missing,
      h('div', { class: 'actions journal-more' }, more),
      h('p', { class: 'muted small legend' }, h('span', { class: 'j-refused-mark' }, '⊘ ', t('tx.status.refused')), ' ', t('tx.legend_refused')),
    ),
  );

  // A link (or a reload) with a period runs its search; otherwise the default period's.
  firstSearch(form, search);
  // A link to one transaction (a plan's debit) opens its details too.
  if (query.get('details')) openDetails(query.get('details'));
  return root;
}

/* --- the details dialog's tabs ------------------------------------------------------------ */

function summary(d) {
  const refused = d.status === 'refused';
  return h(
    'div',
    { class: refused ? 'tx-summary tx-summary--refused' : 'tx-summary', id: 'details-summary' },
    h('span', { class: 'tx-summary-amount', id: 'details-amount' }, formatAmount(d.amount_current, d.currency || 'EUR')),
    h('span', { class: 'tag', id: 'details-type' }, label('tx.type', d.type)),
    h('span', { class: refused ? 'tag tag--refused' : 'tag', id: 'details-status' }, refused ? '⊘ ' : '', label('tx.status', d.status)),
    h('span', { class: 'tag', id: 'details-acq' }, label('tx.acq', d.acquirer_status)),
  );
}

function detailsTab(d, shops) {
  const card = d.card || {};
  const tds = d.three_d_secure || {};
  const cur = d.currency || 'EUR';
  const batchLink = d.batch_id
    ? h('a', { id: 'tx-d-batch', href: `#/transactions?${new URLSearchParams({ from: shiftDay(d.created_at.slice(0, 10), { months: -13 }), to: shiftDay(d.created_at.slice(0, 10), { months: 13 }), batch: String(d.batch_number), batch_id: String(d.batch_id) })}` }, String(d.batch_number))
    : null;
  return h(
    'div',
    {},
    dl([
      ['tx.d.order_ref', d.order_ref, 'd-order-ref'],
      ['tx.d.id', txLink(d.id)],
      ['tx.d.created_at', d.created_at && formatDateTime(d.created_at)],
      ['tx.d.amount_initial', formatAmount(d.amount_initial, cur), 'd-amount-initial'],
      ['tx.d.amount_current', formatAmount(d.amount_current, cur), 'd-amount-current'],
      ['tx.d.amount_refunded', d.amount_refunded !== undefined ? formatAmount(d.amount_refunded, cur) : null, 'd-amount-refunded'],
      ['tx.d.capture', label('tx.capture', d.capture)],
      ['tx.d.authorization', d.authorization_number],
      ['tx.d.bank_date', d.bank_date && formatDay(d.bank_date)],
      ['tx.d.batch', batchLink],
      ['tx.d.payment_method', d.payment_method],
      ['tx.d.acquirer', d.acquirer],
      ['tx.d.issuer', card.issuer],
      ['tx.d.card_type', card.type],
      ['tx.d.card', card.masked],
      ['tx.d.card_expiry', cardExpiry(card.expiry)],
      ['tx.d.card_country', card.country],
      ['tx.d.customer_country', d.customer_country],
      ['tx.d.email', d.email],
      ['tx.d.shop', d.shop_id !== undefined ? shops.get(String(d.shop_id)) || `#${d.shop_id}` : null],
      ['tx.d.parent', d.parent_id ? txLink(d.parent_id) : null, 'd-parent'],
      ...(d.refunds && d.refunds.length ? [['tx.d.refunds', refundLinks(d), 'd-refunds']] : []),
      ...(d.recurring ? [['tx.d.recurring', recurringLink(d.recurring), 'd-recurring']] : []),
      ['tx.d.refusal', d.refusal_reason ? label('tx.refusal', d.refusal_reason) : null, 'd-refusal'],
      ['col.tx.manual', d.manual ? t('tx.manual.yes') : null, 'd-manual'],
      ['col.tx.archive_ref', d.archive_ref],
      ['col.tx.origin', d.origin ? t(`tx.origin.${d.origin}`) : null, 'd-origin'],
    ]),
    h(
      'section',
      { class: 'tds', 'aria-labelledby': 'tds-title' },
      h('h3', { id: 'tds-title' }, t('tx.tds.title')),
      dl([
        ['tx.tds.payment', label('tx.tds.yesno', tds.payment), 'd-tds-payment'],
        ['tx.tds.authenticated', tds.authenticated ? `${tds.authenticated} — ${t(`tx.tds.auth.${tds.authenticated}`)}` : null, 'd-tds-auth'],
        ['tx.tds.guaranteed', label('tx.tds.yesno', tds.guaranteed), 'd-tds-guaranteed'],
      ]),
      h('p', { class: 'muted small' }, t('tx.tds.note')),
    ),
  );
}

/** A debit's refunds, oldest first: each a link to its details, its amount, status and date. */
function refundLinks(d) {
  return h(
    'div',
    {},
    h(
      'ul',
      { class: 'tx-refunds', id: 'd-refunds-list' },
      d.refunds.map((r) =>
        h(
          'li',
          {},
          txLink(r.id),
          ' — ',
          formatAmount(r.amount, r.currency || d.currency || 'EUR'),
          ' — ',
          label('tx.status', r.status),
          r.type !== 'refund' ? [' (', label('tx.type', r.type), ')'] : null,
          ' — ',
          formatDateTime(r.created_at),
        ),
      ),
    ),
    d.refunds_more ? h('p', { class: 'muted small', id: 'd-refunds-more' }, t('tx.d.refunds_more', { n: d.refunds.length })) : null,
  );
}

/** The plan or subscription a debit was made for (SPEC §9): a link to its details. */
function recurringLink(r) {
  if (!r) return null;
  const plan = r.kind === 'plan';
  const key = plan ? 'tx.recurring.plan' : r.number === 0 ? 'tx.recurring.subscription_initial' : 'tx.recurring.subscription';
  return h(
    'a',
    { href: `#/${plan ? 'installment-plans' : 'subscriptions'}/${encodeURIComponent(r.id)}`, id: 'd-recurring-link' },
    t(key, { id: r.id, number: r.number }),
  );
}

function jrbTab(d) {
  const r = d.reconciliation || d.jrb;
  if (!r) return h('p', { class: 'notice', id: 'jrb-none' }, t('tx.jrb.none'));
  const cur = r.commission_currency || d.currency || 'EUR';
  return dl([
    ['tx.jrb.batch', r.batch_number ?? r.jrb_batch],
    ['tx.jrb.reconciled', label('tx.jrb.state', r.reconciled)],
    ['tx.jrb.date', r.date || r.reconciled_at ? formatDateTime(r.date || r.reconciled_at) : null],
    ['tx.jrb.net', r.net_amount !== undefined && r.net_amount !== null ? formatAmount(r.net_amount, d.currency || 'EUR') : null],
    ['tx.jrb.commission', r.commission !== undefined && r.commission !== null ? formatAmount(r.commission, cur) : null],
    ['tx.jrb.commission_currency', r.commission_currency],
  ]);
}

function historyTab(d) {
  const rows = d.history || [];
  if (!rows.length) return h('p', { class: 'muted' }, t('tx.history.none'));
  return h(
    'div',
    { class: 'table-scroll' },
    h(
      'table',
      { class: 'journal journal--compact', id: 'tx-history' },
      h('caption', { class: 'visually-hidden' }, t('tx.tab.history')),
      h(
        'thead',
        {},
        h('tr', {}, ['at', 'action', 'amount', 'currency', 'user_name', 'user_login'].map((k) => h('th', { scope: 'col' }, t(`tx.history.${k}`)))),
      ),
      h(
        'tbody',
        {},
        rows.map((r) =>
          h(
            'tr',
            {},
            h('td', {}, formatDateTime(r.at)),
            h('td', {}, label('tx.action', r.action)),
            h('td', { class: 'num' }, r.amount === null || r.amount === undefined ? none() : formatAmount(r.amount, r.currency || d.currency || 'EUR')),
            h('td', {}, r.currency || none()),
            h('td', {}, r.user_name || h('span', { class: 'muted' }, t('tx.history.system'))),
            h('td', {}, r.user_login || none()),
          ),
        ),
      ),
    ),
  );
}
