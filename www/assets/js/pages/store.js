// store.js - the Store (Vision manual §12), in the top bar: for one shop at a time, the payment
// methods it does not offer yet, each with the organisation to contact and a line on it
// (GET /bo/api/shops/{id}/store). An administrator asks the support to open one (POST
// /bo/api/store/requests {shop_id, method, message}: mailed to the operator); a request stays
// pending 7 days, shown with its date, and is not asked twice meanwhile.

import { api } from '../api.js';
import { confirmDialog } from '../dialog.js';
import { h, replace } from '../dom.js';
import { field, say, statusBox } from '../form-fields.js';
import { formatDateTime } from '../format.js';
import { language, t } from '../i18n.js';
import { shopLabel } from '../shops.js';
import { perShop } from './settings.js';

function offer(s, item, done) {
  const status = h('p', { class: 'store-status muted' });
  const button = h('button', { type: 'button', class: 'button button--primary store-request', dataset: { method: item.payment_method } }, t('store.request'));
  const card = h(
    'li',
    { class: 'card store-item', dataset: { method: item.payment_method } },
    h('h2', {}, item.payment_method),
    h('p', { class: 'store-provider' }, t('store.provider', { provider: item.provider })),
    h('p', {}, item.description[language()] || item.description.fr),
    status,
  );

  function showRequest(request) {
    status.textContent = request ? t('store.requested', { when: formatDateTime(request.requested_at) }) : '';
    button.hidden = Boolean(request) || !s.may_request;
  }
  showRequest(item.request);
  if (s.may_request) card.append(h('div', { class: 'form-actions' }, button));

  button.addEventListener('click', async () => {
    const message = h('textarea', { name: 'message', rows: 4, maxlength: 1000 });
    const made = await confirmDialog({
      id: 'store-dialog',
      title: t('store.dialog.title', { method: item.payment_method, shop: shopLabel(s.shop) }),
      text: t('store.provider', { provider: item.provider }),
      confirm: t('store.dialog.send'),
      field: field({ id: 'store-message', label: t('store.dialog.message'), control: message, hint: t('store.dialog.message.hint', { provider: item.provider }) }),
      run: () => {
        const body = { shop_id: s.shop.id, method: item.payment_method };
        if (message.value.trim()) body.message = message.value.trim();
        return api.post('/bo/api/store/requests', body);
      },
    });
    if (made) {
      showRequest(made);
      say(done, t('store.sent', { method: item.payment_method }));
    }
  });
  return card;
}

async function storeBody(shopId) {
  const s = await api.get(`/bo/api/shops/${shopId}/store`);
  const done = statusBox('store-done');
  const list = h('ul', { class: 'store-list', id: 'store-list' });
  replace(list, s.items.map((item) => offer(s, item, done)));
  return h(
    'div',
    {},
    s.may_request ? null : h('p', { class: 'notice', id: 'store-admin-only' }, t('store.admin_only')),
    done,
    s.items.length ? list : h('p', { class: 'muted', id: 'store-none' }, t('store.none')),
  );
}

export function render({ args }) {
  return perShop('store', args, 'nav.store', 'store.intro', storeBody);
}
