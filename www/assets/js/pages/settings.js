// settings.js - Parameters › General configuration and Subscribed options of a shop (Vision
// manual §9.1.1, §9.1.2; SPEC §11). #/settings[/SHOP] and #/options[/SHOP]: the shops of the
// user's node (or of the node the tree navigation chose), one at a time.
//
// General configuration: the identifiers given by the support (brand, account id, SITE, RANG,
// the contracts and their states), read only; then what the merchant sets: the e-mails
// (payment ticket, daily report, integrator), the return URLs, immediate return. GET
// /bo/api/shops/{id}/settings; PUT the same with the "version" read: administrators only (the
// answer's "editable"), and a 409 says someone saved meanwhile (reload, then change again).
// Subscribed options: GET /bo/api/shops/{id}/options, read only.

import { api, ApiError } from '../api.js';
import { h, replace } from '../dom.js';
import { errorBox, field, say, showError, statusBox } from '../form-fields.js';
import { formatAmount, formatDateTime } from '../format.js';
import { t } from '../i18n.js';
import { go } from '../router.js';
import { onScopeChange } from '../scope.js';
import { scopeShops, shopPicker } from '../shops.js';

const EMAILS = ['ticket_email', 'report_email', 'integrator_email'];
const URLS = ['url_accepted', 'url_refused', 'url_cancelled', 'url_pending', 'url_notify'];

let stopWatching = () => {};

/** The page of route for one shop at a time: the picker, then body(shopId) below it. */
async function perShop(route, args, title, intro, body) {
  const shops = await scopeShops();
  const heading = h('h1', { id: `${route}-title` }, t(title));
  stopWatching();
  stopWatching = onScopeChange(() => {
    if (heading.isConnected) go(route, { replace: true });
  });
  if (shops.length === 0) {
    return h('section', { 'aria-labelledby': `${route}-title` }, heading, h('p', { class: 'muted' }, t('settings.no_shop')));
  }
  const picker = shopPicker(`${route}-shop`, shops, Number(args[0]), (id) => go(`${route}/${id}`));
  return h(
    'section',
    { class: `settings ${route}`, 'aria-labelledby': `${route}-title` },
    heading,
    intro ? h('p', { class: 'muted' }, t(intro)) : null,
    picker.element,
    await body(picker.chosen),
  );
}

function stateBadge(active) {
  return h('span', { class: `badge ${active ? 'badge--ok' : 'badge--muted'}` }, t(active ? 'settings.active' : 'settings.inactive'));
}

function identifiers(s) {
  const rows = [
    ['settings.brand', s.brand.name, 'settings-brand'],
    ['settings.pspid', s.brand.pspid, 'settings-pspid'],
    ['settings.shop_name', s.shop.name, 'settings-shop-name'],
    ['settings.site', s.shop.site, 'settings-site'],
    ['settings.rang', s.shop.rang, 'settings-rang'],
  ];
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'settings-ids-title' },
    h('h2', { id: 'settings-ids-title' }, t('settings.identifiers')),
    h('p', { class: 'field-hint' }, t('settings.identifiers.hint')),
    h('dl', { class: 'details' }, rows.flatMap(([k, v, id]) => [h('dt', {}, t(k)), h('dd', { id }, v)])),
    // The file a Paybox / E-transactions module verifies K with (docs/PAYBOX.md §1).
    h('p', { class: 'field-hint' }, t('settings.paybox_key.hint'), ' ',
      h('a', { href: '/bo/api/paybox-public-key', download: 'pubkey.pem', id: 'settings-paybox-key' }, t('settings.paybox_key'))),
    h('h3', {}, t('settings.contracts')),
    h(
      'table',
      { class: 'table', id: 'settings-contracts' },
      h('thead', {}, h('tr', {}, ['method', 'number', 'currency', 'state'].map((c) => h('th', { scope: 'col' }, t(`settings.col.${c}`))))),
      h(
        'tbody',
        {},
        s.contracts.map((c) =>
          h('tr', { dataset: { id: String(c.id) } }, h('td', {}, c.payment_method), h('td', {}, c.number), h('td', {}, c.currency), h('td', {}, stateBadge(c.active))),
        ),
      ),
    ),
  );
}

function textInput(name, value, type, disabled) {
  return h('input', { type, name, value, disabled, maxlength: type === 'email' ? 254 : 512, autocomplete: 'off', spellcheck: 'false' });
}

