// order-files.js - Batch › Fichiers d'ordres (issue 15; Ingenico guide §3.4.4–5;
// docs/ORDER-FILES.md): the upload of a file of payment orders for a shop (action and
// administrator profiles), the list of the files of the user's node and below with their
// status, counts and timings, and a file's result line by line with its result file.
//
// #/order-files        the upload form and the list;  #/order-files/ID   one file's lines.
// POST /bo/api/order-files?shop_id&name (the file as the body) → {file, line_errors, …};
// GET /bo/api/order-files[?node][&cursor] → {items, next};
// GET /bo/api/order-files/{id}/lines[?after] → {file, items, next}; …/result: the CSV.

import { ApiError, api, errorMessage, uploadBytes } from '../api.js';
import { may } from '../app.js';
import { h, replace } from '../dom.js';
import { errorBox, field, say, select, statusBox } from '../form-fields.js';
import { formatAmount, formatCount, formatDateTime } from '../format.js';
import { has, t } from '../i18n.js';
import { shiftDay } from '../journal.js';
import { scopeParam } from '../scope.js';
import { scopeShops, shopLabel } from '../shops.js';

const UPLOAD = 'POST /bo/api/order-files';

function when(instant) {
  return instant ? h('time', { datetime: instant }, formatDateTime(instant)) : '—';
}

function statusBadge(status) {
  const tone = { done: 'ok', done_with_errors: 'warn', refused: 'danger' }[status] || 'info';
  return h('span', { class: `badge badge--${tone}`, dataset: { status } }, t(`of.status.${status}`));
}

/** A refusal's reason in the user's language: the file's own codes, a payment's refusal, an
 * operation's denial; else the server's sentence (English). */
function reasonText(code, message) {
  for (const key of [`of.reason.${code}`, `tx.refusal.${code}`, `error.${code}`]) if (code && has(key)) return t(key);
  return message;
}

/** The file of payment orders for a shop, its bytes as they are. */
async function sendFile(shopId, file) {
  const q = new URLSearchParams({ shop_id: String(shopId), name: file.name.slice(0, 100) });
  return uploadBytes('POST', `/bo/api/order-files?${q}`, await file.arrayBuffer(), 'text/csv');
}

function uploadForm(shops, onDone) {
  const error = errorBox('of-upload-error');
  const done = statusBox('of-upload-done');
  const shop = select('shop', shops.map((s) => ({ value: s.id, label: shopLabel(s) })), shops[0] && shops[0].id);
  shop.id = 'of-shop';
  const file = h('input', { type: 'file', id: 'of-file', name: 'file', accept: '.csv,text/csv,text/plain', required: true });
  const send = h('button', { type: 'submit', class: 'button button--primary', id: 'of-send' }, t('of.upload.send'));
  const errors = h('div', { id: 'of-line-errors' });
  const form = h(
    'form',
    { class: 'card form', id: 'of-upload', novalidate: true },
    h('h2', {}, t('of.upload.title')),
    h('p', { class: 'muted' }, t('of.upload.intro')),
    field({ id: 'of-shop', label: t('of.upload.shop'), control: shop }),
    field({ id: 'of-file', label: t('of.upload.file'), control: file, hint: t('of.upload.hint') }),
    h('div', { class: 'actions' }, send),
    error,
    done,
    errors,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    say(error, '');
    say(done, '');
    replace(errors);
    if (!file.files[0]) {
      say(error, t('of.upload.none'));
      return;
    }
    send.disabled = true;
    try {
      const answer = await sendFile(Number(shop.value), file.files[0]);
      say(done, t(answer.duplicate ? 'of.upload.duplicate' : 'of.upload.done', {
        id: String(answer.file.id),
        lines: formatCount(answer.file.lines),
        errors: formatCount(answer.line_errors_count),
      }));
      if (answer.line_errors.length) {
        replace(errors, h('h3', {}, t('of.upload.line_errors')), h('ul', { class: 'of-errors' },
          answer.line_errors.map((le) => h('li', { title: le.message }, t('of.line', { n: String(le.line) }), ' — ', reasonText(le.code, le.message)))));
      }
      file.value = '';
      onDone();
    } catch (err) {
      const b = err instanceof ApiError ? err.body : {};
      say(error, b && b.error === 'order_file_malformed' ? b.message : errorMessage(err));
    } finally {
      send.disabled = false;
    }
  });
  return form;
}

