// me.js - personal information (Vision manual §1, §11.1): what the server knows of the
// signed-in user. Editing comes with its own form later; the password has its page.

import { api } from '../api.js';
import { state } from '../app.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';

export async function render() {
  const me = await api.get('/bo/api/me');
  state.me = me;
  const none = h('span', { class: 'muted' }, t('me.none'));
  const rows = [
    ['me.name', me.name],
    ['me.login', me.login],
    ['me.email', me.email],
    ['me.mobile', me.mobile || none.cloneNode(true)],
    ['me.profile', t(`profile.${me.profile}`)],
    ['me.node', me.node_name],
    ['me.language', t(`language.${me.language}`)],
    ['me.time_zone', me.time_zone],
    ['me.sign_ins', `${me.sign_ins_this_week} / ${me.sign_ins_total}`],
  ];
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'me-title' },
    h('h1', { id: 'me-title' }, t('me.title')),
    h(
      'dl',
      { class: 'details' },
      rows.map(([key, value]) => [h('dt', {}, t(key)), h('dd', {}, value)]),
    ),
    h('p', {}, h('a', { href: '#/password', class: 'button' }, t('me.change_password'))),
  );
}
