// actions.js - the action log for administrators (SPEC §13; Vision manual §11.2): search by
// period (required; Paris days, both included), user (the actions they did and those done to
// them) and action; newest first, 100 a page, "show the next 100" follows the server's cursor;
// the same search exported as CSV or TXT in a layout, as the journals are (plain download links:
// the browser sends the session cookie; docs/EXPORTS.md).
//
// GET /bo/api/actions?from&to[&user][&action][&cursor] → {items:[{id, at, user_id, user_login,
// user_name, user_email, action, target_user_id, target_login, details, count, last_at}], next}
// (count: a refusal repeated within a minute, counted in one row). Times are
// shown in the user's time zone; a user change's details are said in the user's language.

import { api, errorMessage } from '../api.js';
import { h, replace } from '../dom.js';
import { dayInput, parseDay } from '../day-input.js';
import { errorBox, say } from '../form-fields.js';
import { formatAmount, formatCount, formatDateTime, timeZone, today } from '../format.js';
import { has, t } from '../i18n.js';
import { exportLinks } from '../journal.js';
import { parseAmount } from '../money.js';
import { onScopeChange, scopeParam } from '../scope.js';

// The actions the server writes today (src/api/*.c); the log may hold others, shown by code.
const ACTIONS = [
  'sign_in',
  'sign_in_failed',
  'sign_in_refused',
  'account_locked',
  'sign_out',
  'disconnect',
  'resume',
  'resume_refused',
  'session_expired',
  'password_changed',
  'password_change_refused',
  'second_factor_change_refused',
  'terms_accepted',
  'second_factor_requested',
  'second_factor_failed',
  'second_factor_enabled',
  'second_factor_disabled',
  'personal_information_changed',
  'user_created',
  'user_updated',
  'user_password_reset',
  'user_unlocked',
  'user_ereport_changed',
  'transaction_capture',
  'transaction_bank_sending',
  'transaction_cancellation',
  'transaction_refund',
  'card_blocked',
  'blocklist_added',
  'blocklist_removed',
  'fraud_filters_changed',
  'plan_terminated',
  'subscription_terminated',
  'mail_retried',
  'retention_changed',
  'second_factor_policy_changed',
  'settings_emails_changed',
  'settings_urls_changed',
  'settings_immediate_return_changed',
  'page_theme_changed',
  'page_theme_reset',
  'page_theme_logo_changed',
  'page_theme_logo_removed',
  'store_request',
  'contact_sent',
];

let last = null; // the last search of this tab: coming back shows it again

function addDays(day, n) {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}

export function actionLabel(code) {
  return has(`action.${code}`) ? t(`action.${code}`) : code;
}

// A user change's details (src/api/users.c): "field: before → after" or "field: value", joined
// by "; ", each value in JSON.
const VALUE = String.raw`"(?:[^"\\]|\\.)*"|true|false|-?\d+`;
const CHANGE = new RegExp(String.raw`^(\w+): (${VALUE})(?: → (${VALUE}))?(?:; (?=\w)|$)`);

/** [{field, before?, after}] of a user change's details, or null for any other text. */
export function parseChanges(details) {
  const changes = [];
  let rest = details;
  while (rest) {
    const m = CHANGE.exec(rest);
    if (!m) return null;
    const change = { field: m[1], after: JSON.parse(m[3] === undefined ? m[2] : m[3]) };
    if (m[3] !== undefined) change.before = JSON.parse(m[2]);
    changes.push(change);
    rest = rest.slice(m[0].length);
  }
  return changes.length ? changes : null;
}

function valueText(field, v) {
  if (typeof v === 'boolean') return t(`action.value.${v}`);
  if (v === '') return t('action.value.none');
  if (field === 'profile' && has(`profile.${v}`)) return t(`profile.${v}`);
  if (field === 'language' && has(`language.${v}`)) return t(`language.${v}`);
  if ((field === 'structure' || field === 'format') && has(`ereport.${field}.${v}`)) return t(`ereport.${field}.${v}`);
  return typeof v === 'string' ? t('action.value.text', { value: v }) : String(v);
}

function changeText({ field, before, after }) {
  const label = has(`action.field.${field}`) ? t(`action.field.${field}`) : field;
  if (before === undefined) return t('action.set', { field: label, value: valueText(field, after) });
  return t('action.change', { field: label, before: valueText(field, before), after: valueText(field, after) });
}

// A cash operation's details (src/api/transactions.c): "transaction 20448, amount 150.50 EUR"
// (units, the currency's decimals) or "transaction 20448, card 411111******1111[, reason: …]".
const TXN_AMOUNT = /^transaction (\d+), amount (\d+(?:\.\d+)?) ([A-Z]{3})$/;
const TXN_CARD = /^transaction (\d+), card (\S+)(?:, reason: (.*))?$/s;