async function list(root) {
  const tbody = h('tbody', { id: 'of-rows' });
  const more = h('button', { type: 'button', class: 'button', id: 'of-more', hidden: true }, t('of.more'));
  const error = errorBox('of-list-error');
  let cursor = null;

  function row(f) {
    return h(
      'tr',
      { dataset: { id: String(f.id), status: f.status } },
      h('td', {}, h('a', { href: `#/order-files/${f.id}` }, f.name), h('span', { class: 'cell-sub' }, `#${f.id}`)),
      h('td', {}, `${f.shop_name} (${f.site} / ${f.rang})`),
      h('td', {}, statusBadge(f.status)),
      h('td', { class: 'num' }, formatCount(f.lines)),
      h('td', { class: 'num' }, formatCount(f.accepted)),
      h('td', { class: 'num' }, formatCount(f.refused)),
      h('td', { class: 'nowrap' }, when(f.received_at)),
      h('td', { class: 'nowrap' }, when(f.finished_at)),
      h('td', { class: 'num' }, f.duration_s === null ? '—' : `${f.duration_s.toFixed(1)} s`),
    );
  }

  async function page(append) {
    const q = new URLSearchParams();
    if (append && cursor) q.set('cursor', cursor);
    const query = (q.toString() + scopeParam()).replace(/^&/, '');
    try {
      const answer = await api.get(`/bo/api/order-files${query ? `?${query}` : ''}`);
      if (!append) replace(tbody);
      answer.items.forEach((f) => tbody.append(row(f)));
      if (!answer.items.length && !append) tbody.append(h('tr', {}, h('td', { colspan: 9, class: 'muted' }, t('of.none'))));
      cursor = answer.next;
      more.hidden = !cursor;
    } catch (err) {
      say(error, errorMessage(err));
    }
  }
  more.addEventListener('click', () => page(true));
  replace(
    root,
    h('h2', {}, t('of.list.title')),
    error,
    h(
      'div',
      { class: 'table-wrap card card--flush' },
      h(
        'table',
        { class: 'table', id: 'of-table' },
        h('thead', {}, h('tr', {}, ['file', 'shop', 'status', 'lines', 'accepted', 'refused', 'received', 'finished', 'duration'].map((c) =>
          h('th', { scope: 'col' }, t(`of.col.${c}`))))),
        tbody,
      ),
    ),
    h('div', { class: 'actions more' }, more),
  );
  await page(false);
  return () => page(false);
}

/** The transactions page showing the transaction made or acted on, its details open. */
function transactionHref(file, txnId) {
  const day = file.received_at.slice(0, 10);
  const q = new URLSearchParams({
    from: shiftDay(day, { days: -1 }),
    to: shiftDay(day, { months: 1 }),
    id: txnId,
    details: txnId,
  });
  return `#/transactions?${q}`;
}

async function details(id) {
  const error = errorBox('of-lines-error');
  const tbody = h('tbody', { id: 'of-line-rows' });
  const more = h('button', { type: 'button', class: 'button', id: 'of-lines-more', hidden: true }, t('of.more'));
  const head = h('div', { id: 'of-file' });
  let after = 0;
  let file = null;

  function row(l) {
    return h(
      'tr',
      { dataset: { line: String(l.line), status: l.status } },
      h('td', { class: 'num' }, String(l.line)),
      h('td', {}, ['payment', 'capture', 'refund', 'cancel'].includes(l.operation) ? t(`of.op.${l.operation}`) : l.operation),
      h('td', { class: 'wrap-anywhere' }, l.reference),
      h('td', { class: 'num' }, l.amount && l.currency ? formatAmount(l.amount, l.currency) : l.amount ? String(l.amount) : '—'),
      h('td', {}, l.card || l.alias || (l.transaction_id ? `#${l.transaction_id}` : '—')),
      h('td', {}, h('span', { class: `badge badge--${{ accepted: 'ok', refused: 'danger' }[l.status] || 'info'}` }, t(`of.line.${l.status}`))),
      h('td', {}, l.message ? h('span', { title: `${l.reason}: ${l.message}` }, reasonText(l.reason, l.message)) : '—'),
      h('td', {}, l.result_transaction_id ? h('a', { href: transactionHref(file, l.result_transaction_id) }, l.result_transaction_id) : '—'),
    );
  }

  async function page(append) {
    try {
      const answer = await api.get(`/bo/api/order-files/${id}/lines${append ? `?after=${after}` : ''}`);
      const f = answer.file;
      file = f;
      replace(
        head,
        h('h2', {}, f.name, ' ', statusBadge(f.status)),
        h('p', { class: 'muted', id: 'of-file-summary' }, t('of.file.summary', {
          shop: `${f.shop_name} (${f.site} / ${f.rang})`,
          lines: formatCount(f.lines),
          accepted: formatCount(f.accepted),
          refused: formatCount(f.refused),
          pending: formatCount(f.pending),
        })),
        h('p', {}, h('a', { class: 'button', id: 'of-result', href: `/bo/api/order-files/${id}/result`, download: '' }, t('of.result'))),
      );
      if (!append) replace(tbody);
      answer.items.forEach((l) => tbody.append(row(l)));
      after = answer.next;
      more.hidden = !after;
    } catch (err) {
      say(error, errorMessage(err));
    }
  }
  more.addEventListener('click', () => page(true));
  const section = h(
    'section',
    { id: 'of-details' },
    h('p', {}, h('a', { href: '#/order-files' }, t('of.back'))),
    head,
    error,
    h(
      'div',
      { class: 'table-wrap card card--flush' },
      h(
        'table',
        { class: 'table', id: 'of-lines' },
        h('thead', {}, h('tr', {}, ['line', 'operation', 'reference', 'amount', 'card', 'status', 'reason', 'transaction'].map((c) =>
          h('th', { scope: 'col' }, t(`of.lcol.${c}`))))),
        tbody,
      ),
    ),
    h('div', { class: 'actions more' }, more),
  );
  await page(false);
  return section;
}

export async function render({ args } = {}) {
  const id = args && args[0];
  if (id) return details(id);
  const listRoot = h('section', { id: 'of-list' });
  const parts = [h('h1', {}, t('of.title')), h('p', { class: 'muted' }, t('of.intro'))];
  let refresh = () => {};
  if (may(UPLOAD)) {
    const shops = await scopeShops();
    parts.push(shops.length ? uploadForm(shops, () => refresh()) : h('p', { class: 'muted' }, t('of.no_shop')));
  }
  refresh = await list(listRoot);
  return h('div', { class: 'order-files' }, ...parts, listRoot);
}
