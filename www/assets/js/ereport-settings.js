// ereport-settings.js - "Electronic reporting" (Vision manual §3.4.6; docs/EREPORTING.md): the
// structure and format a user's "my reporting format" downloads take. The same card on the
// user's own Personal information and, for an administrator, on a user's page.
//
//   GET/PATCH /bo/api/me/preferences   {"ereport": {"structure", "format"}} (own choice)
//   GET/PATCH /bo/api/users/{id}/ereport  {"structure", "format"} (administrators)

import { request } from './api.js';
import { h } from './dom.js';
import { errorBox, field, say, select, showError, statusBox } from './form-fields.js';
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
  const error = errorBox(`${idPrefix}-error`);
  const done = statusBox(`${idPrefix}-status`);
  const submit = h('button', { type: 'submit', class: 'button', id: `${idPrefix}-save` }, t('ereport.save'));

  async function onSubmit(e) {
    e.preventDefault();
    say(error, '');
    say(done, '');
    submit.disabled = true;
    try {
      await save({ structure: structure.value, format: format.value });
      say(done, t('ereport.saved', {
        structure: t(`ereport.structure.${structure.value}`),
        format: t(`ereport.format.${format.value}`),
      }));
    } catch (err) {
      showError(error, err, { structure, format }, { structure: t('ereport.structure'), format: t('ereport.format') });
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
      error,
      done,
      h('div', { class: 'actions' }, submit),
    ),
  );
}

/** The card of the signed-in user, from their preferences. */
export function ownEreportCard(prefs) {
  return ereportCard({
    choice: prefs.ereport || {},
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
