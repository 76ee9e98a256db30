// fraud-filters.js - the "Anti-fraud filters" tab of a contract's details (Vision manual §9.2.1;
// SPEC §11; README "Risk"): the contract's filters as GET /bo/api/contracts/{id} gives them
// ("fraud_filters": {max_amount, max_per_card_day, blocked_card_countries,
// blocked_customer_countries, country_mismatch, version}), and, for those who may call
// PUT /bo/api/contracts/{id}/fraud-filters (administrators), a form to change them: the
// maximum amount typed in the contract's currency and sent in minor units (money.js, never a
// float), the maximum payments per card per day, the two country lists (add from the server's
// countries, remove one by one), the card-country/customer-country mismatch. The version read
// goes back with the change: when someone else saved in between, the server answers 409 and
// the tab says so and shows the values now in force (nothing of this user's was saved).

import { ApiError, api, errorMessage, request } from './api.js';
import { may } from './app.js';
import { countryCodes, countryLabel, countryOptions } from './countries.js';
import { h, replace } from './dom.js';
import { formatAmount } from './format.js';
import { t } from './i18n.js';
import { detailsList } from './journal.js';
import { amountInput, parseAmount } from './money.js';

const SAVE = 'PUT /bo/api/contracts/{id}/fraud-filters';
const LISTS = ['blocked_card_countries', 'blocked_customer_countries'];
const PER_DAY_MAX = 1000; // the server's highest (src/domain/risk.h)

function isFilters(f) {
  return Boolean(f) && typeof f === 'object' && !Array.isArray(f);
}

/** Whether any filter is on. */
function anyOn(f) {
  return (
    (f.max_amount !== null && f.max_amount !== undefined) ||
    (f.max_per_card_day !== null && f.max_per_card_day !== undefined) ||
    LISTS.some((k) => Array.isArray(f[k]) && f[k].length > 0) ||
    Boolean(f.country_mismatch)
  );
}

function countriesText(list) {
  return Array.isArray(list) && list.length
    ? h('span', {}, list.map(countryLabel).join(', '))
    : h('span', { class: 'muted' }, t('ff.none_country'));
}

/**
 * The tab's content for contract c (the details answer). Returns one element, kept by the
 * caller across tab changes so an edit in progress survives them.
 */
