// form-fields.js - labelled form controls and readable form errors, shared by the forms of
// Personal information, Users and the Action log. Every control gets a <label for>, a hint
// tied with aria-describedby, and aria-invalid when the server refuses its value.

import { ApiError, errorMessage } from './api.js';
import { h } from './dom.js';
import { has, t } from './i18n.js';

/**
 * A labelled field: {id, label, control, hint?, className?, required?} → div.field. A
 * required one has its mark (*) beside the label (requiredLegend() says what it means) and
 * aria-required; every field has its own error line, which showFieldErrors fills.
 */
export function field({ id, label, control, hint, className, required }) {
  control.id = id;
  // What the control was described by already (a page's own hint), then its hint and error.
  const described = (control.getAttribute('aria-describedby') || '').split(' ').filter(Boolean);
  let hintEl = null;
  if (hint) {
    hintEl = h('p', { class: 'field-hint', id: `${id}-hint` }, hint);
    described.push(`${id}-hint`);
  }
  const errorEl = h('p', { class: 'field-error', id: `${id}-error`, hidden: true });
  described.push(`${id}-error`);
  control.setAttribute('aria-describedby', [...new Set(described)].join(' '));
  if (required) control.setAttribute('aria-required', 'true');
  fieldErrors.set(control, errorEl);
  return h(
    'div',
    { class: className ? `field ${className}` : 'field' },
    // The mark beside the label, not in it: the label stays the control's name, and
    // aria-required says the rest.
    required
      ? h(
          'span',
          { class: 'field-label' },
          h('label', { for: id }, label),
          h('span', { class: 'required-mark', 'aria-hidden': 'true', title: t('form.required_mark') }, ' *'),
        )
      : h('label', { for: id }, label),
    control,
    hintEl,
    errorEl,
  );
}

/** What the mark of a required field means, once a form, above its fields. */
export function requiredLegend() {
  return h('p', { class: 'form-legend muted small' }, h('span', { class: 'required-mark', 'aria-hidden': 'true' }, '* '), t('form.required_legend'));
}

const fieldErrors = new WeakMap(); // control → its error line (field())

/** The message of one field's error {field, error} ("required" or "invalid_field"). */
function fieldMessage(e, labels) {
  const label = labels[e.field] || e.field;
  if (e.error === 'required') return t('form.required', { field: label });
  return has(`form.invalid.${e.field}`) ? t(`form.invalid.${e.field}`) : t('form.invalid', { field: label });
}

/** Takes every error line and aria-invalid off the controls. */
export function clearFieldErrors(controls) {
  for (const el of Object.values(controls)) {
    el.removeAttribute('aria-invalid');
    const line = fieldErrors.get(el);
    if (line) say(line, '');
  }
}

/**
 * Flags every error at once (README "Users"): errors [{field, error}], each beside its
 * control (aria-invalid, its error line), and box says how many and which; focus goes to the
 * first. An error of a field the form has not is said in the box.
 */
export function showFieldErrors(box, errors, controls = {}, labels = {}) {
  clearFieldErrors(controls);
  const named = [];
  const loose = [];
  for (const e of errors) {
    const el = controls[e.field];
    if (!el) {
      loose.push(fieldMessage(e, labels));
      continue;
    }
    el.setAttribute('aria-invalid', 'true');
    const line = fieldErrors.get(el);
    if (line) say(line, fieldMessage(e, labels));
    named.push(labels[e.field] || e.field);
  }
  // One error: its message, as beside the field; more: how many, and which.
  const first = errors.find((e) => controls[e.field]);
  const summary =
    named.length > 1 ? t('form.errors', { count: named.length, fields: named.join(', ') }) : first ? fieldMessage(first, labels) : '';
  say(box, [summary, ...loose].filter(Boolean).join(' '));
  if (first) controls[first.field].focus();
}

/** The required controls among names left empty: [{field, error: "required"}]. */
export function missingFields(controls, names) {
  return names
    .filter((name) => controls[name] && !controls[name].disabled && !String(controls[name].value).trim())
    .map((name) => ({ field: name, error: 'required' }));
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
  clearFieldErrors(controls);
  if (err instanceof ApiError && err.code === 'invalid_field') {
    // Every field at once when the server lists them ("errors"); else the one it names, in
    // "field" (or, from an older server's edits, as the message itself).
    const errors = Array.isArray(err.body.errors) && err.body.errors.length
      ? err.body.errors
      : [{ field: err.body.field || (controls[err.message] ? err.message : null), error: 'invalid_field' }];
    if (errors.some((e) => controls[e.field])) {
      showFieldErrors(box, errors, controls, labels);
      return;
    }
  }
  say(box, errorMessage(err));
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
