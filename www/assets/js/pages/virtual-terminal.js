// virtual-terminal.js - Manual entry, the virtual terminal (SPEC §10; Vision manual §10): the
// user enters a card payment by hand. Three steps on one page, as the manual has them:
//  1. the choice: type (one-off, subscription, installments), shop, payment method (among
//     CB, VISA, MASTERCARD, E-BLEUE, AMEX, JCB that the shop has a contract for) and the
//     contract it goes to, preselected when only one; "Validate" once all three are chosen;
//  2. the form of the type: order reference, amounts, dates, the card (checked here as the
//     server checks it: length, Luhn, prefix of the method; expiry), more options (archive
//     reference, confirmation e-mail); "Clear", "Back", "Validate";
//  3. the result: accepted → "New entry" (back to 1, empty); refused → the reason and "Back
//     to payment" (the form of 2, every field kept).
// Everything the page needs comes from GET /bo/api/manual-entries/options (the shops and
// contracts of the user's node, today and the dates allowed, Paris time); the entry is POST
// /bo/api/manual-entries. The card number never leaves the form but in that request.

import { api } from '../api.js';
import { h, replace, uid } from '../dom.js';
import { dayInput, parseDay } from '../day-input.js';
import { errorBox, field, input, say, select, showError } from '../form-fields.js';
import { formatAmount, formatDay } from '../format.js';
import { t } from '../i18n.js';
import { amountInput, parseAmount } from '../money.js';

const TYPES = ['one_off', 'subscription', 'installments'];

/* --- the card, checked as src/domain/card.c checks it ------------------------------------ */

function luhn(digits) {
  let sum = 0;
  for (let i = 0; i < digits.length; i += 1) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return digits.length > 0 && sum % 10 === 0;
}

/** The scheme of a number by prefix and length (card_method_detect), or null. */
function scheme(digits) {
  const n = digits.length;
  const p2 = Number(digits.slice(0, 2));
  const p4 = Number(digits.slice(0, 4));
  if (digits[0] === '4') return [13, 16, 19].includes(n) ? 'VISA' : null;
  if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) return n === 16 ? 'MASTERCARD' : null;
  if (p2 === 34 || p2 === 37) return n === 15 ? 'AMEX' : null;
  if (p4 >= 3528 && p4 <= 3589) return n >= 16 && n <= 19 ? 'JCB' : null;
  return null;
}

/** Digits of a typed number (spaces and dashes between groups dropped), or null. */
export function cardDigits(text) {
  const s = String(text || '').trim();
  if (!/^\d+([ -]\d+)*$/.test(s)) return null;
  const d = s.replace(/[ -]/g, '');
  return d.length >= 12 && d.length <= 19 ? d : null;
}

/** Whether a number fits a method (card_fit): 'ok', 'length', 'luhn', 'scheme', 'method'. */
export function cardFit(method, text) {
  const d = cardDigits(text);
  if (!d) return 'length';
  if (!luhn(d)) return 'luhn';
  const s = scheme(d);
  if (!s) return 'scheme';
  // CB and E-BLEUE are carried by co-badged VISA and MASTERCARD cards.
  const ok = method === 'CB' || method === 'E-BLEUE' ? s === 'VISA' || s === 'MASTERCARD' : s === method;
  return ok ? 'ok' : 'method';
}

/** "MMYY" of a typed expiry ("12/30", "1230", "12 30"), or null. */
export function expiryOf(text) {
  const m = /^\s*(\d{2})\s*[/ -]?\s*(\d{2})\s*$/.exec(String(text || ''));
  if (!m || Number(m[1]) < 1 || Number(m[1]) > 12) return null;
  return `${m[1]}${m[2]}`;
}

function expired(mmyy, today) {
  const month = Number(mmyy.slice(0, 2));
  const year = 2000 + Number(mmyy.slice(2));
  const [y, m] = today.split('-').map(Number);
  return y > year || (y === year && m > month);
}

