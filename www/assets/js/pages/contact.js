// contact.js - the contact form (Vision manual §2.3.1; SPEC §14), linked from the top bar for
// every profile: the contract concerned (one of the user's: GET /bo/api/contact), the e-mail
// (filled in with the user's, which they check), an optional subject, the details, and "send
// me a copy". POST /bo/api/contact mails the support (Reply-To that e-mail) and the copy.
// The server takes 5 requests a minute from a user; past them it says how long to wait.

import { api, ApiError } from '../api.js';
import { h } from '../dom.js';
import { errorBox, field, say, select, showError, statusBox } from '../form-fields.js';
import { t } from '../i18n.js';

const encoder = new TextEncoder();

export async function render() {
  const form = await api.get('/bo/api/contact');
  const error = errorBox('contact-error');
  const done = statusBox('contact-done');
  const contract = select(
    'contract_id',
    form.contracts.map((c) => ({ value: c.id, label: `${c.shop_name} (${c.site} / ${c.rang}) – ${c.payment_method} ${c.number}` })),
  );
  const email = h('input', { type: 'email', name: 'email', value: form.email, maxlength: 254, autocomplete: 'email', required: true });
  const subject = h('input', { type: 'text', name: 'subject', maxlength: form.subject_max });
  const details = h('textarea', { name: 'details', rows: 8, required: true });
  const count = h('span', { class: 'muted small', id: 'contact-count', 'aria-live': 'polite' });
  const copy = h('input', { type: 'checkbox', name: 'copy', id: 'contact-copy' });
  const send = h('button', { type: 'submit', class: 'button button--primary', id: 'contact-send', disabled: form.contracts.length === 0 }, t('contact.send'));
  const controls = { contract_id: contract, email, subject, details, copy };
  const labels = { contract_id: t('contact.contract'), email: t('contact.email'), subject: t('contact.subject'), details: t('contact.details') };

  const bytes = () => encoder.encode(details.value).length;
  const counted = () => {
    count.textContent = t('contact.details.count', { n: bytes(), max: form.details_max });
  };
  details.addEventListener('input', counted);
  counted();

  async function submit(e) {
    e.preventDefault();
    say(error, '');
    say(done, '');
    const body = { contract_id: Number(contract.value), email: email.value.trim(), details: details.value, copy: copy.checked };
    if (subject.value.trim()) body.subject = subject.value.trim();
    send.disabled = true;
    try {
      const answer = await api.post('/bo/api/contact', body);
      for (const el of Object.values(controls)) el.removeAttribute('aria-invalid');
      say(done, answer.copy ? t('contact.sent_copy', { email: body.email }) : t('contact.sent'));
      subject.value = '';
      details.value = '';
      copy.checked = false;
      counted();
    } catch (err) {
      if (err instanceof ApiError && err.status === 429) say(error, t('contact.too_many', { seconds: String(err.body.retry_after || 1) }));
      else showError(error, err, controls, labels);
    } finally {
      send.disabled = false;
    }
  }

  return h(
    'section',
    { class: 'contact', 'aria-labelledby': 'contact-title' },
    h('h1', { id: 'contact-title' }, t('nav.contact')),
    h('p', { class: 'muted' }, t('contact.intro')),
    form.contracts.length ? null : h('p', { class: 'notice notice--warn', id: 'contact-none' }, t('contact.no_contract')),
    h(
      'form',
      { class: 'card card--narrow contact-form', id: 'contact-form', novalidate: true, onsubmit: submit },
      field({ id: 'contact-contract', label: t('contact.contract'), control: contract }),
      field({ id: 'contact-email', label: t('contact.email'), control: email, hint: t('contact.email.hint') }),
      field({ id: 'contact-subject', label: t('contact.subject'), control: subject }),
      field({ id: 'contact-details', label: t('contact.details'), control: details }),
      count,
      h('div', { class: 'field--check' }, copy, h('label', { for: 'contact-copy' }, t('contact.copy'))),
      error,
      done,
      h('div', { class: 'form-actions' }, send),
    ),
  );
}
