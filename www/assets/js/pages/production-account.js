// production-account.js - "Create production account" (Ingenico guide §3.2.9 "Créer compte
// réel"; docs/ENVIRONMENTS.md), #/production-account, reached from the account page of a test
// session: what the copy takes and what it leaves (GET /bo/api/environment/production-account),
// the copy itself once confirmed (POST), then what was not copied and must be set again in
// production, with the page where each is set. The copy goes to the brand's production
// account, or makes a new production account under another account id: its first
// administrator and each shop's SITE and RANG there are asked. A production session is told
// to sign in to test: the copy is made from there.

import { api } from '../api.js';
import { confirmDialog } from '../confirm-dialog.js';
import { h } from '../dom.js';
import { environment } from '../environment.js';
import { errorBox, field, input, missingFields, requiredLegend, say, showError, showFieldErrors, statusBox } from '../form-fields.js';
import { formatCount } from '../format.js';
import { t } from '../i18n.js';

function copiedList(id, items, words) {
  return h(
    'ul',
    { id, class: 'prodacct-list' },
    ...items.map((c) => h('li', { 'data-item': c.item }, t(`prodacct.item.${c.item}`), ' ', h('span', { class: 'muted small' }, words(c)))),
  );
}

function notCopiedList(id, items) {
  return h(
    'ul',
    { id, class: 'prodacct-list' },
    ...items.map((n) =>
      h(
        'li',
        { 'data-item': n.item },
        t(`prodacct.item.${n.item}`),
        ' — ',
        n.page
          ? h('a', { href: `#/${n.page}`, 'data-page': n.page }, t('prodacct.open'))
          : h('span', { class: 'muted small' }, t(n.item === 'transactions' ? 'prodacct.apart' : 'prodacct.with_operator')),
      ),
    ),
  );
}

// The choice of the production account, and what a new one needs: its account id, its first
// administrator (login, e-mail: the user's own by default) and each test shop's SITE and RANG.
function targetChoice(plan) {
  const radio = (id, value, label, checked) =>
    h('label', { class: 'prodacct-option' }, h('input', { type: 'radio', name: 'prodacct-target', id, value, checked }), ' ', label);
  const controls = {
    account_id: input('account_id', { maxlength: 32, autocomplete: 'off', spellcheck: 'false' }),
    'administrator.login': input('login', { maxlength: 64, autocomplete: 'off', spellcheck: 'false' }),
    'administrator.email': input('email', { type: 'email', maxlength: 254, autocomplete: 'off' }),
  };
  const shopInputs = new Map(); // test shop id → {site, rang, row}
  const rows = plan.shops.map((s) => {
    const site = input(`site-${s.id}`, { id: `prodacct-site-${s.id}`, inputmode: 'numeric', maxlength: 7, 'aria-label': t('prodacct.new.site_of', { shop: s.name }) });
    const rang = input(`rang-${s.id}`, { id: `prodacct-rang-${s.id}`, inputmode: 'numeric', maxlength: 3, 'aria-label': t('prodacct.new.rang_of', { shop: s.name }) });
    const row = h('tr', { 'data-shop': s.id }, h('th', { scope: 'row' }, s.name), h('td', { class: 'muted' }, `${s.site} / ${s.rang}`), h('td', {}, site), h('td', {}, rang));
    shopInputs.set(s.id, { site, rang, row });
    return row;
  });
  if (rows.length) controls.shops = shopInputs.get(plan.shops[0].id).site;
  const labels = {
    account_id: t('prodacct.new.account_id'),
    'administrator.login': t('prodacct.new.login'),
    'administrator.email': t('prodacct.new.email'),
    shops: t('prodacct.new.shops'),
  };
  const fields = h(
    'div',
    { id: 'prodacct-new', hidden: true },
    requiredLegend(),
    field({ id: 'prodacct-account-id', label: labels.account_id, control: controls.account_id, hint: t('prodacct.new.account_id.hint'), required: true }),
    field({ id: 'prodacct-admin-login', label: labels['administrator.login'], control: controls['administrator.login'], hint: t('prodacct.new.login.hint'), required: true }),
    field({ id: 'prodacct-admin-email', label: labels['administrator.email'], control: controls['administrator.email'], hint: t('prodacct.new.email.hint') }),
    h('h3', { id: 'prodacct-shops-title' }, labels.shops),
    h('p', { class: 'muted small' }, t('prodacct.new.shops.hint')),
    h(
      'div',
      { class: 'table-scroll' },
      h(
        'table',
        { class: 'journal', id: 'prodacct-shops', 'aria-labelledby': 'prodacct-shops-title' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('prodacct.new.shop')), h('th', { scope: 'col' }, t('prodacct.new.test_site')), h('th', { scope: 'col' }, 'SITE'), h('th', { scope: 'col' }, 'RANG'))),
        h('tbody', {}, ...rows),
      ),
    ),
  );
  const box = h(
    'fieldset',
    { class: 'prodacct-target', id: 'prodacct-target' },
    h('legend', {}, t('prodacct.target')),
    radio('prodacct-target-own', 'own', t('prodacct.target.own', { account: plan.account_id }), true),
    radio('prodacct-target-new', 'new', t('prodacct.target.new'), false),
    fields,
  );
  box.addEventListener('change', () => {
    fields.hidden = !box.querySelector('#prodacct-target-new').checked;
  });
  return {
    box,
    controls,
    labels,
    isNew: () => !fields.hidden,
    // The request, or the missing required fields.
    body() {
      const missing = missingFields(controls, ['account_id', 'administrator.login']);
      if ([...shopInputs.values()].some((c) => !c.site.value.trim() || !c.rang.value.trim())) missing.push({ field: 'shops', error: 'required' });
      if (missing.length) return { missing };
      const administrator = { login: controls['administrator.login'].value.trim() };
      if (controls['administrator.email'].value.trim()) administrator.email = controls['administrator.email'].value.trim();
      return {
        body: {
          account_id: controls.account_id.value.trim(),
          administrator,
          shops: [...shopInputs].map(([id, c]) => ({ id, site: c.site.value.trim(), rang: c.rang.value.trim() })),
        },
      };
    },
    // The shops the server named (shops_mismatch, site_rang_taken), marked.
    markShops(ids) {
      for (const [id, c] of shopInputs) {
        const bad = ids.includes(id);
        c.row.classList.toggle('row--invalid', bad);
        if (bad) c.site.setAttribute('aria-invalid', 'true');
        else c.site.removeAttribute('aria-invalid');
      }
    },
  };
}

