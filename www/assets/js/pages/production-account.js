// production-account.js - "Create production account" (Ingenico guide §3.2.9 "Créer compte
// réel"; docs/ENVIRONMENTS.md), #/production-account, reached from the account page of a test
// session: what the copy takes and what it leaves (GET /bo/api/environment/production-account),
// the copy itself once confirmed (POST), then what was not copied and must be set again in
// production, with the page where each is set. A production session is told to sign in to
// test: the copy is made from there.

import { api } from '../api.js';
import { confirmDialog } from '../confirm-dialog.js';
import { h } from '../dom.js';
import { environment } from '../environment.js';
import { errorBox, say, showError, statusBox } from '../form-fields.js';
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
    error,
    button,
  );

  button.addEventListener('click', async () => {
    say(error, '');
    const ok = await confirmDialog({
      title: t('prodacct.confirm_title'),
      text: t('prodacct.confirm'),
      confirm: t('prodacct.confirm_ok'),
      danger: true,
    });
    if (!ok) return;
    button.disabled = true;
    try {
      const answer = await api.post('/bo/api/environment/production-account', {});
      say(done, t('prodacct.done', { account: answer.account_id }));
      card.replaceWith(
        h(
          'div',
          { class: 'card', id: 'prodacct-result' },
          done,
          copiedList('prodacct-written', answer.copied, (c) => t('prodacct.written', { count: formatCount(c.count) })),
          h('h2', { id: 'prodacct-again-title' }, t('prodacct.again.title')),
          h('p', {}, t('prodacct.again.text')),
          notCopiedList('prodacct-again', answer.not_copied),
        ),
      );
    } catch (err) {
      button.disabled = false;
      showError(error, err);
    }
  });
  section.append(card);
  return section;
}
