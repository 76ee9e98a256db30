// second-factor.js - the code step of the sign-in (SPEC §3; Ingenico guide 3.2.1 "2FA"): after
// the right password of a user with a second factor, the 6-digit code of their authenticator
// app (TOTP) or the one just e-mailed to them, which they may have sent again (once per 30 s).
// A wrong code counts as a failed sign-in: the third in a row locks the account and ends the
// session, so the page goes back to sign-in saying so. Then the next steps, as after sign-in.
//
// POST /bo/api/session/second-factor {"code"} → the sign-in answer's shape with the next step;
// 401 bad_code, 423 locked. POST /bo/api/session/second-factor/resend {} → {"sent": true};
// 429 too_soon. Both answer 401 for a bad code or a gone session: quiet401, told apart here.

import { api, ApiError, errorMessage } from '../api.js';
import { secondFactor, signedIn, signOut, toSignIn } from '../app.js';
import { h } from '../dom.js';
import { errorBox, say, statusBox } from '../form-fields.js';
import { t } from '../i18n.js';

/** The code field of the step and of the settings: six digits, the phone's number pad. */
export function codeInput(attrs = {}) {
  return h('input', {
    type: 'text',
    name: 'code',
    inputmode: 'numeric',
    autocomplete: 'one-time-code',
    pattern: '[0-9]{6}',
    maxlength: 6,
    size: 8,
    spellcheck: 'false',
    required: true,
    class: 'code-input',
    ...attrs,
  });
}

/** The six digits typed, spaces and dashes left out (some apps show "123 456"), or null. */
export function codeValue(input) {
  const code = input.value.replace(/[\s-]/g, '');
  return /^[0-9]{6}$/.test(code) ? code : null;
}

export function render() {
  const method = secondFactor(); // "totp", "email", or null when this tab did not keep it
  const code = codeInput({ id: 'sf-code', 'data-autofocus': true, 'aria-describedby': 'sf-intro sf-code-hint' });
  const error = errorBox('sf-error');
  const status = statusBox('sf-status');
  const submit = h('button', { type: 'submit', class: 'button button--primary', id: 'sf-submit' }, t('sf.submit'));
  const resend =
    method === 'email' &&
    h('button', { type: 'button', class: 'button', id: 'sf-resend' }, t('sf.resend'));
  const cancel = h(
    'button',
    { type: 'button', class: 'button button--quiet', id: 'sf-cancel', onclick: signOut },
    t('sf.cancel'),
  );

  function busy(on) {
    for (const el of [code, submit, resend, cancel]) if (el) el.disabled = on;
    submit.textContent = on ? t('sf.busy') : t('sf.submit');
  }

  /** An error of either call: the session may be gone (401 other than bad_code, 423). */
  function failed(err) {
    if (err instanceof ApiError && err.code === 'locked') {
      toSignIn('sf.notice.locked');
      return;
    }
    if (err instanceof ApiError && err.status === 401 && err.code !== 'bad_code') {
      toSignIn('signin.notice.ended');
      return;
    }
    say(error, errorMessage(err));
    if (err instanceof ApiError && err.code === 'bad_code') {
      code.setAttribute('aria-invalid', 'true');
      code.value = '';
    }
    code.focus();
  }

  const form = h(
    'form',
    { class: 'form', id: 'sf-form', novalidate: true },
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'sf-code' }, t('sf.code')),
      code,
      h('p', { class: 'field-hint', id: 'sf-code-hint' }, t('sf.code.hint')),
    ),
    error,
    status,
    h('div', { class: 'actions' }, submit, resend, cancel),
  );

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    say(error, '');
    say(status, '');
    const value = codeValue(code);
    if (!value) {
      code.setAttribute('aria-invalid', 'true');
      say(error, t('sf.code.invalid'));
      code.focus();
      return;
    }
    busy(true);
    try {
      const answer = await api.post('/bo/api/session/second-factor', { code: value }, { quiet401: true });
      await signedIn(answer);
    } catch (err) {
      busy(false);
      failed(err);
    }
  });

  if (resend) {
    resend.addEventListener('click', async () => {
      say(error, '');
      say(status, '');
      resend.disabled = true;
      try {
        await api.post('/bo/api/session/second-factor/resend', {}, { quiet401: true });
        say(status, t('sf.resent'));
        code.value = '';
        code.removeAttribute('aria-invalid');
        code.focus();
      } catch (err) {
        failed(err);
      } finally {
        resend.disabled = false;
      }
    });
  }

  return h(
    'section',
    { class: 'card card--narrow second-factor', 'aria-labelledby': 'sf-title' },
    h('h1', { id: 'sf-title' }, t('sf.title')),
    h('p', { class: 'notice', id: 'sf-intro' }, t(`sf.intro.${method === 'totp' || method === 'email' ? method : 'unknown'}`)),
    form,
    h('p', { class: 'muted small', id: 'sf-warning' }, t('sf.warning')),
  );
}
