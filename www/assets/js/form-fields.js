// form-fields.js - labelled form controls and readable form errors, shared by the forms of
// Personal information, Users and the Action log. Every control gets a <label for>, a hint
// tied with aria-describedby, and aria-invalid when the server refuses its value.

import { ApiError, errorMessage } from './api.js';
import { h } from './dom.js';
import { has, t } from './i18n.js';

/** A labelled field: {id, label, control, hint?, wide?} → div.field. */
export function field({ id, label, control, hint, className }) {
  control.id = id;
  let hintEl = null;
  if (hint) {
    hintEl = h('p', { class: 'field-hint', id: `${id}-hint` }, hint);
    control.setAttribute('aria-describedby', `${id}-hint`);
  }
  return h(
    'div',
    { class: className ? `field ${className}` : 'field' },
    h('label', { for: id }, label),
    control,
    hintEl,
  );
}

/** <select> with options [{value, label}] and the chosen value. */
export function select(name, options, value, attrs = {}) {
  const el = h(
    'select',
    { name, ...attrs },
    options.map((o) => h('option', { value: o.value }, o.label)),
  );
  if (value !== undefined && value !== null) el.value = String(value);
  return el;
}

/** <input> with a name and attributes. */
export function input(name, attrs = {}) {
  return h('input', { name, type: 'text', ...attrs });
}

/** The error box of a form: role=alert, hidden while empty. */
export function errorBox(id) {
  return h('p', { class: 'error', role: 'alert', id, hidden: true });
}

/** The success box of a form: role=status, hidden while empty. */
export function statusBox(id) {
  return h('p', { class: 'success', role: 'status', id, hidden: true });
}

export function say(box, message) {
  box.textContent = message || '';
  box.hidden = !message;
}

/**
 * Shows err in box. controls: {fieldName: element} of the form; an invalid_field answer marks
 * the control of its field (aria-invalid), names it in the message and moves focus to it.
 * labels: {fieldName: label text}.
 */
export function showError(box, err, controls = {}, labels = {}) {
  for (const el of Object.values(controls)) el.removeAttribute('aria-invalid');
  let message = errorMessage(err);
  if (err instanceof ApiError && err.code === 'invalid_field') {
    // The field is in "field" (creation) or, for edits, is the message itself.
    const name = err.body.field || (controls[err.message] ? err.message : null);
    if (name && controls[name]) {
      controls[name].setAttribute('aria-invalid', 'true');
      const label = labels[name] || name;
      message = has(`form.invalid.${name}`)
        ? t(`form.invalid.${name}`)
        : t('form.invalid', { field: label });
      say(box, message);
      controls[name].focus();
      return;
    }
  }
  say(box, message);
}

/** The options of a time zone list: "Europe/Paris (UTC+1)", the offset of today. */
export function timeZoneOptions(zones) {
  return zones.map((z) => {
    let offset = '';
    try {
      const part = new Intl.DateTimeFormat('en-US', { timeZone: z, timeZoneName: 'shortOffset' })
        .formatToParts(new Date())
        .find((p) => p.type === 'timeZoneName');
      offset = part ? part.value.replace(/^GMT/, 'UTC') : '';
    } catch {
      offset = ''; // a zone this browser does not know: its name alone
    }
    if (offset === 'UTC' && z === 'UTC') offset = '';
    return { value: z, label: offset ? `${z} (${offset})` : z };
  });
}
