// home.js - the Home page (Vision manual §3). The activity statistics (SPEC §12) come here;
// for now it greets the signed-in user.

import { state } from '../app.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';

export function render() {
  const name = (state.me && state.me.name) || (state.user && state.user.name) || '';
  return h(
    'section',
    { class: 'home', 'aria-labelledby': 'home-title' },
    h('h1', { id: 'home-title' }, t('home.title')),
    h('p', { class: 'lead', id: 'home-welcome' }, t('home.welcome', { name })),
    h('p', { class: 'muted' }, t('home.soon')),
  );
}
