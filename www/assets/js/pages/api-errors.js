// api-errors.js - the merchant API's error log (README "API error log"; Ingenico guide 3.2.10
// "Journaux d'erreur"): the calls the API refused in the last 3 days for the shops of the
// user's node of the tree (or the one the tree navigation chose), newest first, 50 a page;
// searchable by period (days of the user's zone within the 3 days), error code, route and HTTP
// status; exported as CSV (a plain download link: the browser sends the session cookie). Each
// row says what the API answered and, per code, what the integrator should fix; the codes'
// reference is at the foot of the page. Never a body, card, signature or key: the log has none.
//
// GET /bo/api/api-errors[?from&to][&code][&path][&status][&node][&cursor] → {items:[{id, at,
// shop_id, shop_name, site, rang, method, path, http_status, code, field, message, count}],
// next, from, to}; GET /bo/api/api-errors/export?format=csv&… the same search as a file.

import { api, errorMessage } from '../api.js';
import { h, replace } from '../dom.js';
import { dayInput, parseDay } from '../day-input.js';
import { errorBox, say } from '../form-fields.js';
import { formatCount, formatDateTime, timeZone, today } from '../format.js';
import { has, t } from '../i18n.js';
import { shiftDay } from '../journal.js';
import { getScope, onScopeChange, scopeParam } from '../scope.js';

// The codes the merchant API answers (src/http/reply.c, src/domain/txn.c), in the order of a
// call's life: its headers, its body, what it names, its operation, the server.
export const CODES = [
  'missing_signature',
  'bad_signature',
  'bad_json',
  'invalid_field',
  'bad_idempotency_key',
  'idempotency_conflict',
  'body_too_large',
  'not_found',
  'no_contract',
  'unknown_alias',
  'alias_expired',
  'alias_in_use',
  'card_expired',
  'card_expires_too_soon',
  'not_accepted',
  'wrong_type',
  'wrong_state',
  'too_late',
  'amount_invalid',
  'amount_too_high',
  'conflict',
  'refused',
  'storage_unavailable',
  'busy',
  'internal_error',
];
const STATUSES = [400, 401, 404, 409, 413, 422, 500, 503];

let last = null; // the last search of this tab: coming back shows it again

/** The help of a code: what to fix, or null for a code the page does not know. */
export function helpOf(code) {
  return has(`apierr.help.${code}`) ? t(`apierr.help.${code}`) : null;
}

function queryOf(s) {
  const q = new URLSearchParams();
  if (s.from) q.set('from', s.from);
  if (s.to) q.set('to', s.to);
  if (s.code) q.set('code', s.code);
  if (s.path) q.set('path', s.path);
  if (s.status) q.set('status', s.status);
  return (q.toString() + scopeParam()).replace(/^&/, '');
}

function codeReference() {
  return h(
    'details',
    { class: 'card apierr-codes', id: 'apierr-codes' },
    h('summary', {}, h('h2', { class: 'apierr-codes-title' }, t('apierr.codes'))),
    h('p', { class: 'muted' }, t('apierr.codes.intro')),
    h(
      'dl',
      { class: 'apierr-codes-list' },
      CODES.flatMap((c) => [h('dt', { id: `apierr-code-${c}` }, h('code', {}, c)), h('dd', {}, helpOf(c))]),
    ),
  );
}

