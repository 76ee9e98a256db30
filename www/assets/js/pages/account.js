// account.js - the account (Ingenico guide 3.2.2 "Compte"; SPEC §14): the brand's name and
// account id, and how long its payment data is kept (GET /bo/api/account). An administrator of
// the brand's own level may change the retention (PATCH {"retention_days"}, 45 to 540 days);
// a shorter one erases at once, and for good, the card numbers it no longer covers, so the
// change is confirmed first. The same administrators may require two-step sign-in of every
// user (PATCH {"second_factor_required"}; PCI DSS 8.4.2): users without one then set one up
// at their next request, this administrator included. Other administrators read both.

import { api } from '../api.js';
import { may } from '../app.js';
import { confirmDialog } from '../confirm-dialog.js';
import { h } from '../dom.js';
import { environment } from '../environment.js';
import { errorBox, field, say, showError, statusBox } from '../form-fields.js';
import { formatCount } from '../format.js';
import { t } from '../i18n.js';

// Ingenico guide §3.2.9 "Créer compte réel": under the account, for the brand's administrators
// of a test session only (pages/production-account.js).
function productionCard(a) {
  if (environment() !== 'test' || !a.editable || !may('POST /bo/api/environment/production-account')) return null;
  return h(
    'div',
    { class: 'card card--narrow', id: 'account-production' },
    h('h2', {}, t('prodacct.card.title')),
    h('p', {}, t('prodacct.card.text')),
    h('a', { href: '#/production-account', class: 'button', id: 'account-production-link' }, t('prodacct.link')),
  );
}

export async function render() {
  const a = await api.get('/bo/api/account');
  const error = errorBox('account-error');
  const done = statusBox('account-done');
  const days = h('input', {
    type: 'number',
    id: 'account-retention',
    name: 'retention_days',
    min: a.retention_days_min,
    max: a.retention_days_max,
    step: 1,
    required: true,
    value: String(a.retention_days),
    disabled: !a.editable,
    'aria-describedby': 'account-retention-hint',
  });
  let current = a.retention_days;

  async function save(e) {
    e.preventDefault();
    say(error, '');
    say(done, '');
    const n = Number(days.value);
    if (!Number.isInteger(n) || n < a.retention_days_min || n > a.retention_days_max) {
      days.setAttribute('aria-invalid', 'true');
      say(error, t('account.retention.range', { min: a.retention_days_min, max: a.retention_days_max }));
      days.focus();
      return;
    }
    days.removeAttribute('aria-invalid');
    if (n < current) {
      const ok = await confirmDialog({
        title: t('account.retention.confirm_title'),
        text: t('account.retention.confirm', { days: formatCount(n) }),
        confirm: t('account.retention.confirm_ok'),
        danger: true,
      });
      if (!ok) return;
    }
    try {
      const answer = await api.patch('/bo/api/account', { retention_days: n });
      current = answer.retention_days;
      say(done, t('account.retention.saved', { days: formatCount(current) }));
    } catch (err) {
      showError(error, err, { retention_days: days }, { retention_days: t('account.retention') });
    }
  }

  const form = h(
    'form',
    { class: 'card card--narrow', id: 'account-form', novalidate: true, onsubmit: save },
    h('h2', {}, t('account.retention.title')),
    field({ id: 'account-retention', label: t('account.retention'), control: days, hint: t(a.editable ? 'account.retention.hint' : 'account.retention.read_only') }),
    error,
    done,
    a.editable ? h('button', { type: 'submit', class: 'button button--primary', id: 'account-save' }, t('account.save')) : null,
  );
  const required = h('input', {
    type: 'checkbox',
    id: 'account-sf-required',
    name: 'second_factor_required',
    checked: a.second_factor_required,
    disabled: !a.editable,
  });
  const sfError = errorBox('account-sf-error');
  const sfDone = statusBox('account-sf-done');

  async function saveRequired(e) {
    e.preventDefault();
    say(sfError, '');
    say(sfDone, '');
    try {
      const answer = await api.patch('/bo/api/account', { second_factor_required: required.checked });
      required.checked = answer.second_factor_required;
      say(sfDone, t(answer.second_factor_required ? 'account.sf.saved_on' : 'account.sf.saved_off'));
    } catch (err) {
      showError(sfError, err, { second_factor_required: required }, { second_factor_required: t('account.sf.required') });
    }
  }

  const sfForm = h(
    'form',
    { class: 'card card--narrow', id: 'account-sf-form', novalidate: true, onsubmit: saveRequired },
    h('h2', {}, t('account.sf.title')),
    h('p', { class: 'field--check' }, required, h('label', { for: 'account-sf-required' }, t('account.sf.required'))),
    h('p', { class: 'muted small', id: 'account-sf-hint' }, t(a.editable ? 'account.sf.hint' : 'account.retention.read_only')),
    sfError,
    sfDone,
    a.editable ? h('button', { type: 'submit', class: 'button button--primary', id: 'account-sf-save' }, t('account.save')) : null,
  );
  return h(
    'section',
    { class: 'account', 'aria-labelledby': 'account-title' },
    h('h1', { id: 'account-title' }, t('nav.account')),
    h(
      'dl',
      { class: 'details card card--narrow' },
      h('dt', {}, t('account.name')),
      h('dd', { id: 'account-name' }, a.name),
      h('dt', {}, t('account.pspid')),
      h('dd', { id: 'account-pspid' }, a.pspid),
    ),
    form,
    sfForm,
    productionCard(a),
  );
}
