// hmac-keys.js - Parameters › HMAC key (SPEC §11; Vision manual §9.1.3): the shops of the
// user's node (GET /bo/api/tree) with their keys (GET /bo/api/hmac-keys?node=), and the form
// that generates a key from a passphrase. The quality meter asks the server (POST
// /bo/api/hmac-keys/strength), which rates with the very function that refuses a weak
// passphrase, and "Generate the key" stays disabled until it says ok. The key is shown once,
// with a copy button; it becomes active when the link mailed to the user is followed.
// Home's notices also show here (the HMAC manager's own page).

import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { environment } from '../environment.js';
import { errorBox, field, say, select, showError } from '../form-fields.js';
import { formatDate, formatDateTime } from '../format.js';
import { t } from '../i18n.js';
import { noticesBanner } from '../notices.js';
import { getScope, onScopeChange } from '../scope.js';
import { subtree } from '../tree.js';

let stopWatching = () => {};

function when(instant) {
  return instant ? formatDateTime(instant) : '—';
}

function keysTable(shops, keys) {
  const byShop = new Map();
  for (const k of keys) {
    if (!byShop.has(k.shop_id)) byShop.set(k.shop_id, []);
    byShop.get(k.shop_id).push(k);
  }
  const rows = [];
  for (const s of shops) {
    const list = byShop.get(s.id) || [];
    if (list.length === 0) {
      rows.push(
        h('tr', { dataset: { shop: s.id } }, h('td', {}, s.name), h('td', {}, `${s.site} / ${s.rang}`),
          h('td', { colspan: 6, class: 'muted' }, t('hmac.no_key'))),
      );
      continue;
    }
    for (const k of list) {
      rows.push(
        h(
          'tr',
          { dataset: { shop: s.id, key: k.id, status: k.status } },
          h('td', {}, s.name),
          h('td', {}, `${s.site} / ${s.rang}`),
          h('td', {}, t(`hmac.env.${k.env}`)),
          h('td', { class: 'hmac-status' }, t(`hmac.status.${k.status}`)),
          h('td', {}, when(k.created_at)),
          h('td', {}, when(k.activated_at)),
          h('td', {}, k.expires_at ? formatDate(k.expires_at) : '—',
            k.expired ? h('span', { class: 'badge badge--warn' }, ` ${t('hmac.expired')}`) : null),
          h('td', {}, k.created_by || '—'),
        ),
      );
    }
  }
  return h(
    'table',
    { class: 'table hmac-table', id: 'hmac-keys' },
    h('thead', {}, h('tr', {}, ['shop', 'site', 'env', 'status', 'created', 'activated', 'expires', 'by']
      .map((c) => h('th', { scope: 'col' }, t(`hmac.col.${c}`))))),
    h('tbody', {}, rows),
  );
}

async function load() {
  const scope = getScope();
  const [tree, keys] = await Promise.all([
    api.get('/bo/api/tree'),
    api.get(`/bo/api/hmac-keys${scope ? `?node=${encodeURIComponent(scope.id)}` : ''}`),
  ]);
  // The node chosen and what is below it.
  const nodes = scope ? subtree(tree.nodes, scope.id) : tree.nodes;
  return { shops: nodes.filter((n) => n.level === 'shop'), keys: keys.items };
}

