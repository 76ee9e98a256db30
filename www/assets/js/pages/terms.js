// terms.js - the terms of use, accepted at first sign-in and after each new version
// (Vision manual §1; SPEC §3). Declining signs out.

import { api, errorMessage } from '../api.js';
import { proceed, signOut } from '../app.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';

export async function render() {
  const terms = await api.get('/bo/api/terms');
  const error = h('p', { class: 'error', role: 'alert', id: 'terms-error', hidden: true });
  const accept = h(
    'button',
    { type: 'button', class: 'button button--primary', id: 'terms-accept' },
    t('terms.accept'),
  );
  accept.addEventListener('click', async () => {
    accept.disabled = true;
    error.hidden = true;
    try {
      const r = await api.post('/bo/api/terms', { accept: true });
      await proceed(r.next);
    } catch (err) {
      error.textContent = errorMessage(err);
      error.hidden = false;
      accept.disabled = false;
    }
  });
  // The text is plain text: paragraphs on blank lines, never markup.
  const paragraphs = String(terms.text || '')
    .split(/\n\s*\n/)
    .map((p) => h('p', {}, p));
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'terms-title' },
    h('h1', { id: 'terms-title' }, t('terms.title')),
    h('p', { class: 'notice' }, t('terms.intro', { version: terms.version })),
    h(
      'div',
      { class: 'terms-text', id: 'terms-text', tabindex: 0, role: 'region', 'aria-labelledby': 'terms-title' },
      paragraphs,
    ),
    error,
    h(
      'div',
      { class: 'actions' },
      accept,
      h('button', { type: 'button', class: 'button', id: 'terms-decline', onclick: signOut }, t('terms.decline')),
    ),
  );
}