/** The even split of total into n (plan_split): the first takes the remainder. */
export function split(total, n) {
  if (n < 2 || n > 4 || total < n) return null;
  const each = Math.floor(total / n);
  const out = Array(n).fill(each);
  out[0] += total - each * n;
  return out;
}

function addDays(day, n) {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}

/* --- the page ------------------------------------------------------------------------------ */

/** A form error found here, said like the server's: {field, message}. */
class FormError extends Error {
  constructor(fieldName, message) {
    super(message);
    this.field = fieldName;
  }
}

function fail(name, key, params) {
  throw new FormError(name, t(key, params));
}

export async function render() {
  const options = await api.get('/bo/api/manual-entries/options');
  const root = h('div', { class: 'vt', id: 'vt' });
  const page = h(
    'section',
    { class: 'vt-page', 'aria-labelledby': 'vt-title' },
    h('h1', { id: 'vt-title' }, t('vt.title')),
    h('p', { class: 'muted' }, t('vt.intro')),
    root,
  );
  if (!options.shops.length) {
    replace(root, h('p', { class: 'notice', id: 'vt-none' }, t('vt.no_contract')));
    return page;
  }
  showChoice(root, options);
  return page;
}

/* --- 1. the choice -------------------------------------------------------------------------- */

function showChoice(root, options, chosen = {}) {
  const types = h(
    'fieldset',
    { class: 'vt-types', id: 'vt-type' },
    h('legend', {}, t('vt.type')),
    TYPES.map((type) => {
      const id = `vt-type-${type}`;
      return h(
        'div',
        { class: 'field field--check' },
        h('input', { type: 'radio', name: 'vt-type', id, value: type, checked: chosen.type === type }),
        h('label', { for: id }, t(`vt.type.${type}`)),
      );
    }),
  );
  const shops = options.shops;
  const shop = select(
    'shop',
    [
      ...(shops.length > 1 ? [{ value: '', label: t('vt.choose') }] : []),
      ...shops.map((s) => ({ value: String(s.id), label: `${s.name} (${s.site} / ${s.rang})` })),
    ],
    chosen.shop ? String(chosen.shop.id) : shops.length === 1 ? String(shops[0].id) : '',
  );
  const method = select('method', [], '');
  const contract = h('p', { class: 'vt-contract', id: 'vt-contract', 'aria-live': 'polite' });
  const next = h('button', { type: 'submit', class: 'button button--primary', id: 'vt-next', disabled: true }, t('vt.validate'));

  const currentShop = () => shops.find((s) => String(s.id) === shop.value) || null;
  const currentContract = () => {
    const s = currentShop();
    return s ? s.contracts.find((c) => c.method === method.value) || null : null;
  };
  function fillMethods(keep) {
    const s = currentShop();
    const offered = s ? options.methods.filter((m) => s.contracts.some((c) => c.method === m)) : [];
    replace(
      method,
      ...[...(offered.length > 1 ? [{ value: '', label: t('vt.choose') }] : []), ...offered.map((m) => ({ value: m, label: m }))].map((o) =>
        h('option', { value: o.value }, o.label),
      ),
    );
    method.disabled = offered.length === 0;
    if (keep && offered.includes(keep)) method.value = keep;
    else if (offered.length === 1) method.value = offered[0];
    else method.value = '';
  }
  function update() {
    const c = currentContract();
    contract.textContent = c ? t('vt.contract', { number: c.number, method: c.method, currency: c.currency }) : '';
    const type = types.querySelector('input:checked');
    next.disabled = !(type && c);
  }
  shop.addEventListener('change', () => {
    fillMethods(method.value);
    update();
  });
  method.addEventListener('change', update);
  types.addEventListener('change', update);
  fillMethods(chosen.method);
  update();

  const form = h(
    'form',
    { class: 'form card vt-choice', id: 'vt-choice', novalidate: true },
    h('h2', {}, t('vt.step.choice')),
    types,
    field({ id: 'vt-shop', label: t('vt.shop'), control: shop }),
    field({ id: 'vt-method', label: t('vt.method'), control: method, hint: t('vt.method.hint') }),
    contract,
    h('div', { class: 'actions' }, next),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const type = types.querySelector('input:checked');
    const c = currentContract();
    if (!type || !c) return;
    showForm(root, options, { type: type.value, shop: currentShop(), method: method.value, contract: c });
  });
  replace(root, form);
  const first = types.querySelector('input:checked') || types.querySelector('input');
  first.setAttribute('data-autofocus', '');
  first.focus();
}

