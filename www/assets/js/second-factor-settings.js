// second-factor-settings.js - "Two-step sign-in" on Personal information (SPEC §3; Ingenico
// guide 3.2.1 "2FA"): the user's method, turning one on, turning it off.
//
//   GET  /bo/api/me/second-factor                {"method": null|"totp"|"email", "pending_totp"}
//   POST /bo/api/me/second-factor/totp {}         a new pending secret: {secret, uri, qr_svg}
//   POST /bo/api/me/second-factor/totp/confirm    {"code","password"} → {"method":"totp"}
//   POST /bo/api/me/second-factor/email           {"password"} → {"method":"email"}
//   POST /bo/api/me/second-factor/disable         {"password","code"} (code for totp only)
//
// The QR code comes from the server as SVG text. The CSP forbids inline script and style but
// not SVG elements in the page, so it is parsed as XML (DOMParser, image/svg+xml) and imported
// as nodes, never as HTML; anything but the shapes a QR code is made of (svg, g, rect, path)
// and their presentation attributes is refused, and the key is shown alone. Turning protection
// off always asks first (confirm-dialog.js).

import { api } from './api.js';
import { may } from './app.js';
import { confirmDialog } from './confirm-dialog.js';
import { h, replace } from './dom.js';
import { errorBox, field, say, showError, statusBox } from './form-fields.js';
import { t } from './i18n.js';
import { codeInput, codeValue } from './pages/second-factor.js';

const SVG_NS = 'http://www.w3.org/2000/svg';
const QR_ELEMENTS = new Set(['svg', 'g', 'rect', 'path', 'title', 'desc']);

/**
 * The server's QR code as an <svg> element of this document, or null when the text is not an
 * SVG made only of QR shapes (an element or attribute that could run code, load something or
 * style the page is refused, not removed: the key is then typed instead).
 */
export function qrSvg(text) {
  let doc;
  try {
    doc = new DOMParser().parseFromString(String(text || ''), 'image/svg+xml');
  } catch {
    return null;
  }
  const root = doc.documentElement;
  if (!root || root.namespaceURI !== SVG_NS || root.localName !== 'svg') return null;
  for (const el of [root, ...root.getElementsByTagName('*')]) {
    if (el.namespaceURI !== SVG_NS || !QR_ELEMENTS.has(el.localName)) return null;
    for (const attr of el.attributes) {
      const name = attr.localName.toLowerCase();
      if (name.startsWith('on') || name === 'style' || name === 'href' || name === 'class') return null;
    }
  }
  const svg = document.importNode(root, true);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', t('me.sf.totp.qr'));
  svg.setAttribute('focusable', 'false');
  return svg;
}

/** A base32 secret in groups of 4 for typing: "JBSW Y3DP EHPK 3PXP". */
export function groupSecret(secret) {
  return String(secret || '')
    .replace(/[\s=]/g, '')
    .replace(/(.{4})(?=.)/g, '$1 ');
}

function password(id) {
  return field({
    id,
    label: t('me.sf.password'),
    control: h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true }),
  });
}

/**
 * The "Two-step sign-in" card of Personal information, or null when the session may not use
 * the settings (GET /bo/api/me/second-factor not allowed: a server without the second factor).
 * me: GET /bo/api/me (its e-mail address). onOn: called once a method was turned on (the
 * set-up step of an account that requires one goes on from there), instead of showing it.
 */