/** The transaction's id as a link to its details on the transactions page. */
function txnLink(id) {
  return h('a', { href: `#/transactions?details=${id}`, class: 'txn-link' }, id);
}

/**
 * A cash operation's details in the user's language, the transaction a link and the amount
 * in the language's money format; null for any other text.
 */
function operationDetails(details) {
  let m = TXN_AMOUNT.exec(details);
  if (m) {
    const minor = parseAmount(m[2], m[3]);
    if (minor === null) return null;
    return h('span', {}, t('action.details.txn'), ' ', txnLink(m[1]), t('action.separator'),
      t('action.details.amount', { amount: formatAmount(minor, m[3]) }));
  }
  m = TXN_CARD.exec(details);
  if (m) {
    const parts = [t('action.details.txn'), ' ', txnLink(m[1]), t('action.separator'),
      t('action.details.card', { card: m[2] })];
    if (m[3]) parts.push(t('action.separator'), t('action.details.reason', { reason: m[3] }));
    return h('span', {}, ...parts);
  }
  return null;
}

/** The server writes details in English; the known forms are said in the user's language. */
function detailsText(details) {
  if (!details) return '';
  const operation = operationDetails(details);
  if (operation) return operation;
  if (has(`action.details.${details}`)) return t(`action.details.${details}`);
  const changes = parseChanges(details);
  if (changes) return changes.map(changeText).join(t('action.separator'));
  const m = /^user (\S+)(?:, profile (\w+))?$/.exec(details);
  if (m && m[2] && has(`profile.${m[2]}`)) {
    return t('action.details.user_profile', { login: m[1], profile: t(`profile.${m[2]}`) });
  }
  if (m && !m[2]) return t('action.details.user', { login: m[1] });
  return details;
}

/** The query string of a search (without cursor), in the tree navigation's node. */
function queryOf(s) {
  const q = new URLSearchParams({ from: s.from, to: s.to });
  if (s.user) q.set('user', s.user);
  if (s.action) q.set('action', s.action);
  return q.toString() + scopeParam();
}