export async function render() {
  const section = h('section', { class: 'prodacct', 'aria-labelledby': 'prodacct-title' }, h('h1', { id: 'prodacct-title' }, t('prodacct.title')));
  if (environment() !== 'test') {
    section.append(h('p', { class: 'card card--narrow', id: 'prodacct-only-test' }, t('prodacct.only_test')));
    return section;
  }
  const plan = await api.get('/bo/api/environment/production-account');
  const error = errorBox('prodacct-error');
  const done = statusBox('prodacct-done');
  const button = h('button', { type: 'button', class: 'button button--danger', id: 'prodacct-submit' }, t('prodacct.submit'));
  const target = targetChoice(plan);
  target.box.addEventListener('change', () => {
    button.textContent = t(target.isNew() ? 'prodacct.new.submit' : 'prodacct.submit');
  });
  const card = h(
    'div',
    { class: 'card', id: 'prodacct-plan' },
    h('p', { id: 'prodacct-intro' }, t('prodacct.intro', { test: plan.test_account_id, account: plan.account_id })),
    h('h2', {}, t('prodacct.copied')),
    copiedList('prodacct-copied', plan.copied, (c) => t('prodacct.count', { count: formatCount(c.count) })),
    plan.new_nodes > 0 ? h('p', { class: 'muted' }, t('prodacct.new_nodes', { count: formatCount(plan.new_nodes) })) : null,
    h('h2', {}, t('prodacct.not_copied')),
    h('p', { class: 'muted small' }, t('prodacct.not_copied.hint')),
    notCopiedList('prodacct-not-copied', plan.not_copied),
    target.box,
    error,
    button,
  );

  button.addEventListener('click', async () => {
    say(error, '');
    target.markShops([]);
    let body = {};
    if (target.isNew()) {
      const asked = target.body();
      if (asked.missing) {
        showFieldErrors(error, asked.missing, target.controls, target.labels);
        return;
      }
      body = asked.body;
    }
    const ok = await confirmDialog({
      title: t(target.isNew() ? 'prodacct.new.confirm_title' : 'prodacct.confirm_title'),
      text: target.isNew() ? t('prodacct.new.confirm', { account: body.account_id }) : t('prodacct.confirm'),
      confirm: t('prodacct.confirm_ok'),
      danger: true,
    });
    if (!ok) return;
    button.disabled = true;
    try {
      const answer = await api.post('/bo/api/environment/production-account', body);
      say(
        done,
        answer.new_account
          ? t('prodacct.new.done', { account: answer.account_id, login: answer.administrator.login, email: answer.administrator.email })
          : t('prodacct.done', { account: answer.account_id }),
      );
      card.replaceWith(
        h(
          'div',
          { class: 'card', id: 'prodacct-result' },
          done,
          copiedList('prodacct-written', answer.copied, (c) => t('prodacct.written', { count: formatCount(c.count) })),
          h('h2', { id: 'prodacct-again-title' }, t('prodacct.again.title')),
          h('p', {}, t(answer.new_account ? 'prodacct.new.again.text' : 'prodacct.again.text', { account: answer.account_id })),
          answer.new_account
            ? h('ul', { id: 'prodacct-again', class: 'prodacct-list' }, ...answer.not_copied.map((n) => h('li', { 'data-item': n.item }, t(`prodacct.item.${n.item}`))))
            : notCopiedList('prodacct-again', answer.not_copied),
        ),
      );
    } catch (err) {
      button.disabled = false;
      showError(error, err, target.controls, target.labels);
      const body = (err && err.body) || {};
      if (Array.isArray(body.shops)) target.markShops(body.shops.map((s) => s.id));
      if (body.shop) target.markShops([body.shop]);
    }
  });
  section.append(card);
  return section;
}
