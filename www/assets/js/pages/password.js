// password.js - changing one's password (Vision manual §1; SPEC §3): forced at first sign-in,
// after a reset and after 90 days, or chosen from the menu. The strength meter asks the
// server (POST /bo/api/password/strength), which rates with the very function that enforces
// the rules, so the meter and the refusal never disagree.

import { api, errorMessage } from '../api.js';
import { proceed } from '../app.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';

const LEVELS = ['very_weak', 'weak', 'medium', 'strong', 'very_strong'];

function field(id, labelKey, input, extra) {
  input.id = id;
  return h('div', { class: 'field' }, h('label', { for: id }, t(labelKey)), input, extra);
}

export function render({ forced }) {
  const old = h('input', {
    type: 'password',
    autocomplete: 'current-password',
    required: true,
    'data-autofocus': forced,
  });
  const fresh = h('input', {
    type: 'password',
    autocomplete: 'new-password',
    required: true,
    'aria-describedby': 'password-rules password-strength-text password-hint',
  });
  const confirm = h('input', { type: 'password', autocomplete: 'new-password', required: true });

  const bars = LEVELS.map(() => h('span', { class: 'strength-bar' }));
  const strengthText = h(
    'span',
    { id: 'password-strength-text', class: 'strength-text', 'aria-live': 'polite' },
    t('password.strength.none'),
  );
  const hint = h('p', { id: 'password-hint', class: 'hint', 'aria-live': 'polite' });
  const meter = h(
    'div',
    { class: 'strength', id: 'password-strength', dataset: { level: '' } },
    h('span', { class: 'strength-label' }, `${t('password.strength')} : `),
    h('span', { class: 'strength-bars', 'aria-hidden': 'true' }, bars),
    strengthText,
  );

  const error = h('p', { class: 'error', role: 'alert', id: 'password-error', hidden: true });
  const done = h('p', { class: 'success', role: 'status', id: 'password-done', hidden: true });
  const submit = h(
    'button',
    { type: 'submit', class: 'button button--primary', id: 'password-submit' },
    t('password.submit'),
  );
  const show = h('input', { type: 'checkbox', id: 'password-show' });
  show.addEventListener('change', () => {
    for (const input of [old, fresh, confirm]) input.type = show.checked ? 'text' : 'password';
  });

  // The meter: one request a pause in typing; an answer to older text is dropped.
  let timer = null;
  let asked = 0;
  function setLevel(level, problem) {
    const index = LEVELS.indexOf(level);
    meter.dataset.level = level || '';
    bars.forEach((bar, i) => bar.classList.toggle('on', i <= index));
    strengthText.textContent = level ? t(`password.strength.${level}`) : t('password.strength.none');
    hint.textContent = problem ? t(`error.${problem}`) : '';
  }
  fresh.addEventListener('input', () => {
    clearTimeout(timer);
    const value = fresh.value;
    if (!value) {
      setLevel(null, null);
      return;
    }
    timer = setTimeout(async () => {
      const mine = ++asked;
      try {
        const r = await api.post('/bo/api/password/strength', { password: value });
        if (mine === asked && fresh.value === value) setLevel(r.strength, r.problem);
      } catch (err) {
        if (mine === asked) hint.textContent = errorMessage(err);
      }
    }, 200);
  });

  const form = h(
    'form',
    { class: 'form', id: 'password-form', novalidate: true },
    field('password-old', 'password.old', old),
    field('password-new', 'password.new', fresh, meter),
    hint,
    field('password-confirm', 'password.confirm', confirm),
    h('p', { class: 'muted small', id: 'password-rules' }, t('password.rules')),
    h('div', { class: 'field field--check' }, show, h('label', { for: 'password-show' }, t('password.show'))),
    error,
    done,
    h('div', { class: 'actions' }, submit),
  );

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.hidden = true;
    done.hidden = true;
    for (const input of [old, fresh, confirm]) {
      if (!input.value) {
        input.focus();
        return;
      }
    }
    if (fresh.value !== confirm.value) {
      error.textContent = t('password.mismatch');
      error.hidden = false;
      confirm.focus();
      return;
    }
    submit.disabled = true;
    try {
      const r = await api.post('/bo/api/password', { old: old.value, new: fresh.value });
      for (const input of [old, fresh, confirm]) input.value = '';
      setLevel(null, null);
      if (forced) {
        await proceed(r.next);
        return;
      }
      done.textContent = t('password.done');
      done.hidden = false;
    } catch (err) {
      error.textContent = errorMessage(err);
      error.hidden = false;
      (err.code === 'wrong_password' ? old : fresh).focus();
    } finally {
      submit.disabled = false;
    }
  });

  return h(
    'section',
    { class: forced ? 'card card--narrow' : 'card', 'aria-labelledby': 'password-title' },
    h('h1', { id: 'password-title' }, t('password.title')),
    forced && h('p', { class: 'notice', role: 'status' }, t('password.forced')),
    form,
  );
}