export async function secondFactorCard(me, { onOn = null } = {}) {
  if (!may('GET /bo/api/me/second-factor')) return null;
  const status = statusBox('me-sf-status');
  const error = errorBox('me-sf-error');
  const summary = h('p', { class: 'me-sf-summary', id: 'me-sf-summary' });
  const body = h('div', { class: 'me-sf-body', id: 'me-sf-body' });
  const card = h(
    'section',
    { class: 'card me-sf', id: 'me-sf', 'aria-labelledby': 'me-sf-title' },
    h('h2', { id: 'me-sf-title' }, t('me.sf.title')),
    summary,
    h('p', { class: 'muted small' }, t('me.sf.explain')),
    status,
    error,
    body,
  );
  let info = { method: null, pending_totp: false };

  function methodText() {
    if (info.method === 'totp') return t('me.sf.totp');
    if (info.method === 'email') return t('me.sf.email', { email: me.email });
    return t('me.sf.none');
  }

  /**
   * The card at rest: the method and what may be done with it. focus: the id of the button to
   * focus, true for the first one, null for none.
   */
  function idle(focus) {
    replace(
      summary,
      h('span', { class: 'muted' }, `${t('me.sf.method')} `),
      h('strong', { id: 'me-sf-method', dataset: { method: info.method || 'none' } }, methodText()),
    );
    let buttons;
    if (info.method) {
      buttons = [h('button', { type: 'button', class: 'button', id: 'me-sf-off', onclick: offForm }, t('me.sf.turn_off'))];
    } else {
      buttons = [
        h('button', { type: 'button', class: 'button button--primary', id: 'me-sf-use-totp', onclick: startTotp }, t('me.sf.use_totp')),
        h(
          'button',
          { type: 'button', class: 'button', id: 'me-sf-use-email', disabled: !me.email, onclick: emailForm },
          t('me.sf.use_email'),
        ),
      ];
    }
    replace(
      body,
      !info.method && info.pending_totp ? h('p', { class: 'muted small', id: 'me-sf-pending' }, t('me.sf.totp.pending')) : null,
      !info.method && !me.email ? h('p', { class: 'muted small' }, t('me.sf.email.no_address')) : null,
      h('div', { class: 'actions' }, buttons),
    );
    if (focus) {
      const target = (typeof focus === 'string' && document.getElementById(focus)) || body.querySelector('button');
      if (target) target.focus();
    }
  }

  /** After a change: the server's state again, the message said, focus on the card's button. */
  async function reload(message) {
    info = await api.get('/bo/api/me/second-factor');
    say(status, message);
    idle(true);
  }

  /** "Cancel": back to the card at rest, the focus on the button that opened the form. */
  function cancelButton(back) {
    return h(
      'button',
      { type: 'button', class: 'button', id: 'me-sf-cancel', onclick: () => {
        say(error, '');
        idle(back);
      } },
      t('me.sf.cancel'),
    );
  }

  /**
   * A form of the card: its fields are checked, then send() runs and errors show in the card.
   * controls: {password, code?} of the form; back: the id of the button that opened it.
   */
  function form(id, content, submitLabel, send, controls, back) {
    const submit = h('button', { type: 'submit', class: 'button button--primary', id: `${id}-submit` }, submitLabel);
    const el = h('form', { class: 'form', id, novalidate: true }, content, h('div', { class: 'actions' }, submit, cancelButton(back)));
    el.addEventListener('submit', async (e) => {
      e.preventDefault();
      say(error, '');
      say(status, '');
      for (const [name, input] of Object.entries(controls)) {
        input.removeAttribute('aria-invalid');
        const bad = name === 'code' ? !codeValue(input) : !input.value;
        if (bad) {
          input.setAttribute('aria-invalid', 'true');
          say(error, name === 'code' ? t('sf.code.invalid') : t('form.required', { field: t('me.sf.password') }));
          input.focus();
          return;
        }
      }
      submit.disabled = true;
      try {
        await send();
      } catch (err) {
        showError(error, err, controls);
        const wrong = { bad_code: controls.code, bad_password: controls.password }[err.code];
        if (wrong) {
          wrong.setAttribute('aria-invalid', 'true');
          wrong.value = '';
          wrong.focus();
        }
      } finally {
        if (submit.isConnected) submit.disabled = false;
      }
    });
    return el;
  }

  async function startTotp() {
    say(error, '');
    say(status, '');
    let enrol;
    try {
      enrol = await api.post('/bo/api/me/second-factor/totp', {});
    } catch (err) {
      showError(error, err);
      return;
    }
    const qr = qrSvg(enrol.qr_svg);
    const code = codeInput({ name: 'code' });
    const pw = password('me-sf-password');
    const controls = { code, password: pw.querySelector('input') };
    const panel = h(
      'div',
      { class: 'me-sf-enrol', id: 'me-sf-enrol', tabindex: -1, 'aria-label': t('me.sf.use_totp') },
      h('p', {}, t('me.sf.totp.step1')),
      qr
        ? h('div', { class: 'me-sf-qr', id: 'me-sf-qr' }, qr)
        : h('p', { class: 'error', id: 'me-sf-qr-missing' }, t('me.sf.totp.qr_unavailable')),
      h('p', { id: 'me-sf-secret-label' }, t('me.sf.totp.step2')),
      h(
        'p',
        {},
        h('code', { class: 'me-sf-secret', id: 'me-sf-secret', 'aria-labelledby': 'me-sf-secret-label', tabindex: 0 }, groupSecret(enrol.secret)),
      ),
      h('p', {}, t('me.sf.totp.step3')),
      form(
        'me-sf-totp-form',
        [field({ id: 'me-sf-code', label: t('me.sf.code'), control: code }), pw],
        t('me.sf.totp.confirm'),
        async () => {
          await api.post('/bo/api/me/second-factor/totp/confirm', { code: codeValue(code), password: controls.password.value });
          if (onOn) await onOn();
          else await reload(t('me.sf.done.totp'));
        },
        controls,
        'me-sf-use-totp',
      ),
    );
    replace(body, panel);
    panel.focus();
  }

  function emailForm() {
    say(error, '');
    say(status, '');
    const pw = password('me-sf-email-password');
    const controls = { password: pw.querySelector('input') };
    replace(
      body,
      form(
        'me-sf-email-form',
        [h('p', {}, t('me.sf.email.text', { email: me.email })), pw],
        t('me.sf.email.confirm'),
        async () => {
          await api.post('/bo/api/me/second-factor/email', { password: controls.password.value });
          if (onOn) await onOn();
          else await reload(t('me.sf.done.email'));
        },
        controls,
        'me-sf-use-email',
      ),
    );
    controls.password.focus();
  }

  function offForm() {
    say(error, '');
    say(status, '');
    const totp = info.method === 'totp';
    const pw = password('me-sf-off-password');
    const code = totp ? codeInput({ name: 'code' }) : null;
    const controls = { password: pw.querySelector('input') };
    if (code) controls.code = code;
    replace(
      body,
      form(
        'me-sf-off-form',
        [
          h('p', {}, t(totp ? 'me.sf.off.text.totp' : 'me.sf.off.text.email')),
          pw,
          code && field({ id: 'me-sf-off-code', label: t('me.sf.code'), control: code }),
        ],
        t('me.sf.turn_off'),
        async () => {
          const ok = await confirmDialog({
            title: t('me.sf.off.confirm_title'),
            text: t('me.sf.off.confirm_text'),
            confirm: t('me.sf.off.confirm'),
            danger: true,
          });
          if (!ok) return;
          const sent = { password: controls.password.value };
          if (code) sent.code = codeValue(code);
          await api.post('/bo/api/me/second-factor/disable', sent);
          await reload(t('me.sf.done.off'));
        },
        controls,
        'me-sf-off',
      ),
    );
    controls.password.focus();
  }

  try {
    info = await api.get('/bo/api/me/second-factor');
  } catch (err) {
    showError(error, err);
    return card;
  }
  idle(null);
  return card;
}