/* --- 2. the form ---------------------------------------------------------------------------- */

/** A labelled text input; returns [wrapper, control]. */
function text(id, label, attrs = {}, hint) {
  const control = input(id, attrs);
  return [field({ id, label, control, hint }), control];
}

function dateInput(name, value, min, max) {
  return dayInput({ name, value, min, max, required: true });
}

function showForm(root, options, choice) {
  const { type, shop, method, contract } = choice;
  const currency = contract.currency;
  const controls = {}; // API field → control, for the server's and our own errors
  const labels = {};
  const typed = []; // the controls Clear empties
  const keep = (name, label, control) => {
    controls[name] = control;
    labels[name] = label;
    typed.push(control);
    return control;
  };

  const [orderField, orderRef] = text('vt-order-ref', t('vt.order_ref'), { maxlength: options.limits.order_ref_max, required: true, autocomplete: 'off' });
  keep('order_ref', t('vt.order_ref'), orderRef);

  // The type's own part.
  let part;
  let collect;
  if (type === 'one_off') [part, collect] = oneOffPart(options, currency, keep);
  else if (type === 'installments') {
    [part, collect] = installmentsPart(options, currency, keep, controls);
    labels.installments = t('vt.type.installments');
  }
  else [part, collect] = subscriptionPart(options, currency, keep);

  // The card (Vision manual §10.1.1: number and validity, common to the three types).
  const [numberField, number] = text('vt-card-number', t('vt.card.number'), {
    autocomplete: 'cc-number',
    inputmode: 'numeric',
    maxlength: 23,
    spellcheck: 'false',
    required: true,
  }, t('vt.card.number.hint', { method }));
  const [expiryField, expiry] = text('vt-card-expiry', t('vt.card.expiry'), {
    autocomplete: 'cc-exp',
    inputmode: 'numeric',
    placeholder: t('vt.card.expiry.placeholder'),
    maxlength: 5,
    required: true,
  }, t('vt.card.expiry.hint'));
  keep('card.number', t('vt.card.number'), number);
  keep('card.expiry', t('vt.card.expiry'), expiry);

  // More options (§10.1.1 "Plus d'options"): the archive reference, the confirmation mail.
  const [archiveField, archive] = text('vt-archive-ref', t('vt.archive_ref'), { maxlength: options.limits.archive_ref_max, autocomplete: 'off' }, t('vt.archive_ref.hint'));
  keep('archive_ref', t('vt.archive_ref'), archive);
  const mailOn = h('input', { type: 'checkbox', id: 'vt-mail-on', name: 'mail_on' });
  const [mailField, mail] = text('vt-mail', t('vt.mail.address'), { type: 'email', autocomplete: 'off', disabled: true });
  keep('confirmation_email', t('vt.mail.address'), mail);
  typed.push(mailOn);
  mailOn.addEventListener('change', () => {
    mail.disabled = !mailOn.checked;
    if (mailOn.checked) mail.focus();
  });
  const more = h(
    'details',
    { class: 'vt-more', id: 'vt-more' },
    h('summary', {}, t('vt.more')),
    archiveField,
    h('div', { class: 'field field--check' }, mailOn, h('label', { for: 'vt-mail-on' }, t('vt.mail.on'))),
    mailField,
  );

  const error = errorBox('vt-error');
  const back = h('button', { type: 'button', class: 'button', id: 'vt-back' }, t('vt.back'));
  const clear = h('button', { type: 'button', class: 'button', id: 'vt-clear' }, t('vt.clear'));
  const submit = h('button', { type: 'submit', class: 'button button--primary', id: 'vt-submit' }, t('vt.validate'));
  const form = h(
    'form',
    { class: 'form card vt-form', id: 'vt-form', novalidate: true, dataset: { type } },
    h('h2', {}, t(`vt.type.${type}`)),
    h('p', { class: 'muted', id: 'vt-summary' }, t('vt.summary', { shop: shop.name, method, number: contract.number, currency })),
    orderField,
    part,
    h('fieldset', { class: 'vt-card' }, h('legend', {}, t('vt.card')), numberField, expiryField),
    more,
    error,
    h('div', { class: 'actions' }, submit, clear, back),
  );

  // A field typed again is no longer marked wrong.
  form.addEventListener('input', (e) => e.target.removeAttribute('aria-invalid'));
  back.addEventListener('click', () => showChoice(root, options, choice));
  clear.addEventListener('click', () => {
    for (const c of typed) {
      if (c.type === 'checkbox') {
        c.checked = false;
        c.dispatchEvent(new Event('change')); // the rows and the address it governs
      } else if (c.dataset.default !== undefined) c.value = c.dataset.default;
      else c.value = '';
      c.removeAttribute('aria-invalid');
    }
    say(error, '');
    orderRef.focus();
  });

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    say(error, '');
    for (const c of Object.values(controls)) c.removeAttribute('aria-invalid');
    let body;
    try {
      body = {
        type,
        shop_id: shop.id,
        method,
        order_ref: orderRef.value.trim(),
      };
      if (!body.order_ref) fail('order_ref', 'vt.err.order_ref');
      Object.assign(body, collect());
      const fit = cardFit(method, number.value);
      if (fit !== 'ok') fail('card.number', `vt.err.card.${fit}`, { method });
      const mmyy = expiryOf(expiry.value);
      if (!mmyy) fail('card.expiry', 'vt.err.expiry');
      if (expired(mmyy, options.today)) fail('card.expiry', 'vt.err.expired');
      body.card = { number: cardDigits(number.value), expiry: mmyy };
      if (archive.value.trim()) body.archive_ref = archive.value.trim();
      if (mailOn.checked) {
        if (!/^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$/.test(mail.value.trim())) fail('confirmation_email', 'vt.err.mail');
        body.confirmation_email = mail.value.trim();
      }
    } catch (err) {
      if (!(err instanceof FormError)) throw err;
      const el = controls[err.field];
      if (el) {
        el.setAttribute('aria-invalid', 'true');
        el.focus();
      }
      say(error, err.message);
      return;
    }
    submit.disabled = true;
    submit.textContent = t('vt.sending');
    try {
      const result = await api.post('/bo/api/manual-entries', body);
      showResult(root, options, choice, form, result);
    } catch (err) {
      const name = err.body && err.body.field;
      if (name && controls[name]) {
        // The server's check of a field this page let through: its control, named.
        controls[name].setAttribute('aria-invalid', 'true');
        say(error, t('vt.err.server', { field: labels[name] || name, message: err.message }));
        controls[name].focus();
      } else {
        showError(error, err);
      }
    } finally {
      submit.disabled = false;
      submit.textContent = t('vt.validate');
    }
  });
  replace(root, form);
  orderRef.setAttribute('data-autofocus', '');
  orderRef.focus();
}