export function fraudFiltersTab(c) {
  const root = h('div', { class: 'ff', id: 'cd-fraud' });
  const currency = c.currency || 'EUR';
  let current = c.fraud_filters;

  if (!isFilters(current)) {
    // A server without the filters' API (an older one): say so rather than pretend.
    replace(root, h('p', { class: 'notice', id: 'cd-fraud-none' }, t(Array.isArray(current) && !current.length ? 'c.fraud_none' : 'ff.unavailable')));
    return root;
  }

  function view(message) {
    const f = current;
    const editable = may(SAVE);
    const edit = editable ? h('button', { type: 'button', class: 'button', id: 'ff-edit' }, t('ff.edit')) : null;
    if (edit) edit.addEventListener('click', () => form());
    const noneAtAll = !anyOn(f) ? h('p', { class: 'notice', id: 'cd-fraud-none' }, t('c.fraud_none')) : null;
    replace(
      root,
      message || null,
      h('p', { class: 'muted small' }, t('ff.intro')),
      noneAtAll,
      detailsList([
        ['ff.max_amount', f.max_amount === null || f.max_amount === undefined ? h('span', { class: 'muted' }, t('ff.none_limit')) : formatAmount(f.max_amount, currency), 'ff-v-max-amount'],
        ['ff.blocked_card_countries', countriesText(f.blocked_card_countries), 'ff-v-card-countries'],
        ['ff.blocked_customer_countries', countriesText(f.blocked_customer_countries), 'ff-v-customer-countries'],
        ['ff.country_mismatch.short', t(f.country_mismatch ? 'ff.on' : 'ff.off'), 'ff-v-mismatch'],
        ['ff.max_per_card_day', f.max_per_card_day === null || f.max_per_card_day === undefined ? h('span', { class: 'muted' }, t('ff.none_limit')) : String(f.max_per_card_day), 'ff-v-max-per-card-day'],
      ]),
      edit ? h('div', { class: 'ff-actions' }, edit) : null,
    );
    if (message) {
      message.tabIndex = -1;
      message.focus();
    }
  }

  /** A labelled control with its hint and its own error line. */
  function fieldOf(id, label, control, hint) {
    control.id = id;
    const hintEl = hint ? h('p', { class: 'field-hint', id: `${id}-hint` }, hint) : null;
    const err = h('p', { class: 'field-error', id: `${id}-error`, role: 'alert', hidden: true });
    const el = h('div', { class: 'field' }, h('label', { for: id }, label), control, hintEl, err);
    return { el, control, hintEl, err };
  }

  /** A country list with add/remove: {el, values(), focus, err, hintEl}. */
  function countryList(key, chosen, codes) {
    const values = chosen.slice();
    const legendId = `ff-${key}-legend`;
    const ul = h('ul', { class: 'country-list', id: `ff-${key}`, 'aria-labelledby': legendId });
    const empty = h('p', { class: 'muted small', id: `ff-${key}-empty` }, t('ff.none_country'));
    const pick = h('select', { id: `ff-${key}-pick` });
    const add = h('button', { type: 'button', class: 'button button--small', id: `ff-${key}-add`, 'aria-label': t('ff.add_country_to', { list: t(`ff.${key}`) }) }, t('ff.add_country'));
    const hintEl = h('p', { class: 'field-hint', id: `ff-${key}-hint` }, t(`ff.${key}.hint`));
    const err = h('p', { class: 'field-error', id: `ff-${key}-error`, role: 'alert', hidden: true });

    function draw(focusCode) {
      replace(
        ul,
        values.map((code) => {
          const remove = h(
            'button',
            { type: 'button', class: 'icon-button', dataset: { remove: code }, 'aria-label': t('ff.remove_country', { country: countryLabel(code) }), title: t('ff.remove_country', { country: countryLabel(code) }) },
            '×',
          );
          remove.addEventListener('click', () => {
            const i = values.indexOf(code);
            values.splice(i, 1);
            draw();
            // The focus goes to the next country's button, else to the list to add from.
            const next = ul.querySelectorAll('[data-remove]')[i] || ul.querySelectorAll('[data-remove]')[i - 1];
            (next || pick).focus();
          });
          return h('li', { dataset: { code } }, h('span', {}, countryLabel(code)), remove);
        }),
      );
      ul.hidden = !values.length;
      empty.hidden = values.length > 0;
      replace(
        pick,
        h('option', { value: '' }, t('bl.add.country.choose')),
        countryOptions(codes.filter((x) => !values.includes(x))).map((o) => h('option', { value: o.value }, o.label)),
      );
      if (focusCode) {
        const b = ul.querySelector(`[data-remove="${focusCode}"]`);
        if (b) b.focus();
      }
    }
    add.addEventListener('click', () => {
      if (!pick.value) {
        pick.focus();
        return;
      }
      values.push(pick.value);
      draw();
      pick.focus();
    });
    draw();
    const el = h(
      'fieldset',
      { class: 'ff-countries', id: `ff-${key}-set`, 'aria-describedby': hintEl.id },
      h('legend', { id: legendId }, t(`ff.${key}`)),
      hintEl,
      ul,
      empty,
      h(
        'div',
        { class: 'country-add' },
        h('label', { for: pick.id, class: 'visually-hidden' }, t('ff.choose_country', { list: t(`ff.${key}`) })),
        pick,
        add,
      ),
      err,
    );
    return { el, values: () => values.slice(), control: pick, err, hintEl };
  }

  async function form() {
    let codes = [];
    try {
      codes = await countryCodes();
    } catch (err) {
      view(h('p', { class: 'error', role: 'alert', id: 'ff-error' }, errorMessage(err)));
      return;
    }
    const f = current;
    const version = f.version;
    const amount = fieldOf(
      'ff-max-amount',
      t('ff.max_amount.label', { currency }),
      h('input', { type: 'text', inputmode: 'decimal', autocomplete: 'off', value: f.max_amount === null || f.max_amount === undefined ? '' : amountInput(f.max_amount, currency) }),
      t('ff.max_amount.hint'),
    );
    const perDay = fieldOf(
      'ff-max-per-card-day',
      t('ff.max_per_card_day'),
      h('input', { type: 'text', inputmode: 'numeric', autocomplete: 'off', maxlength: 4, value: f.max_per_card_day === null || f.max_per_card_day === undefined ? '' : String(f.max_per_card_day) }),
      t('ff.max_per_card_day.hint'),
    );
    const lists = Object.fromEntries(LISTS.map((k) => [k, countryList(k, f[k] || [], codes)]));
    const mismatch = h('input', { type: 'checkbox', id: 'ff-country-mismatch', checked: Boolean(f.country_mismatch) });
    const formError = h('p', { class: 'error', role: 'alert', id: 'ff-error', hidden: true });
    const save = h('button', { type: 'submit', class: 'button button--primary', id: 'ff-save' }, t('ff.save'));
    const cancel = h('button', { type: 'button', class: 'button', id: 'ff-cancel' }, t('ff.cancel'));
    const fields = {
      max_amount: amount,
      max_per_card_day: perDay,
      blocked_card_countries: lists.blocked_card_countries,
      blocked_customer_countries: lists.blocked_customer_countries,
      country_mismatch: { control: mismatch, err: null, hintEl: null },
    };

    function mark(name, text) {
      for (const [k, x] of Object.entries(fields)) {
        const on = k === name;
        if (x.err) {
          x.err.textContent = on ? text : '';
          x.err.hidden = !on;
        }
        if (on) x.control.setAttribute('aria-invalid', 'true');
        else x.control.removeAttribute('aria-invalid');
        const described = [x.hintEl && x.hintEl.id, on && x.err && x.err.id].filter(Boolean).join(' ');
        if (described) x.control.setAttribute('aria-describedby', described);
      }
      formError.textContent = name ? t('ff.err.fix') : '';
      formError.hidden = !name;
      if (name) fields[name].control.focus();
    }

    // What was said about a field goes once the user changes it.
    for (const [name, x] of Object.entries(fields)) {
      x.control.addEventListener(x.control.tagName === 'SELECT' || x.control.type === 'checkbox' ? 'change' : 'input', () => {
        if (x.control.getAttribute('aria-invalid') === 'true') mark(null);
      });
      if (LISTS.includes(name)) x.el.addEventListener('click', () => {
        if (x.control.getAttribute('aria-invalid') === 'true') mark(null);
      });
    }
    const el = h(
      'form',
      { class: 'ff-form', id: 'ff-form', novalidate: true, 'aria-labelledby': 'c-tab-fraud' },
      h('p', { class: 'muted small' }, t('ff.intro')),
      h('div', { class: 'ff-grid' }, amount.el, perDay.el),
      lists.blocked_card_countries.el,
      lists.blocked_customer_countries.el,
      h('div', { class: 'field field--check' }, mismatch, h('label', { for: 'ff-country-mismatch' }, t('ff.country_mismatch'))),
      formError,
      h('div', { class: 'ff-actions' }, save, cancel),
    );
    cancel.addEventListener('click', () => {
      view();
      const b = root.querySelector('#ff-edit');
      if (b) b.focus();
    });
    el.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      mark(null);
      const body = { version };
      const a = amount.control.value.trim();
      if (a) {
        const minor = parseAmount(a, currency);
        if (minor === null || minor < 1) {
          mark('max_amount', t('ff.err.max_amount'));
          return;
        }
        body.max_amount = minor;
      } else body.max_amount = null;
      const n = perDay.control.value.trim();
      if (n) {
        if (!/^\d{1,4}$/.test(n) || Number(n) < 1 || Number(n) > PER_DAY_MAX) {
          mark('max_per_card_day', t('ff.err.max_per_card_day'));
          return;
        }
        body.max_per_card_day = Number(n);
      } else body.max_per_card_day = null;
      for (const k of LISTS) body[k] = lists[k].values();
      body.country_mismatch = mismatch.checked;
      save.disabled = true;
      try {
        const answer = await request('PUT', `/bo/api/contracts/${encodeURIComponent(c.id)}/fraud-filters`, body);
        current = (answer && answer.fraud_filters) || { ...body, version: version + 1 };
        c.fraud_filters = current;
        view(h('p', { class: 'success', role: 'status', id: 'ff-saved' }, t('ff.saved')));
      } catch (err) {
        save.disabled = false;
        if (err instanceof ApiError && err.status === 401) return;
        if (err instanceof ApiError && err.status === 409) {
          // Someone saved in between: the values now in force (the answer has them, else
          // they are read again), and nothing of ours saved.
          if (isFilters(err.body.fraud_filters)) current = err.body.fraud_filters;
          else {
            try {
              const fresh = await api.get(`/bo/api/contracts/${encodeURIComponent(c.id)}`);
              if (isFilters(fresh.fraud_filters)) current = fresh.fraud_filters;
            } catch {
              // the message below still says what happened; the values shown are those read first
            }
          }
          c.fraud_filters = current;
          view(h('p', { class: 'error', role: 'alert', id: 'ff-conflict' }, t('ff.conflict')));
          return;
        }
        if (err instanceof ApiError && err.code === 'invalid_field' && fields[err.body.field]) {
          const name = err.body.field;
          const text = name === 'max_amount' ? t('ff.err.max_amount') : name === 'max_per_card_day' ? t('ff.err.max_per_card_day') : LISTS.includes(name) ? t('ff.err.country') : errorMessage(err);
          mark(name, text);
          return;
        }
        formError.textContent = errorMessage(err);
        formError.hidden = false;
      }
    });
    replace(root, el);
    amount.control.focus();
  }

  view();
  return root;
}
