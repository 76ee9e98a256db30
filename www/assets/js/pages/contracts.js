// pages/contracts.js - the contracts page (Vision manual §9.2; SPEC §2): the contracts of
// the node chosen in the tree (GET /bo/api/contracts?node=ID) with number, rang, payment
// method, bank code, state and shop; a details dialog with the tabs of §9.2.1 (general,
// offers and 3-D Secure, télécollecte, anti-fraud filters: fraud-filters.js, which
// administrators edit there), and a link to each contract's
// batches (the batches page with contract=NUMBER, prefilled and run); the same contracts as a
// CSV or TXT file (GET /bo/api/contracts/export).

import { api, ApiError, errorMessage } from '../api.js';
import { openDialog, tabs } from '../dialog.js';
import { fraudFiltersTab } from '../fraud-filters.js';
import { h, replace } from '../dom.js';
import { formatAmount, formatDateTime, formatDay, today } from '../format.js';
import { t } from '../i18n.js';
import { detailsList as dl, exportLinks, none, scopeLine, shiftDay, withScope } from '../journal.js';
import { getScope, onScopeChange } from '../scope.js';

/** The batches page searching a contract's batches over 13 months. */
function batchesHref(c) {
  const now = today();
  const q = new URLSearchParams({ from: shiftDay(now, { months: -13 }), to: now, contract: c.number });
  if (c.rang) q.set('rang', c.rang);
  return `#/batches?${q}`;
}

function state(active) {
  return h(
    'span',
    { class: active ? 'tag tag--ok' : 'tag tag--off' },
    h('span', { 'aria-hidden': 'true' }, active ? '● ' : '○ '),
    t(active ? 'c.active' : 'c.inactive'),
  );
}

function when(v) {
  return v ? formatDateTime(v) : null;
}

function yesNo(v) {
  if (v === null || v === undefined) return null;
  return t(v ? 'c.yes' : 'c.no');
}