export async function render() {
  const now = today();
  const first = shiftDay(now, { days: -3 });
  const search = { from: '', to: '', code: '', path: '', status: '', ...(last || {}) };

  const from = dayInput({ id: 'apierr-from', name: 'from', min: first, max: now, value: search.from, 'aria-describedby': 'apierr-days-hint' });
  const to = dayInput({ id: 'apierr-to', name: 'to', min: first, max: now, value: search.to, 'aria-describedby': 'apierr-days-hint' });
  const code = h(
    'select',
    { id: 'apierr-code', name: 'code' },
    h('option', { value: '' }, t('apierr.code.all')),
    CODES.map((c) => h('option', { value: c }, c)),
  );
  code.value = search.code;
  const path = h('input', { type: 'search', id: 'apierr-path', name: 'path', maxlength: 100, value: search.path, 'aria-describedby': 'apierr-path-hint' });
  const status = h(
    'select',
    { id: 'apierr-status', name: 'status' },
    h('option', { value: '' }, t('apierr.status.all')),
    STATUSES.map((s) => h('option', { value: String(s) }, String(s))),
  );
  status.value = search.status;

  const error = errorBox('apierr-error');
  const intro = h('p', { class: 'muted', id: 'apierr-intro' });
  const summary = h('p', { id: 'apierr-summary', class: 'muted', 'aria-live': 'polite' });
  const exportLink = h(
    'a',
    { class: 'button', id: 'apierr-export', download: '', 'aria-describedby': 'apierr-export-hint' },
    t('apierr.export'),
  );
  // The file's layout (docs/EXPORTS.md), a spreadsheet's by default as the journals' exports.
  const exportLayout = h(
    'select',
    { id: 'apierr-export-layout', 'aria-label': t('j.export.layout'), title: t('j.export.layout') },
    ['classic', 'machine', 'old'].map((l) => h('option', { value: l }, t(`j.export.layout.${l}`))),
  );
  exportLayout.addEventListener('change', () => {
    exportLink.href = exportHref();
  });
  const tbody = h('tbody', { id: 'apierr-rows' });
  const more = h('button', { type: 'button', class: 'button', id: 'apierr-more', hidden: true }, t('apierr.more'));
  const results = h(
    'section',
    { class: 'apierr-results', 'aria-labelledby': 'apierr-results-title', 'aria-busy': 'false' },
    h(
      'div',
      { class: 'table-tools' },
      h('h2', { id: 'apierr-results-title', class: 'visually-hidden' }, t('apierr.results')),
      summary,
      h('div', { class: 'export' }, exportLayout, exportLink, h('span', { class: 'muted small', id: 'apierr-export-hint' }, t('apierr.export_hint'))),
    ),
    h(
      'div',
      { class: 'table-wrap card card--flush' },
      h(
        'table',
        { class: 'table table--admin', id: 'apierr-table' },
        h(
          'thead',
          {},
          h('tr', {}, ['at', 'shop', 'route', 'status', 'code', 'message', 'count'].map((c) =>
            h('th', { scope: 'col' }, t(`apierr.col.${c}`)))),
        ),
        tbody,
      ),
    ),
    h('div', { class: 'actions more' }, more),
  );

  let shown = 0;
  let cursor = null;
  let seq = 0;

  function row(e) {
    const help = helpOf(e.code);
    const field = e.field === '?' ? t('apierr.field.unknown') : e.field ? t('apierr.field', { field: e.field }) : null;
    return h(
      'tr',
      { dataset: { id: String(e.id), code: e.code } },
      h('td', { class: 'nowrap' }, h('time', { datetime: e.at }, formatDateTime(e.at))),
      h('td', {}, e.shop_name, h('span', { class: 'cell-sub' }, `${e.site} / ${e.rang}`)),
      h('td', { class: 'apierr-route' }, h('code', {}, `${e.method} ${e.path}`)),
      h('td', { class: 'num' }, h('span', { class: `badge ${e.http_status >= 500 ? 'badge--muted' : 'badge--danger'}` }, String(e.http_status))),
      h('td', {}, h('code', { class: 'apierr-code' }, e.code), field && h('span', { class: 'cell-sub apierr-field' }, field)),
      h(
        'td',
        { class: 'apierr-message' },
        h('span', { lang: 'en' }, e.message),
        help && h('span', { class: 'cell-sub apierr-help' }, h('strong', {}, t('apierr.fix')), help),
      ),
      h('td', { class: 'num' }, formatCount(e.count), e.count > 1 && h('span', { class: 'cell-sub' }, t('apierr.count', { n: formatCount(e.count) }))),
    );
  }

  async function fetchPage(append) {
    const mine = ++seq;
    results.setAttribute('aria-busy', 'true');
    let query = queryOf(search);
    if (append && cursor) query += `${query ? '&' : ''}cursor=${encodeURIComponent(cursor)}`;
    try {
      const answer = await api.get(`/bo/api/api-errors${query ? `?${query}` : ''}`);
      if (mine !== seq) return;
      if (!append) {
        replace(tbody);
        shown = 0;
      }
      tbody.append(...answer.items.map(row));
      shown += answer.items.length;
      cursor = answer.next || null;
      more.hidden = !cursor;
      const scope = getScope();
      intro.textContent = scope ? t('apierr.intro', { node: scope.name }) : t('apierr.intro.own');
      summary.textContent = shown ? t(cursor ? 'apierr.shown_more' : 'apierr.shown', { n: formatCount(shown) }) : t('apierr.none');
      results.dataset.state = 'loaded';
    } catch (err) {
      if (mine !== seq) return;
      say(error, errorMessage(err));
    } finally {
      if (mine === seq) results.setAttribute('aria-busy', 'false');
    }
  }

  function exportHref() {
    const query = queryOf(search);
    return `/bo/api/api-errors/export?format=csv&layout=${exportLayout.value}${query ? `&${query}` : ''}`;
  }

  async function run(e) {
    if (e) e.preventDefault();
    say(error, '');
    from.removeAttribute('aria-invalid');
    to.removeAttribute('aria-invalid');
    const f = from.value;
    const tt = to.value;
    const outside = (d) => d && (!parseDay(d) || d < first || d > now);
    if (outside(f) || outside(tt) || (f && tt && f > tt)) {
      from.setAttribute('aria-invalid', 'true');
      to.setAttribute('aria-invalid', 'true');
      say(error, t('apierr.bad_period', { first }));
      from.focus();
      return;
    }
    Object.assign(search, { from: f, to: tt, code: code.value, path: path.value.trim(), status: status.value });
    last = { ...search };
    exportLink.href = exportHref();
    cursor = null;
    await fetchPage(false);
  }

  function reset() {
    from.value = '';
    to.value = '';
    code.value = '';
    path.value = '';
    status.value = '';
    run();
  }

  more.addEventListener('click', async () => {
    more.disabled = true;
    await fetchPage(true);
    more.disabled = false;
  });

  const form = h(
    'form',
    { class: 'card actions-form', id: 'apierr-form', novalidate: true, onsubmit: run },
    h(
      'div',
      { class: 'filters' },
      h('div', { class: 'field' }, h('label', { for: 'apierr-from' }, t('apierr.from')), from),
      h('div', { class: 'field' }, h('label', { for: 'apierr-to' }, t('apierr.to')), to),
      h('div', { class: 'field' }, h('label', { for: 'apierr-code' }, t('apierr.code')), code),
      h('div', { class: 'field' }, h('label', { for: 'apierr-path' }, t('apierr.path')), path),
      h('div', { class: 'field' }, h('label', { for: 'apierr-status' }, t('apierr.status')), status),
      h(
        'div',
        { class: 'field field--submit' },
        h('button', { type: 'submit', class: 'button button--primary', id: 'apierr-search' }, t('apierr.search')),
        h('button', { type: 'button', class: 'button button--quiet', id: 'apierr-reset', onclick: reset }, t('apierr.reset')),
      ),
    ),
    h('p', { class: 'field-hint', id: 'apierr-days-hint' }, t('apierr.days_hint', { zone: timeZone(), first })),
    h('p', { class: 'field-hint', id: 'apierr-path-hint' }, t('apierr.path.hint')),
    error,
  );

  const page = h(
    'section',
    { class: 'api-errors', 'aria-labelledby': 'apierr-title' },
    h('h1', { id: 'apierr-title' }, t('apierr.title')),
    intro,
    h('p', { class: 'field-hint', id: 'apierr-rules' }, t('apierr.rules')),
    form,
    results,
    codeReference(),
  );
  await run();
  // The tree navigation chose another node: the same search there.
  const stop = onScopeChange(() => {
    if (!page.isConnected) {
      stop();
      return;
    }
    exportLink.href = exportHref();
    cursor = null;
    fetchPage(false);
  });
  return page;
}
