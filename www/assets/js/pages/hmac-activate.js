// hmac-activate.js - the page of the link mailed with a new HMAC key (SPEC §11; Vision manual
// §9.1.3 "Validation & Activation"): #/hmac-activate?token=… calls POST
// /bo/api/hmac-keys/activate, which needs no session (the token is the secret), and says the
// result: "Your key is activated", in force at once, or why not (unknown, used or expired).

import { api, errorMessage } from '../api.js';
import { h } from '../dom.js';
import { formatDate } from '../format.js';
import { t } from '../i18n.js';

export async function render({ query }) {
  const token = query.get('token') || '';
  const box = (cls, ...children) =>
    h(
      'section',
      { class: 'card card--narrow', 'aria-labelledby': 'hmac-activate-title' },
      h('h1', { id: 'hmac-activate-title' }, t('hmac.activate.title')),
      h('div', { class: cls, id: 'hmac-activate-result', role: cls === 'error' ? 'alert' : 'status' }, ...children),
      h('p', {}, h('a', { href: '#/', class: 'button' }, t('hmac.activate.back'))),
    );
  if (!/^[0-9a-fA-F]{64}$/.test(token)) return box('error', t('hmac.activate.missing'));
  try {
    const k = await api.post('/bo/api/hmac-keys/activate', { token }, { quiet401: true });
    return box(
      'success',
      h('p', {}, h('strong', {}, t('hmac.activate.done'))),
      h('p', {}, t('hmac.activate.details', {
        shop: k.shop_name,
        site: k.site,
        rang: k.rang,
        env: t(`hmac.env.${k.env}`),
        expires: formatDate(k.expires_at),
      })),
    );
  } catch (err) {
    return box('error', errorMessage(err));
  }
}
