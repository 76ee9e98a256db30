// ereport-settings.js - "Electronic reporting" (Vision manual §3.4.6; docs/EREPORTING.md): the
// structure and format a user's "my reporting format" downloads take, and the daily push
// report's subscription (on or off, the time of day in the user's zone). The same card on the
// user's own Personal information and, for an administrator, on a user's page.
//
//   GET/PATCH /bo/api/me/preferences   {"ereport": {"structure", "format", "push"}} (own choice)
//   GET/PATCH /bo/api/users/{id}/ereport  {"structure", "format", "push"} (administrators)
//   push: {"enabled", "time": "HH:MM", "next_at"}

import { request } from './api.js';
import { may } from './app.js';
import { h } from './dom.js';
import { errorBox, field, say, select, showError, statusBox } from './form-fields.js';
import { formatDateTime } from './format.js';
import { t } from './i18n.js';

/**
 * The card. choice: {structure, format, available_structures, available_formats} as the
 * server answers it; save({structure, format}) → the new choice; idPrefix names the elements;
 * title: the card's heading.
 */
export function ereportCard({ choice, save, idPrefix, title }) {
  const structure = select(
    'structure',
    (choice.available_structures || ['standard']).map((s) => ({ value: s, label: t(`ereport.structure.${s}`) })),
    choice.structure,
    { id: `${idPrefix}-structure` },
  );
  const format = select(
    'format',
    (choice.available_formats || ['delimited']).map((f) => ({ value: f, label: t(`ereport.format.${f}`) })),
    choice.format,
    { id: `${idPrefix}-format` },
  );
  // The push report: shown when the choice has one (a profile that searches transactions).
  const push = choice.push || null;
  const pushOn = h('input', { type: 'checkbox', id: `${idPrefix}-push`, name: 'push', checked: Boolean(push && push.enabled) });
  const pushTime = h('input', { type: 'time', name: 'time', step: 60, required: true, value: (push && push.time) || '07:00' });
  const pushNext = h('p', { class: 'field-hint', id: `${idPrefix}-push-next` });
  function showNext(p) {
    pushNext.textContent = p && p.enabled && p.next_at ? t('ereport.push.next', { when: formatDateTime(p.next_at) }) : t('ereport.push.off');
  }
  showNext(push);
  const pushPart = push
    ? h(
        'fieldset',
        { class: 'ereport-push', id: `${idPrefix}-push-set` },
        h('legend', {}, t('ereport.push.title')),
        h('p', { class: 'muted small' }, t('ereport.push.intro')),
        h('div', { class: 'actions' }, pushOn, h('label', { for: `${idPrefix}-push` }, t('ereport.push.enabled'))),
        field({ id: `${idPrefix}-push-time`, label: t('ereport.push.time'), control: pushTime, hint: t('ereport.push.time.hint') }),
        pushNext,
      )
    : null;
  const error = errorBox(`${idPrefix}-error`);
  const done = statusBox(`${idPrefix}-status`);
  const submit = h('button', { type: 'submit', class: 'button', id: `${idPrefix}-save` }, t('ereport.save'));

  async function onSubmit(e) {
    e.preventDefault();
    say(error, '');
    say(done, '');
    submit.disabled = true;
    try {
      const change = { structure: structure.value, format: format.value };
      if (push) change.push = { enabled: pushOn.checked, time: pushTime.value };
      const answer = await save(change);
      const saved = answer && (answer.ereport || answer);
      if (saved && saved.push) showNext(saved.push);
      say(done, t('ereport.saved', {
        structure: t(`ereport.structure.${structure.value}`),
        format: t(`ereport.format.${format.value}`),
      }));
    } catch (err) {
      showError(
        error,
        err,
        { structure, format, 'ereport.push.time': pushTime, 'push.time': pushTime, 'ereport.push.enabled': pushOn, 'push.enabled': pushOn },
        { structure: t('ereport.structure'), format: t('ereport.format'), 'ereport.push.time': t('ereport.push.time'), 'push.time': t('ereport.push.time'), 'ereport.push.enabled': t('ereport.push.enabled'), 'push.enabled': t('ereport.push.enabled') },
      );
    } finally {
      submit.disabled = false;
    }
  }

  return h(
    'section',
    { class: 'card ereport', 'aria-labelledby': `${idPrefix}-title` },
    h('h2', { id: `${idPrefix}-title` }, title),
    h('p', { class: 'muted small' }, t('ereport.intro')),
    h(
      'form',
      { class: 'form', id: `${idPrefix}-form`, novalidate: true, onsubmit: onSubmit },
      field({ id: `${idPrefix}-structure`, label: t('ereport.structure'), control: structure, hint: t('ereport.structure.hint') }),
      field({ id: `${idPrefix}-format`, label: t('ereport.format'), control: format }),
      pushPart,
      error,
      done,
      h('div', { class: 'actions' }, submit),
    ),
  );
}

/** The card of the signed-in user, from their preferences. */
export function ownEreportCard(prefs) {
  const choice = { ...(prefs.ereport || {}) };
  // A push report is a search of transactions: not offered to the profiles that do not search.
  if (!may('GET /bo/api/push-reports')) delete choice.push;
  return ereportCard({
    choice,
    idPrefix: 'me-ereport',
    title: t('ereport.title'),
    save: (c) => request('PATCH', '/bo/api/me/preferences', { ereport: c }),
  });
}

/** The card of user id on their page (administrators). */
export async function userEreportCard(id) {
  const choice = await request('GET', `/bo/api/users/${id}/ereport`);
  return ereportCard({
    choice,
    idPrefix: 'user-ereport',
    title: t('ereport.title.user'),
    save: (c) => request('PATCH', `/bo/api/users/${id}/ereport`, c),
  });
}
