// pages/notifications.js - the "Notifications" tab of a transaction's details (README
// "Notifications"): each call made to the merchant's server about it, with its state, the
// body sent and every attempt (when, how long, the HTTP status or the error, the start of the
// answer), and "Send again" for the profiles whose allowed routes list the resend route.
//
// GET /bo/api/transactions/{id}/notifications reads it; POST …/{nid}/resend sends one again
// (the server checks the profile, the scope and the CSRF token; its refusal is shown).

import { api, ApiError, errorMessage } from '../api.js';
import { may } from '../app.js';
import { h, replace } from '../dom.js';
import { formatDateTime } from '../format.js';
import { t } from '../i18n.js';

const RESEND = 'POST /bo/api/transactions/{id}/notifications/{nid}/resend';

function attemptsTable(n) {
  if (!n.log.length) return h('p', { class: 'muted' }, t('notify.no_attempt'));
  return h(
    'div',
    { class: 'table-scroll' },
    h(
      'table',
      { class: 'journal journal--compact notify-attempts', id: `notify-${n.id}-attempts` },
      h('caption', { class: 'visually-hidden' }, t('notify.attempts')),
      h(
        'thead',
        {},
        h('tr', {}, ['at', 'duration', 'status', 'error', 'answer'].map((k) => h('th', { scope: 'col' }, t(`notify.col.${k}`)))),
      ),
      h(
        'tbody',
        {},
        n.log.map((a) =>
          h(
            'tr',
            {},
            h('td', {}, formatDateTime(a.at)),
            h('td', { class: 'num' }, t('notify.ms', { ms: a.duration_ms })),
            h('td', {}, a.http_status === null ? t('notify.no_answer') : String(a.http_status)),
            h('td', {}, a.error || ''),
            h('td', {}, h('code', { class: 'notify-answer' }, a.answer || '')),
          ),
        ),
      ),
    ),
  );
}

function notificationBlock(txId, n, reload, notice) {
  const resend =
    may(RESEND) &&
    h('button', { type: 'button', class: 'button button--small', id: `notify-${n.id}-resend` }, t('notify.resend'));
  if (resend) {
    resend.addEventListener('click', async () => {
      resend.disabled = true;
      try {
        await api.post(`/bo/api/transactions/${encodeURIComponent(txId)}/notifications/${encodeURIComponent(n.id)}/resend`, {});
        notice.textContent = t('notify.resent', { url: n.url });
        notice.hidden = false;
        reload();
      } catch (err) {
        if (err instanceof ApiError && err.status === 401) return;
        notice.textContent = errorMessage(err);
        notice.hidden = false;
        resend.disabled = false;
      }
    });
  }
  return h(
    'section',
    { class: 'notify', id: `notify-${n.id}`, 'aria-labelledby': `notify-${n.id}-title` },
    h('h3', { id: `notify-${n.id}-title` }, t(`notify.status.${n.status}`), ' — ', h('span', { class: 'notify-url' }, `${n.method} ${n.url}`)),
    h(
      'p',
      { class: 'muted' },
      t('notify.summary', { created: formatDateTime(n.created_at), attempts: n.attempts }),
      n.next_attempt_at ? ` ${t('notify.next', { at: formatDateTime(n.next_attempt_at) })}` : '',
      n.signed ? ` ${t('notify.signed')}` : '',
    ),
    h('details', {}, h('summary', {}, t('notify.body')), h('pre', { class: 'notify-body' }, n.body || '')),
    attemptsTable(n),
    resend || null,
  );
}

/** The tab's content for transaction txId: filled once the log is read. */
export function notificationsTab(txId) {
  const box = h('div', { class: 'notifications', id: 'tx-notifications' }, h('p', { class: 'muted' }, t('notify.loading')));
  const notice = h('p', { class: 'success', role: 'status', id: 'notify-notice', hidden: true });
  async function load() {
    try {
      const r = await api.get(`/bo/api/transactions/${encodeURIComponent(txId)}/notifications`);
      if (!r.items.length) {
        replace(box, notice, h('p', { class: 'muted' }, t('notify.none')));
        return;
      }
      replace(box, notice, ...r.items.map((n) => notificationBlock(txId, n, load, notice)));
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return;
      replace(box, h('p', { class: 'error', role: 'alert' }, errorMessage(err)));
    }
  }
  load();
  return box;
}