function generator(shops, onMade) {
  const shop = select('shop_id', shops.map((s) => ({ value: s.id, label: `${s.name} (${s.site} / ${s.rang})` })));
  const passphrase = h('input', {
    name: 'passphrase',
    type: 'password',
    autocomplete: 'off',
    spellcheck: 'false',
    maxlength: 256,
  });
  const toggle = h('button', { type: 'button', class: 'button button--quiet', id: 'hmac-show', 'aria-pressed': 'false' }, t('hmac.show'));
  toggle.addEventListener('click', () => {
    const shown = passphrase.type === 'text';
    passphrase.type = shown ? 'password' : 'text';
    toggle.textContent = shown ? t('hmac.show') : t('hmac.hide');
    toggle.setAttribute('aria-pressed', String(!shown));
  });
  const meter = h('meter', { id: 'hmac-meter', min: 0, max: 100, low: 60, high: 89, optimum: 100, value: 0 });
  const quality = h('span', { id: 'hmac-quality', 'aria-live': 'polite' }, t('hmac.quality.none'));
  const button = h('button', { type: 'submit', class: 'button button--primary', id: 'hmac-generate', disabled: true }, t('hmac.button'));
  const error = errorBox('hmac-error');
  const result = h('div', { id: 'hmac-result' });

  let asked = 0;
  async function rate() {
    const mine = ++asked;
    const text = passphrase.value;
    button.disabled = true;
    if (!text) {
      meter.value = 0;
      quality.textContent = t('hmac.quality.none');
      return;
    }
    try {
      const r = await api.post('/bo/api/hmac-keys/strength', { passphrase: text });
      if (mine !== asked) return;
      meter.value = r.score;
      quality.textContent = t('hmac.quality.value', { score: r.score, length: r.length });
      button.disabled = !r.ok;
    } catch (err) {
      if (mine === asked) showError(error, err);
    }
  }
  passphrase.addEventListener('input', rate);

  const form = h(
    'form',
    { class: 'form hmac-form', id: 'hmac-form', novalidate: true },
    field({ id: 'hmac-shop', label: t('hmac.shop'), control: shop }),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'hmac-passphrase' }, t('hmac.passphrase')),
      h('div', { class: 'hmac-passphrase' }, passphrase, toggle),
      h('p', { class: 'field-hint', id: 'hmac-passphrase-hint' }, t('hmac.passphrase.hint')),
    ),
    h('div', { class: 'field' }, h('label', { for: 'hmac-meter' }, t('hmac.quality')), h('div', { class: 'hmac-quality' }, meter, quality)),
    error,
    h('div', { class: 'form-actions' }, button),
  );
  passphrase.id = 'hmac-passphrase';
  passphrase.setAttribute('aria-describedby', 'hmac-passphrase-hint hmac-quality');
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (button.disabled) return;
    say(error, '');
    button.disabled = true;
    button.textContent = t('hmac.generating');
    try {
      const made = await api.post('/bo/api/hmac-keys', {
        shop_id: Number(shop.value),
        env: environment() || 'production', // a key of the environment signed in to
        passphrase: passphrase.value,
      });
      passphrase.value = '';
      meter.value = 0;
      quality.textContent = t('hmac.quality.none');
      replace(result, keyShown(made));
      await onMade();
      result.querySelector('#hmac-key').focus();
    } catch (err) {
      showError(error, err, { passphrase, shop_id: shop });
      button.disabled = false;
    } finally {
      button.textContent = t('hmac.button');
      if (!passphrase.value) button.disabled = true;
    }
  });
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'hmac-generate-title' },
    h('h2', { id: 'hmac-generate-title' }, t('hmac.generate')),
    form,
    result,
  );
}

/** The key, shown this once, with its copy button and the warnings. */
function keyShown(made) {
  const key = h('textarea', { id: 'hmac-key', readonly: true, rows: 3, class: 'hmac-key', spellcheck: 'false' });
  key.value = made.key;
  const copied = h('span', { role: 'status', class: 'muted' });
  const copy = h('button', { type: 'button', class: 'button', id: 'hmac-copy' }, t('hmac.copy'));
  copy.addEventListener('click', async () => {
    key.select();
    try {
      await navigator.clipboard.writeText(made.key);
    } catch {
      document.execCommand('copy'); // without the clipboard API (plain http): the selection
    }
    copied.textContent = t('hmac.copied');
  });
  return h(
    'div',
    { class: 'hmac-made' },
    h('h3', {}, t('hmac.result')),
    h('label', { for: 'hmac-key' }, t('hmac.key')),
    key,
    h('div', { class: 'form-actions' }, copy, copied),
    h('p', { class: 'notice notice--warn', id: 'hmac-once' }, t('hmac.once')),
    h('p', { class: 'notice', id: 'hmac-mailed' }, t('hmac.mailed', { email: made.mailed_to })),
  );
}

export async function render() {
  let data = await load();
  const table = h('div', { id: 'hmac-table' }, keysTable(data.shops, data.keys));
  const refresh = async () => {
    data = await load();
    replace(table, keysTable(data.shops, data.keys));
  };
  const page = h(
    'section',
    { class: 'hmac', 'aria-labelledby': 'hmac-title' },
    h('h1', { id: 'hmac-title' }, t('hmac.title')),
    noticesBanner(),
    h('p', {}, t('hmac.intro')),
    h('p', { class: 'muted' }, t('hmac.env_note')),
    h('section', { class: 'card', 'aria-labelledby': 'hmac-shops-title' },
      h('h2', { id: 'hmac-shops-title' }, t('hmac.shops')), table),
    generator(data.shops, refresh),
  );
  stopWatching();
  stopWatching = onScopeChange(() => refresh().catch(() => {}));
  return page;
}
