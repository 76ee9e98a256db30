// push-reports.js - the daily push reports (docs/EREPORTING.md "Push reports"): each run of the
// report of a day mailed to a user (the user's own; an administrator's, those of the users of
// their scope), newest first, 50 a page: the day, the user, its state (queued, sent, failed),
// structure and format, attached or sent as a link, rows and size, attempts and the last error.
// The link of a report too large to be attached opens this page as #/push-reports/TOKEN: it
// offers the file, which the back office serves to the signed-in user it was mailed to.
//
// GET /bo/api/push-reports[?cursor] → {items:[{id, user_login, user_name, day, status,
// structure, format, delivery, rows, bytes, attempts, error, created_at, finished_at,
// next_attempt_at, file_expires_at}], next}; GET /bo/api/push-reports/file/{token} → the file.

import { api, errorMessage } from '../api.js';
import { h, replace } from '../dom.js';
import { errorBox, say } from '../form-fields.js';
import { formatCount, formatDateTime } from '../format.js';
import { t } from '../i18n.js';

function when(instant) {
  return instant ? h('time', { datetime: instant }, formatDateTime(instant)) : '—';
}

const BADGE = { sent: 'badge--ok', queued: 'badge--warn', failed: 'badge--danger' };

function size(bytes) {
  return bytes >= 1024 ? t('push.kib', { n: formatCount(Math.ceil(bytes / 1024)) }) : t('push.bytes', { n: formatCount(bytes) });
}

export async function render({ args = [] } = {}) {
  const error = errorBox('push-error');
  const token = /^[0-9a-f]{64}$/.test(args[0] || '') ? args[0] : null;
  const download = token
    ? h(
        'section',
        { class: 'card', id: 'push-download-card', 'aria-labelledby': 'push-download-title' },
        h('h2', { id: 'push-download-title' }, t('push.download.title')),
        h('p', { class: 'muted' }, t('push.download.intro')),
        h('a', { class: 'button button--primary', id: 'push-download', href: `/bo/api/push-reports/file/${token}`, download: '' }, t('push.download')),
      )
    : null;
  const summary = h('p', { id: 'push-summary', class: 'muted', 'aria-live': 'polite' });
  const tbody = h('tbody', { id: 'push-rows' });
  const more = h('button', { type: 'button', class: 'button', id: 'push-more', hidden: true }, t('push.more'));
  const results = h(
    'section',
    { class: 'push-results', 'aria-labelledby': 'push-results-title', 'aria-busy': 'false' },
    h('div', { class: 'table-tools' }, h('h2', { id: 'push-results-title', class: 'visually-hidden' }, t('push.results')), summary),
    h(
      'div',
      { class: 'table-wrap card card--flush' },
      h(
        'table',
        { class: 'table table--admin', id: 'push-table' },
        h(
          'thead',
          {},
          h('tr', {}, ['day', 'user', 'status', 'report', 'delivery', 'rows', 'attempts', 'when'].map((c) =>
            h('th', { scope: 'col' }, t(`push.col.${c}`)))),
        ),
        tbody,
      ),
    ),
    h('div', { class: 'actions more' }, more),
  );

  let shown = 0;
  let cursor = null;

  function row(r) {
    return h(
      'tr',
      { dataset: { id: String(r.id), status: r.status } },
      h('td', { class: 'nowrap' }, r.day),
      h('td', {}, r.user_name, h('span', { class: 'cell-sub' }, r.user_login)),
      h(
        'td',
        {},
        h('span', { class: `badge ${BADGE[r.status] || ''}` }, t(`push.status.${r.status}`)),
        r.error ? h('span', { class: 'cell-sub wrap-anywhere push-error' }, r.error) : null,
      ),
      h('td', {}, r.structure ? `${t(`ereport.structure.${r.structure}`)} · ${t(`ereport.format.${r.format}`)}` : '—'),
      h(
        'td',
        {},
        r.delivery ? t(`push.delivery.${r.delivery}`) : '—',
        r.file_expires_at ? h('span', { class: 'cell-sub' }, t('push.expires'), ' ', when(r.file_expires_at)) : null,
      ),
      h('td', { class: 'num' }, formatCount(r.rows), h('span', { class: 'cell-sub' }, size(r.bytes))),
      h('td', { class: 'num' }, formatCount(r.attempts)),
      h(
        'td',
        { class: 'nowrap' },
        h('span', { class: 'cell-sub' }, t(r.finished_at ? 'push.finished_at' : r.next_attempt_at ? 'push.next_at' : 'push.created_at')),
        when(r.finished_at || r.next_attempt_at || r.created_at),
      ),
    );
  }

  async function fetchPage(append) {
    results.setAttribute('aria-busy', 'true');
    try {
      const answer = await api.get(`/bo/api/push-reports${append && cursor ? `?cursor=${cursor}` : ''}`);
      if (!append) {
        replace(tbody);
        shown = 0;
      }
      tbody.append(...answer.items.map(row));
      shown += answer.items.length;
      cursor = answer.next || null;
      more.hidden = !cursor;
      summary.textContent = shown ? t(cursor ? 'push.shown_more' : 'push.shown', { n: formatCount(shown) }) : t('push.none');
      results.dataset.state = 'loaded';
    } catch (err) {
      say(error, errorMessage(err));
    } finally {
      results.setAttribute('aria-busy', 'false');
    }
  }

  more.addEventListener('click', async () => {
    more.disabled = true;
    await fetchPage(true);
    more.disabled = false;
  });

  const page = h(
    'section',
    { class: 'push-reports', 'aria-labelledby': 'push-title' },
    h('h1', { id: 'push-title' }, t('nav.push-reports')),
    h('p', { class: 'muted', id: 'push-intro' }, t('push.intro')),
    h('p', { class: 'field-hint', id: 'push-rules' }, t('push.rules')),
    download,
    error,
    results,
  );
  await fetchPage(false);
  return page;
}