/** One-off: amount and effective date (default tomorrow, today … +7 days). */
function oneOffPart(options, currency, keep) {
  const [amountField, amount] = text('vt-amount', t('vt.amount', { currency }), { inputmode: 'decimal', autocomplete: 'off', required: true });
  const date = dateInput('date', options.date_default, options.date_min, options.date_max);
  date.dataset.default = options.date_default;
  keep('amount', t('vt.amount', { currency }), amount);
  keep('date', t('vt.date'), date);
  const part = h(
    'div',
    { class: 'vt-part form--grid' },
    amountField,
    field({ id: 'vt-date', label: t('vt.date'), control: date, hint: t('vt.date.hint', { min: formatDay(options.date_min), max: formatDay(options.date_max) }) }),
  );
  return [
    part,
    () => {
      const minor = parseAmount(amount.value, currency);
      if (!minor) fail('amount', 'vt.err.amount');
      if (!parseDay(date.value) || date.value < options.date_min || date.value > options.date_max) {
        fail('date', 'vt.err.date', { min: formatDay(options.date_min), max: formatDay(options.date_max) });
      }
      return { amount: minor, date: date.value };
    },
  ];
}

/** Installments: P2F by default, boxes for the 3rd and 4th, amounts and dates; the helper. */
function installmentsPart(options, currency, keep, controls) {
  const rows = [];
  const table = h('div', { class: 'vt-installments', id: 'vt-installments' });
  for (let i = 0; i < 4; i += 1) {
    const amountId = uid('vt-inst-amount');
    const dateId = uid('vt-inst-date');
    const amount = input(`installment_${i}_amount`, { id: amountId, inputmode: 'decimal', autocomplete: 'off' });
    const def = addDays(options.today, 30 * i);
    const date = dateInput(`installment_${i}_date`, def, options.date_min, options.plan_last_max);
    date.id = dateId;
    date.dataset.default = def;
    const on = i < 2 ? null : h('input', { type: 'checkbox', id: `vt-inst-on-${i + 1}`, name: `installment_${i}_on` });
    const row = h(
      'div',
      { class: 'vt-installment', dataset: { n: i + 1 } },
      on
        ? h('div', { class: 'field field--check' }, on, h('label', { for: on.id }, t('vt.installment', { n: i + 1 })))
        : h('p', { class: 'vt-installment-name' }, t('vt.installment', { n: i + 1 })),
      h('div', { class: 'field' }, h('label', { for: amountId }, t('vt.installment.amount', { n: i + 1, currency })), amount),
      h('div', { class: 'field' }, h('label', { for: dateId }, t('vt.installment.date', { n: i + 1 })), date),
    );
    keep(`installments[${i}].amount`, t('vt.installment.amount', { n: i + 1, currency }), amount);
    keep(`installments[${i}].date`, t('vt.installment.date', { n: i + 1 }), date);
    if (on) {
      keep(`installments[${i}].on`, t('vt.installment', { n: i + 1 }), on);
      const sync = () => {
        amount.disabled = !on.checked;
        date.disabled = !on.checked;
      };
      on.addEventListener('change', () => {
        // The 4th needs the 3rd, and the 3rd off takes the 4th off.
        if (i === 3 && on.checked) rows[2].on.checked = true;
        if (i === 2 && !on.checked) rows[3].on.checked = false;
        rows.forEach((r) => r.sync && r.sync());
      });
      rows.push({ amount, date, on, sync });
      sync();
    } else {
      rows.push({ amount, date, on: null, sync: null });
    }
    table.append(row);
  }
  controls.installments = rows[0].amount;

  // The completion helper (§10.1.3 "Compléter"): a total and a number → the amounts.
  const total = input('split_total', { id: 'vt-split-total', inputmode: 'decimal', autocomplete: 'off' });
  const count = select('split_count', [2, 3, 4].map((n) => ({ value: n, label: String(n) })), 2, { id: 'vt-split-count' });
  const fill = h('button', { type: 'button', class: 'button', id: 'vt-split' }, t('vt.split.button'));
  const splitSaid = h('p', { class: 'muted small', role: 'status', id: 'vt-split-status' });
  fill.addEventListener('click', () => {
    const minor = parseAmount(total.value, currency);
    const n = Number(count.value);
    const amounts = minor ? split(minor, n) : null;
    if (!amounts) {
      total.setAttribute('aria-invalid', 'true');
      splitSaid.textContent = t('vt.split.bad', { n });
      total.focus();
      return;
    }
    total.removeAttribute('aria-invalid');
    rows[2].on.checked = n >= 3;
    rows[3].on.checked = n >= 4;
    rows.forEach((r, i) => {
      if (r.sync) r.sync();
      r.amount.value = i < n ? amountInput(amounts[i], currency) : '';
      r.amount.removeAttribute('aria-invalid');
    });
    splitSaid.textContent = t('vt.split.done', { n, total: formatAmount(minor, currency) });
  });
  const helper = h(
    'fieldset',
    { class: 'vt-split', id: 'vt-split-helper' },
    h('legend', {}, t('vt.split')),
    h('p', { class: 'muted small' }, t('vt.split.hint')),
    h('div', { class: 'field' }, h('label', { for: 'vt-split-total' }, t('vt.split.total', { currency })), total),
    h('div', { class: 'field' }, h('label', { for: 'vt-split-count' }, t('vt.split.count')), count),
    fill,
    splitSaid,
  );
  const part = h(
    'div',
    { class: 'vt-part vt-plan' },
    h('div', {}, h('p', { class: 'muted small' }, t('vt.installments.hint', { days: options.limits.plan_span_days })), table),
    helper,
  );
  return [
    part,
    () => {
      const n = rows[3].on.checked ? 4 : rows[2].on.checked ? 3 : 2;
      const installments = [];
      for (let i = 0; i < n; i += 1) {
        const minor = parseAmount(rows[i].amount.value, currency);
        if (!minor) fail(`installments[${i}].amount`, 'vt.err.installment.amount', { n: i + 1 });
        const day = rows[i].date.value;
        if (!parseDay(day) || day < options.today) fail(`installments[${i}].date`, 'vt.err.installment.date', { n: i + 1 });
        if (i > 0 && day <= installments[i - 1].date) fail(`installments[${i}].date`, 'vt.err.installment.order', { n: i + 1 });
        installments.push({ amount: minor, date: day });
      }
      if (installments[n - 1].date > addDays(installments[0].date, options.limits.plan_span_days)) {
        fail(`installments[${n - 1}].date`, 'vt.err.installment.span', { days: options.limits.plan_span_days });
      }
      return { installments };
    },
  ];
}

