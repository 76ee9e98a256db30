// mails.js - the e-mails the server could not deliver, for administrators (README "Mail"):
// the failed ones and those it tries again after a failure, of the user's node of the tree (or
// the one the tree navigation chose) and below, newest first, 50 a page. Each says whom it was
// for, its subject, how many attempts, and the mail server's answer (a refusal like "550 5.1.1
// No such user", or why it could not be reached); never its text. A failed one whose text is
// still kept (7 days) may be sent again, once the address or the relay is put right.
//
// GET /bo/api/mails[?status=failed|pending][&node][&cursor] → {items:[{id, recipient, subject,
// status, created_at, attempts, last_error, failed_at, next_attempt_at, retried_at,
// retryable}], next, failed_recent}; POST /bo/api/mails/{id}/retry → the mail, pending again.

import { api, errorMessage } from '../api.js';
import { may } from '../app.js';
import { h, replace } from '../dom.js';
import { errorBox, say, statusBox } from '../form-fields.js';
import { formatCount, formatDateTime } from '../format.js';
import { t } from '../i18n.js';
import { getScope, onScopeChange, scopeParam } from '../scope.js';

const RETRY = 'POST /bo/api/mails/{id}/retry';

function when(instant) {
  return instant ? h('time', { datetime: instant }, formatDateTime(instant)) : '—';
}

export async function render({ query } = {}) {
  const error = errorBox('mails-error');
  const done = statusBox('mails-done');
  const status = h(
    'select',
    { id: 'mails-status', name: 'status' },
    ['', 'failed', 'pending'].map((s) => h('option', { value: s }, t(`mails.filter.${s || 'all'}`))),
  );
  // Home's warning links to the failed ones (#/mails?status=failed).
  if (query && ['failed', 'pending'].includes(query.get('status'))) status.value = query.get('status');
  const summary = h('p', { id: 'mails-summary', class: 'muted', 'aria-live': 'polite' });
  const intro = h('p', { class: 'muted', id: 'mails-intro' });
  const tbody = h('tbody', { id: 'mails-rows' });
  const more = h('button', { type: 'button', class: 'button', id: 'mails-more', hidden: true }, t('mails.more'));
  const results = h(
    'section',
    { class: 'mails-results', 'aria-labelledby': 'mails-results-title', 'aria-busy': 'false' },
    h('div', { class: 'table-tools' }, h('h2', { id: 'mails-results-title', class: 'visually-hidden' }, t('mails.results')), summary),
    h(
      'div',
      { class: 'table-wrap card card--flush' },
      h(
        'table',
        { class: 'table table--admin', id: 'mails-table' },
        h(
          'thead',
          {},
          h('tr', {}, ['created', 'recipient', 'subject', 'status', 'attempts', 'error', 'when', 'action'].map((c) =>
            h('th', { scope: 'col' }, t(`mails.col.${c}`)))),
        ),
        tbody,
      ),
    ),
    h('div', { class: 'actions more' }, more),
  );

  let shown = 0;
  let cursor = null;
  let seq = 0;

  async function retry(m, button) {
    say(error, '');
    say(done, '');
    button.disabled = true;
    try {
      const again = await api.post(`/bo/api/mails/${m.id}/retry`);
      button.closest('tr').replaceWith(row(again));
      say(done, t('mails.retried', { recipient: again.recipient }));
    } catch (err) {
      button.disabled = false;
      say(error, errorMessage(err));
    }
  }

  function row(m) {
    const failed = m.status === 'failed';
    const button =
      m.retryable && may(RETRY)
        ? h('button', { type: 'button', class: 'button button--small mails-retry' }, t('mails.retry'))
        : null;
    if (button) button.addEventListener('click', () => retry(m, button));
    return h(
      'tr',
      { dataset: { id: String(m.id), status: m.status } },
      h('td', { class: 'nowrap' }, when(m.created_at)),
      h('td', { class: 'wrap-anywhere mails-recipient' }, m.recipient),
      h('td', { class: 'mails-subject' }, m.subject),
      h(
        'td',
        {},
        h('span', { class: `badge ${failed ? 'badge--danger' : 'badge--warn'}` }, t(`mails.status.${m.status}`)),
        m.retried_at ? h('span', { class: 'cell-sub' }, t('mails.retried_at'), ' ', when(m.retried_at)) : null,
      ),
      h('td', { class: 'num' }, formatCount(m.attempts)),
      h('td', { class: 'wrap-anywhere mails-error' }, m.last_error || '—'),
      h(
        'td',
        { class: 'nowrap' },
        h('span', { class: 'cell-sub' }, t(failed ? 'mails.failed_at' : 'mails.next_at')),
        when(failed ? m.failed_at : m.next_attempt_at),
      ),
      h('td', {}, button || (failed ? h('span', { class: 'muted small' }, t('mails.expired')) : '')),
    );
  }

  async function fetchPage(append) {
    const mine = ++seq;
    results.setAttribute('aria-busy', 'true');
    const q = new URLSearchParams();
    if (status.value) q.set('status', status.value);
    if (append && cursor) q.set('cursor', cursor);
    const query = (q.toString() + scopeParam()).replace(/^&/, '');
    try {
      const answer = await api.get(`/bo/api/mails${query ? `?${query}` : ''}`);
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
      intro.textContent = scope ? t('mails.intro', { node: scope.name }) : t('mails.intro.own');
      summary.textContent = shown
        ? t(cursor ? 'mails.shown_more' : 'mails.shown', { n: formatCount(shown) })
        : t('mails.none');
      results.dataset.state = 'loaded';
    } catch (err) {
      if (mine !== seq) return;
      say(error, errorMessage(err));
    } finally {
      if (mine === seq) results.setAttribute('aria-busy', 'false');
    }
  }

  status.addEventListener('change', () => {
    cursor = null;
    fetchPage(false);
  });
  more.addEventListener('click', async () => {
    more.disabled = true;
    await fetchPage(true);
    more.disabled = false;
  });

  const page = h(
    'section',
    { class: 'mails', 'aria-labelledby': 'mails-title' },
    h('h1', { id: 'mails-title' }, t('nav.mails')),
    intro,
    h('p', { class: 'field-hint', id: 'mails-rules' }, t('mails.rules')),
    h(
      'div',
      { class: 'card filters' },
      h('div', { class: 'field' }, h('label', { for: 'mails-status' }, t('mails.filter')), status),
    ),
    error,
    done,
    results,
  );
  await fetchPage(false);
  // The tree navigation chose another node: the same list there.
  const stop = onScopeChange(() => {
    if (!page.isConnected) {
      stop();
      return;
    }
    cursor = null;
    fetchPage(false);
  });
  return page;
}
