// shops.js - the shops a page about one shop offers (Parameters, the store): those of the
// user's node of the tree (GET /bo/api/tree), narrowed to the node the tree navigation chose,
// and the list that picks one of them. The shop chosen is kept in the page's hash (#/ROUTE/ID).

import { api } from './api.js';
import { h } from './dom.js';
import { field, select } from './form-fields.js';
import { t } from './i18n.js';
import { getScope } from './scope.js';
import { subtree } from './tree.js';

/** The shops in scope: [{id, name, site, rang}]. */
export async function scopeShops() {
  const tree = await api.get('/bo/api/tree');
  const scope = getScope();
  return (scope ? subtree(tree.nodes, scope.id) : tree.nodes).filter((n) => n.level === 'shop');
}

/** "Name (SITE / RANG)". */
export function shopLabel(s) {
  return `${s.name} (${s.site} / ${s.rang})`;
}

/**
 * A labelled list of shops (id: the control's id) with wanted chosen when it is one of them,
 * else the first; onChange(id) when the user picks another.
 */
export function shopPicker(id, shops, wanted, onChange) {
  const chosen = shops.some((s) => s.id === wanted) ? wanted : shops[0] && shops[0].id;
  const control = select('shop', shops.map((s) => ({ value: s.id, label: shopLabel(s) })), chosen);
  control.addEventListener('change', () => onChange(Number(control.value)));
  return { chosen, element: h('div', { class: 'card filters' }, field({ id, label: t('settings.shop'), control })) };
}