/** Subscription: initial amount, recurring amount, count (2 … unlimited), every N months,
 * day of month, start date. */
function subscriptionPart(options, currency, keep) {
  const [initialField, initial] = text('vt-initial', t('vt.sub.initial', { currency }), { inputmode: 'decimal', autocomplete: 'off' }, t('vt.sub.initial.hint'));
  const [amountField, amount] = text('vt-sub-amount', t('vt.sub.amount', { currency }), { inputmode: 'decimal', autocomplete: 'off', required: true });
  const countOptions = [{ value: '0', label: t('vt.sub.unlimited') }];
  for (let n = 2; n <= 36; n += 1) countOptions.push({ value: String(n), label: String(n) });
  const count = select('count', countOptions, '12');
  count.dataset.default = '12';
  const every = input('every_months', { type: 'number', min: 1, max: options.limits.every_months_max, value: '1', inputmode: 'numeric' });
  every.dataset.default = '1';
  const day = Number(options.date_default.slice(8, 10));
  const dom = input('day_of_month', { type: 'number', min: 1, max: 31, value: String(day), inputmode: 'numeric' });
  dom.dataset.default = String(day);
  const start = dateInput('start', options.date_default, options.date_min, options.start_max);
  start.dataset.default = options.date_default;
  keep('initial_amount', t('vt.sub.initial', { currency }), initial);
  keep('amount', t('vt.sub.amount', { currency }), amount);
  keep('count', t('vt.sub.count'), count);
  keep('every_months', t('vt.sub.every'), every);
  keep('day_of_month', t('vt.sub.day'), dom);
  keep('start', t('vt.sub.start'), start);
  const part = h(
    'div',
    { class: 'vt-part form--grid' },
    initialField,
    amountField,
    field({ id: 'vt-sub-count', label: t('vt.sub.count'), control: count }),
    field({ id: 'vt-sub-every', label: t('vt.sub.every'), control: every, hint: t('vt.sub.every.hint') }),
    field({ id: 'vt-sub-day', label: t('vt.sub.day'), control: dom, hint: t('vt.sub.day.hint') }),
    field({ id: 'vt-sub-start', label: t('vt.sub.start'), control: start, hint: t('vt.sub.start.hint') }),
  );
  return [
    part,
    () => {
      let initialMinor = 0;
      if (initial.value.trim()) {
        initialMinor = parseAmount(initial.value, currency);
        if (initialMinor === null) fail('initial_amount', 'vt.err.amount');
      }
      const minor = parseAmount(amount.value, currency);
      if (!minor) fail('amount', 'vt.err.amount');
      const e = Number(every.value);
      if (!Number.isInteger(e) || e < 1 || e > options.limits.every_months_max) fail('every_months', 'vt.err.every');
      const d = Number(dom.value);
      if (!Number.isInteger(d) || d < 1 || d > 31) fail('day_of_month', 'vt.err.day');
      if (!parseDay(start.value) || start.value < options.date_min || start.value > options.start_max) fail('start', 'vt.err.start');
      return {
        initial_amount: initialMinor,
        amount: minor,
        count: Number(count.value),
        every_months: e,
        day_of_month: d,
        start: start.value,
      };
    },
  ];
}