export async function render() {
  const status = h('p', { class: 'journal-status', id: 'c-count', role: 'status', 'aria-live': 'polite' });
  const error = h('p', { class: 'error', role: 'alert', id: 'c-error', hidden: true });
  const body = h('div', { id: 'c-body' });
  const scopeEl = scopeLine();
  const exports = exportLinks('/bo/api/contracts/export', 'c');

  async function load() {
    error.hidden = true;
    status.textContent = t('j.searching');
    let answer;
    try {
      answer = await api.get(`/bo/api/contracts?${withScope(new URLSearchParams())}`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return;
      status.textContent = '';
      const noRoute = err instanceof ApiError && (err.status === 405 || (err.status === 404 && !getScope()) || /route/i.test(err.message || ''));
      if (noRoute) {
        // No such route on this server yet: say so, never pretend.
        replace(body, h('p', { class: 'notice', id: 'c-missing' }, t('c.missing')));
        return;
      }
      replace(body);
      error.textContent = err instanceof ApiError && err.status === 404 ? t('j.error.node') : errorMessage(err);
      error.hidden = false;
      return;
    }
    const items = (answer && answer.items) || [];
    status.textContent = t(items.length ? 'c.count' : 'c.none', { n: items.length });
    if (!items.length) {
      exports.hide();
      replace(body);
      return;
    }
    exports.set({});
    replace(body, list(items));
  }

  function list(items) {
    const cols = ['number', 'rang', 'payment_method', 'bank_code', 'active', 'shop_name', 'currency'];
    return h(
      'div',
      { class: 'table-scroll', role: 'region', 'aria-label': t('c.list'), tabindex: 0 },
      h(
        'table',
        { class: 'journal', id: 'c-list' },
        h('caption', { class: 'visually-hidden' }, t('c.list')),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            cols.map((k) => h('th', { scope: 'col' }, t(`c.col.${k}`))),
            h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, t('c.links'))),
          ),
        ),
        h(
          'tbody',
          {},
          items.map((c) =>
            h(
              'tr',
              { dataset: { id: String(c.id) }, class: c.active ? null : 'row--inactive' },
              cols.map((k) => {
                if (k === 'active') return h('td', {}, state(c.active));
                const v = c[k];
                return h('td', { dataset: { col: k } }, v === null || v === undefined || v === '' ? none() : String(v));
              }),
              h(
                'td',
                { class: 'row-actions' },
                h(
                  'button',
                  {
                    type: 'button',
                    class: 'button button--small',
                    dataset: { details: String(c.id) },
                    'aria-label': t('c.details_of', { number: c.number }),
                  },
                  t('c.details'),
                ),
                ' ',
                h(
                  'a',
                  {
                    class: 'button button--small',
                    href: batchesHref(c),
                    dataset: { batches: String(c.id) },
                    'aria-label': t('c.batches_of', { number: c.number }),
                  },
                  t('c.batches'),
                ),
              ),
            ),
          ),
        ),
      ),
    );
  }

  body.addEventListener('click', (e) => {
    const b = e.target.closest('[data-details]');
    if (b) openDetails(b.dataset.details);
  });

  async function openDetails(id) {
    let c;
    try {
      c = await api.get(`/bo/api/contracts/${encodeURIComponent(id)}`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return;
      error.textContent = errorMessage(err);
      error.hidden = false;
      return;
    }
    const cur = c.currency || 'EUR';
    const amount = (v) => (v === null || v === undefined ? null : formatAmount(v, cur));
    let fraudEl = null;
    const box = tabs(
      [
        {
          key: 'general',
          label: t('c.tab.general'),
          render: () =>
            dl([
              ['c.d.state', state(c.active)],
              ['c.d.created_at', when(c.created_at)],
              ['c.d.last_auth_at', when(c.last_auth_at), 'cd-last-auth'],
              ['c.d.deactivated_at', when(c.deactivated_at)],
              ['c.d.id', c.id !== undefined ? String(c.id) : null],
              ['c.d.brand', c.brand_name],
              ['c.d.shop', c.shop_name, 'cd-shop'],
              ['c.d.site', c.site],
              ['c.d.number', c.number, 'cd-number'],
              ['c.d.rang', c.rang],
              ['c.d.label', c.label],
              ['c.d.bank_code', c.bank_code],
              ['c.d.currency', c.currency],
              ['c.d.amount_min', amount(c.amount_min)],
              ['c.d.amount_max', amount(c.amount_max)],
              ['c.d.deferral_days', c.deferral_days !== undefined && c.deferral_days !== null ? String(c.deferral_days) : null],
            ]),
        },
        {
          key: 'offers',
          label: t('c.tab.offers'),
          render: () =>
            h(
              'div',
              {},
              dl([
                ['c.d.payment_method', c.payment_method],
                ['c.d.three_d_secure', c.three_d_secure === undefined ? null : t(c.three_d_secure ? 'c.tds_on' : 'c.tds_off'), 'cd-tds'],
              ]),
              h('p', { class: 'muted small' }, t('c.tds_note')),
            ),
        },
        {
          key: 'telecollect',
          label: t('c.tab.telecollect'),
          render: () =>
            dl([
              ['c.d.last_batch_at', c.last_batch_at ? when(c.last_batch_at) : h('span', { class: 'muted' }, t('c.never')), 'cd-last-batch'],
              ['c.d.last_batch_number', c.last_batch_number !== null && c.last_batch_number !== undefined ? String(c.last_batch_number) : null],
              ['c.d.telecollect_number', c.telecollect_number],
              ['c.d.report_email', c.report_email],
              ['c.d.test_mode', yesNo(c.test_mode), 'cd-test-mode'],
              ['c.d.test_date', c.test_date ? (/^\d{4}-\d{2}-\d{2}$/.test(c.test_date) ? formatDay(c.test_date) : formatDateTime(c.test_date)) : null],
            ]),
        },
        {
          key: 'fraud',
          label: t('c.tab.fraud'),
          // One element for the dialog's life: an edit in progress survives a change of tab.
          render: () => {
            fraudEl = fraudEl || fraudFiltersTab(c);
            return fraudEl;
          },
        },
      ],
      { idPrefix: 'c-tab', label: t('c.tabs') },
    );
    const closeButton = h('button', { type: 'button', class: 'button', id: 'c-details-close' }, t('j.dialog.close'));
    const d = openDialog({
      title: t('c.details_title', { number: c.number, method: c.payment_method || '' }),
      content: box.el,
      actions: [
        h('a', { class: 'button', href: batchesHref(c), id: 'c-details-batches' }, t('c.batches')),
        closeButton,
      ],
      wide: true,
      id: 'c-details',
    });
    closeButton.addEventListener('click', () => d.close());
  }

  const root = h(
    'section',
    { class: 'journal-page', 'aria-labelledby': 'c-title' },
    h('h1', { id: 'c-title' }, t('nav.contracts')),
    scopeEl,
    h(
      'section',
      { class: 'card journal-card', 'aria-labelledby': 'c-list-title' },
      h('h2', { id: 'c-list-title' }, t('c.list')),
      h('div', { class: 'journal-toolbar' }, exports.el),
      error,
      status,
      body,
    ),
  );
  const off = onScopeChange(() => {
    if (!root.isConnected) {
      off();
      return;
    }
    replace(scopeEl, scopeLine().textContent);
    load();
  });
  load();
  return root;
}