async function settingsBody(shopId) {
  let s = await api.get(`/bo/api/shops/${shopId}/settings`);
  const error = errorBox('settings-error');
  const done = statusBox('settings-done');
  const controls = {};
  for (const name of EMAILS) controls[name] = textInput(name, s[name], 'email', !s.editable);
  for (const name of URLS) controls[name] = textInput(name, s[name], 'url', !s.editable);
  controls.immediate_return = h('input', { type: 'checkbox', name: 'immediate_return', id: 'settings-immediate_return', checked: s.immediate_return, disabled: !s.editable });
  const labels = Object.fromEntries(Object.keys(controls).map((k) => [k, t(`settings.${k}`)]));
  const updated = h('p', { class: 'muted small', id: 'settings-updated' });
  const reload = h('button', { type: 'button', class: 'button', id: 'settings-reload', hidden: true }, t('settings.reload'));
  reload.addEventListener('click', () => go(`settings/${shopId}`, { replace: true }));

  function show(answer) {
    s = answer;
    for (const name of [...EMAILS, ...URLS]) controls[name].value = s[name];
    controls.immediate_return.checked = s.immediate_return;
    updated.textContent = s.updated_at ? t('settings.updated', { when: formatDateTime(s.updated_at) }) : '';
  }
  show(s);

  async function save(e) {
    e.preventDefault();
    say(error, '');
    say(done, '');
    reload.hidden = true;
    const body = { version: s.version, immediate_return: controls.immediate_return.checked };
    for (const name of [...EMAILS, ...URLS]) body[name] = controls[name].value.trim();
    const before = s.version;
    try {
      show(await api.put(`/bo/api/shops/${shopId}/settings`, body));
      for (const el of Object.values(controls)) el.removeAttribute('aria-invalid');
      say(done, t(s.version === before ? 'settings.unchanged' : 'settings.saved'));
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) {
        say(error, t('settings.conflict'));
        reload.hidden = false;
        reload.focus();
        return;
      }
      showError(error, err, controls, labels);
    }
  }

  const group = (title, names, hint) =>
    h(
      'fieldset',
      { class: 'settings-group' },
      h('legend', {}, t(title)),
      hint ? h('p', { class: 'field-hint' }, t(hint)) : null,
      names.map((name) =>
        field({ id: `settings-${name}`, label: t(`settings.${name}`), control: controls[name], hint: name === 'report_email' ? t('settings.report_email.hint') : null }),
      ),
    );
  const form = h(
    'form',
    { class: 'card settings-form', id: 'settings-form', novalidate: true, onsubmit: save },
    h('h2', {}, t('settings.editable.title')),
    s.editable ? null : h('p', { class: 'notice', id: 'settings-read-only' }, t('settings.read_only')),
    group('settings.emails', EMAILS),
    group('settings.urls', URLS, 'settings.urls.hint'),
    h(
      'div',
      { class: 'field--check' },
      controls.immediate_return,
      h('label', { for: 'settings-immediate_return' }, t('settings.immediate_return')),
    ),
    h('p', { class: 'field-hint' }, t('settings.immediate_return.hint')),
    error,
    done,
    h('div', { class: 'form-actions' }, s.editable ? h('button', { type: 'submit', class: 'button button--primary', id: 'settings-save' }, t('settings.save')) : null, reload),
    updated,
  );
  return h('div', { class: 'settings-body' }, identifiers(s), form);
}

export function render({ args }) {
  return perShop('settings', args, 'nav.settings', null, settingsBody);
}

async function optionsBody(shopId) {
  const o = await api.get(`/bo/api/shops/${shopId}/options`);
  const yes = (b) => h('span', { class: `badge ${b ? 'badge--ok' : 'badge--muted'}` }, t(b ? 'options.yes' : 'options.no'));
  const methods = h(
    'table',
    { class: 'table', id: 'options-methods' },
    h(
      'thead',
      {},
      h('tr', {}, ['settings.col.method', 'settings.col.number', 'settings.col.state', 'options.col.3ds', 'options.col.capture', 'options.col.amounts'].map((k) =>
        h('th', { scope: 'col' }, t(k)))),
    ),
    h(
      'tbody',
      {},
      o.payment_methods.map((m) =>
        h(
          'tr',
          { dataset: { method: m.payment_method } },
          h('td', {}, m.payment_method),
          h('td', {}, m.number),
          h('td', {}, stateBadge(m.active)),
          h('td', {}, yes(m.three_d_secure)),
          h('td', {}, m.capture === 'deferred' ? t('options.capture.deferred', { days: m.deferral_days }) : t('options.capture.immediate')),
          h('td', { class: 'nowrap' }, `${formatAmount(m.amount_min, m.currency)} – ${formatAmount(m.amount_max, m.currency)}`),
        ),
      ),
    ),
  );
  const options = h(
    'ul',
    { class: 'options-list', id: 'options-list' },
    o.options.map((x) =>
      h(
        'li',
        { dataset: { code: x.code, subscribed: String(x.subscribed) } },
        h('span', { class: `badge ${x.subscribed ? 'badge--ok' : 'badge--muted'}` }, t(x.subscribed ? 'options.subscribed' : 'options.not_subscribed')),
        ' ',
        t(`options.code.${x.code}`),
      ),
    ),
  );
  return h(
    'div',
    {},
    h('section', { class: 'card', 'aria-labelledby': 'options-methods-title' }, h('h2', { id: 'options-methods-title' }, t('options.methods')), methods),
    h('section', { class: 'card', 'aria-labelledby': 'options-list-title' }, h('h2', { id: 'options-list-title' }, t('options.options')), options),
  );
}

export function renderOptions({ args }) {
  return perShop('options', args, 'nav.options', 'options.intro', optionsBody);
}

/** For the store: the same page frame, one shop at a time. */
export { perShop };