export async function render({ query }) {
  const now = today('Europe/Paris');
  const search = {
    from: (last && last.from) || addDays(now, -6),
    to: (last && last.to) || now,
    user: (last && last.user) || '',
    action: (last && last.action) || '',
  };
  if (query && query.get('user')) search.user = query.get('user');

  // The users to choose from (administrators may list them).
  let users = [];
  try {
    users = (await api.get('/bo/api/users')).items || [];
  } catch {
    users = []; // the search still works without the user filter's names
  }

  const from = dayInput({ id: 'actions-from', name: 'from', required: true, value: search.from, 'aria-describedby': 'actions-days-hint' });
  const to = dayInput({ id: 'actions-to', name: 'to', required: true, value: search.to, 'aria-describedby': 'actions-days-hint' });
  const userSelect = h(
    'select',
    { id: 'actions-user', name: 'user', 'aria-describedby': 'actions-user-hint' },
    h('option', { value: '' }, t('actions.user.all')),
    users.map((u) => h('option', { value: String(u.id) }, `${u.login} — ${u.name}`)),
  );
  if (search.user && !users.some((u) => String(u.id) === String(search.user))) {
    userSelect.append(h('option', { value: String(search.user) }, `#${search.user}`));
  }
  userSelect.value = String(search.user || '');
  const actionSelect = h(
    'select',
    { id: 'actions-action', name: 'action' },
    h('option', { value: '' }, t('actions.action.all')),
    ACTIONS.map((a) => h('option', { value: a }, actionLabel(a))),
  );
  actionSelect.value = search.action;

  const error = errorBox('actions-error');
  const submit = h('button', { type: 'submit', class: 'button button--primary', id: 'actions-search' }, t('actions.search'));
  const summary = h('p', { id: 'actions-summary', class: 'muted', 'aria-live': 'polite' });
  const exports = exportLinks('/bo/api/actions/export', 'actions');
  const tbody = h('tbody', { id: 'actions-rows' });
  const tableEl = h(
    'table',
    { class: 'table table--admin', id: 'actions-table' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['date', 'user', 'email', 'action', 'target', 'details'].map((c) =>
          h('th', { scope: 'col' }, t(`actions.col.${c}`)),
        ),
      ),
    ),
    tbody,
  );
  const more = h('button', { type: 'button', class: 'button', id: 'actions-more', hidden: true }, t('actions.more'));
  const results = h(
    'section',
    { class: 'actions-results', 'aria-labelledby': 'actions-results-title', 'aria-busy': 'false' },
    h(
      'div',
      { class: 'table-tools' },
      h('h2', { id: 'actions-results-title', class: 'visually-hidden' }, t('actions.results')),
      summary,
      h(
        'div',
        { class: 'export export--stacked' },
        exports.el,
        h('span', { class: 'muted small', id: 'actions-export-hint' }, t('actions.export_hint')),
      ),
    ),
    h('div', { class: 'table-wrap card card--flush' }, tableEl),
    h('div', { class: 'actions more' }, more),
  );

  let shown = 0;
  let cursor = null;
  let seq = 0;

  function row(a) {
    return h(
      'tr',
      { dataset: { id: String(a.id), action: a.action } },
      h('td', { class: 'nowrap' }, h('time', { datetime: a.at }, formatDateTime(a.at))),
      h(
        'td',
        {},
        a.user_id ? h('a', { href: `#/users/${a.user_id}`, class: 'user-login' }, a.user_login) : a.user_login,
        h('span', { class: 'cell-sub' }, a.user_name),
      ),
      h('td', { class: 'wrap-anywhere' }, a.user_email),
      h(
        'td',
        {},
        actionLabel(a.action),
        // A refusal repeated within a minute is one row with its count (README "Sign-in").
        a.count > 1 &&
          h(
            'span',
            { class: 'cell-sub action-count' },
            t('actions.repeated', { n: formatCount(a.count), last: formatDateTime(a.last_at) }),
          ),
      ),
      h(
        'td',
        {},
        a.target_user_id
          ? h('a', { href: `#/users/${a.target_user_id}`, class: 'target-login' }, a.target_login)
          : a.target_login || '',
      ),
      h('td', { class: 'wrap-anywhere' }, detailsText(a.details)),
    );
  }

  function showSummary() {
    if (!shown) summary.textContent = t('actions.none');
    else summary.textContent = t(cursor ? 'actions.shown_more' : 'actions.shown', { n: formatCount(shown) });
  }

  async function fetchPage(append) {
    const mine = ++seq;
    results.setAttribute('aria-busy', 'true');
    const q = queryOf(search) + (append && cursor ? `&cursor=${encodeURIComponent(cursor)}` : '');
    try {
      const answer = await api.get(`/bo/api/actions?${q}`);
      if (mine !== seq) return;
      const items = answer.items || [];
      if (!append) {
        replace(tbody);
        shown = 0;
      }
      tbody.append(...items.map(row));
      shown += items.length;
      cursor = answer.next || null;
      more.hidden = !cursor;
      showSummary();
      results.dataset.state = 'loaded';
    } catch (err) {
      if (mine !== seq) return;
      say(error, errorMessage(err));
    } finally {
      if (mine === seq) results.setAttribute('aria-busy', 'false');
    }
  }

  async function run(e) {
    if (e) e.preventDefault();
    say(error, '');
    from.removeAttribute('aria-invalid');
    to.removeAttribute('aria-invalid');
    const f = from.value;
    const tt = to.value;
    if (!parseDay(f) || !parseDay(tt) || f > tt) {
      from.setAttribute('aria-invalid', 'true');
      to.setAttribute('aria-invalid', 'true');
      say(error, t('actions.bad_period'));
      from.focus();
      return;
    }
    Object.assign(search, { from: f, to: tt, user: userSelect.value, action: actionSelect.value });
    last = { ...search };
    exports.set(queryOf(search));
    cursor = null;
    await fetchPage(false);
  }

  more.addEventListener('click', async () => {
    more.disabled = true;
    const before = shown;
    await fetchPage(true);
    more.disabled = false;
    // Keyboard users go on from the first new row.
    const next = tbody.children[before];
    if (next) {
      const link = next.querySelector('a');
      if (link) link.focus();
    }
  });

  const form = h(
    'form',
    { class: 'card actions-form', id: 'actions-form', novalidate: true, onsubmit: run },
    h(
      'div',
      { class: 'filters' },
      h('div', { class: 'field' }, h('label', { for: 'actions-from' }, t('actions.from')), from),
      h('div', { class: 'field' }, h('label', { for: 'actions-to' }, t('actions.to')), to),
      h('div', { class: 'field' }, h('label', { for: 'actions-user' }, t('actions.user')), userSelect),
      h('div', { class: 'field' }, h('label', { for: 'actions-action' }, t('actions.action')), actionSelect),
      h('div', { class: 'field field--submit' }, submit),
    ),
    h('p', { class: 'field-hint', id: 'actions-days-hint' }, t('actions.days_hint', { zone: timeZone() })),
    h('p', { class: 'field-hint', id: 'actions-user-hint' }, t('actions.user.hint')),
    error,
  );

  const page = h(
    'section',
    { class: 'action-log', 'aria-labelledby': 'actions-title' },
    h('h1', { id: 'actions-title' }, t('actions.title')),
    form,
    results,
  );
  await run();
  // The tree navigation chose another node: the same search there.
  const stop = onScopeChange(() => {
    if (!page.isConnected) {
      stop();
      return;
    }
    exports.set(queryOf(search));
    cursor = null;
    fetchPage(false);
  });
  return page;
}