/* --- 3. the result -------------------------------------------------------------------------- */

function showResult(root, options, choice, form, result) {
  const p = result.payment;
  const rec = result.plan || result.subscription;
  const reason = result.refusal_reason
    ? t(`tx.refusal.${result.refusal_reason}`) === `tx.refusal.${result.refusal_reason}`
      ? result.refusal_message
      : t(`tx.refusal.${result.refusal_reason}`)
    : null;
  const rows = [];
  const row = (label, value) => {
    if (value !== null && value !== undefined && value !== '') rows.push(h('dt', {}, label), h('dd', {}, value));
  };
  row(t('vt.r.type'), t(`vt.type.${result.type}`));
  row(t('vt.order_ref'), (p && p.order_ref) || (rec && rec.order_ref));
  if (p) {
    row(t('vt.r.payment'), p.id);
    row(t('vt.r.amount'), formatAmount(p.amount_initial, p.currency));
    row(t('vt.r.bank_date'), p.bank_date ? formatDay(p.bank_date) : null);
    row(t('vt.r.authorization'), p.authorization_number);
    row(t('vt.r.card'), p.card && p.card.masked);
  }
  if (rec) {
    row(t(result.plan ? 'vt.r.plan' : 'vt.r.subscription'), rec.id);
    row(t('vt.r.status'), t(`vt.r.status.${rec.status}`));
    if (!p) row(t('vt.r.card'), rec.card_masked);
    row(t('vt.r.next'), rec.next_date ? `${formatDay(rec.next_date)} · ${formatAmount(rec.next_amount, rec.currency)}` : null);
  }
  row(t('vt.archive_ref'), (p && p.archive_ref) || (rec && rec.archive_ref));

  const again = h('button', { type: 'button', class: 'button button--primary', id: result.accepted ? 'vt-new' : 'vt-retry' },
    t(result.accepted ? 'vt.new' : 'vt.retry'));
  again.addEventListener('click', () => {
    if (result.accepted) showChoice(root, options, { type: choice.type, shop: choice.shop, method: choice.method });
    else {
      replace(root, form); // every field as it was typed
      const first = form.querySelector('#vt-card-number');
      first.focus();
    }
  });
  const card = h(
    'section',
    { class: `card vt-result ${result.accepted ? 'vt-result--ok' : 'vt-result--refused'}`, id: 'vt-result', dataset: { accepted: String(result.accepted) } },
    h('h2', { tabindex: -1, id: 'vt-result-title' }, t(result.accepted ? `vt.r.accepted.${result.type}` : `vt.r.refused.${result.type}`)),
    h('p', { role: result.accepted ? 'status' : 'alert', class: result.accepted ? 'success' : 'error' },
      result.accepted ? t('vt.r.accepted.text') : t('vt.r.refused.text', { reason: reason || t('vt.r.reason.none') })),
    h('dl', { class: 'details', id: 'vt-result-details' }, rows),
    h('div', { class: 'actions' }, again),
  );
  replace(root, card);
  card.querySelector('h2').focus();
}
