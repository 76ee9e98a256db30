// page-theme.js - Parameters › Payment page: a shop's template of the hosted payment page
// (README "The hosted payment page", Templates). #/page-theme[/SHOP], one shop at a time.
//
// GET /bo/api/shops/{id}/page-theme; PUT the same with the "version" read (colours #rrggbb,
// the heading line and the help text in French and English), DELETE it (back to Guichet's
// page); PUT …/page-theme/logo with the image as the body (PNG or JPEG), DELETE …/logo.
// Administrators change it (the answer's "editable"); the others read it. A live preview
// shows the colours and texts as the buyer will see them, the contrast computed as the server
// does (WCAG AA: 4.5:1), so a refusal is seen before saving. The preview's colours are set
// through the CSSOM (element.style), which the back office's CSP allows (no style attribute
// in any markup).

import { api, ApiError, errorMessage, uploadBytes } from '../api.js';
import { confirmDialog } from '../confirm-dialog.js';
import { h, replace } from '../dom.js';
import { errorBox, field, say, showError, statusBox } from '../form-fields.js';
import { formatDateTime } from '../format.js';
import { language, t } from '../i18n.js';
import { go } from '../router.js';
import { perShop } from './settings.js';

const COLOURS = ['primary_color', 'background_color'];
const TEXTS = ['title_fr', 'title_en', 'footer_fr', 'footer_en'];
const TEXT_COLOUR = '#1d2733'; // the page's text (www/assets/pay.css)
const COLOUR_RE = /^#[0-9a-fA-F]{6}$/;

/** WCAG 2's contrast ratio of two #rrggbb colours (domain/page_theme.c does the same). */
export function contrast(a, b) {
  const lum = (hex) => {
    const c = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255);
    const [r, g, bl] = c.map((v) => (v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}

/** The logo, its bytes as they are. */
async function uploadLogo(shopId, file) {
  return uploadBytes('PUT', `/bo/api/shops/${shopId}/page-theme/logo`, file,
    file.type || 'application/octet-stream', t('theme.logo.too_large'));
}

async function themeBody(shopId) {
  let th = await api.get(`/bo/api/shops/${shopId}/page-theme`);
  const editable = th.editable;
  const error = errorBox('theme-error');
  const done = statusBox('theme-done');
  const contrastBox = h('p', { class: 'notice', id: 'theme-contrast', role: 'status', hidden: true });
  const controls = {};
  const pickers = {};
  for (const name of COLOURS) {
    controls[name] = h('input', { type: 'text', name, maxlength: 7, autocomplete: 'off', spellcheck: 'false', placeholder: th.defaults[name], disabled: !editable });
    pickers[name] = h('input', { type: 'color', id: `theme-${name}-picker`, disabled: !editable, 'aria-label': t(`theme.${name}.picker`) });
  }
  for (const name of TEXTS) {
    const max = name.startsWith('title') ? th.limits.title_chars : th.limits.footer_chars;
    controls[name] = name.startsWith('title')
      ? h('input', { type: 'text', name, maxlength: max, autocomplete: 'off', disabled: !editable })
      : h('textarea', { name, maxlength: max, rows: 2, disabled: !editable });
  }
  const labels = Object.fromEntries(Object.keys(controls).map((k) => [k, t(`theme.${k}`)]));
  const updated = h('p', { class: 'muted small', id: 'theme-updated' });
  const reload = h('button', { type: 'button', class: 'button', id: 'theme-reload', hidden: true }, t('settings.reload'));
  reload.addEventListener('click', () => go(`page-theme/${shopId}`, { replace: true }));

  // The preview: the page's top, a summary line, the two buttons, the help text.
  const previewLang = h(
    'select',
    { id: 'theme-preview-lang' },
    h('option', { value: 'fr' }, 'Français'),
    h('option', { value: 'en' }, 'English'),
  );
  previewLang.value = language() === 'en' ? 'en' : 'fr';
  const pv = {
    logo: h('img', { class: 'theme-preview-logo', id: 'theme-preview-logo', alt: th.shop.name, hidden: true }),
    heading: h('p', { class: 'theme-preview-heading', id: 'theme-preview-heading' }),
    pay: h('span', { class: 'theme-preview-button', id: 'theme-preview-pay' }),
    cancel: h('span', { class: 'theme-preview-button theme-preview-button--secondary', id: 'theme-preview-cancel' }),
    footer: h('p', { class: 'theme-preview-footer', id: 'theme-preview-footer' }),
    name: h('p', { class: 'theme-preview-shop' }, th.shop.name),
  };
  const brand = h('div', { class: 'theme-preview-brand' }, pv.logo, pv.heading);
  const frame = h('div', { class: 'theme-preview-page', id: 'theme-preview', aria: { hidden: 'true' } }, brand, pv.name, pv.pay, pv.cancel, pv.footer);

  function colour(name) {
    const v = controls[name].value.trim();
    return COLOUR_RE.test(v) ? v.toLowerCase() : v === '' ? th.defaults[name] : null;
  }

  function preview() {
    const lang = previewLang.value;
    const primary = colour('primary_color');
    const background = colour('background_color');
    if (background) frame.style.setProperty('background', background);
    if (primary) {
      pv.pay.style.setProperty('background', primary);
      pv.cancel.style.setProperty('color', primary);
      pv.cancel.style.setProperty('border-color', primary);
      brand.style.setProperty('border-bottom-color', primary);
    }
    pv.pay.textContent = lang === 'en' ? 'Pay' : 'Payer';
    pv.cancel.textContent = lang === 'en' ? 'Cancel and go back to the shop' : 'Annuler et revenir à la boutique';
    pv.heading.textContent = controls[`title_${lang}`].value;
    pv.footer.textContent = controls[`footer_${lang}`].value;
    pv.heading.hidden = pv.heading.textContent === '';
    pv.footer.hidden = pv.footer.textContent === '';
    pv.logo.hidden = !th.logo_url;
    if (th.logo_url && pv.logo.getAttribute('src') !== th.logo_url) pv.logo.src = th.logo_url;
    // The contrasts, as the server weighs them.
    const notes = [];
    for (const name of COLOURS) {
      const v = controls[name].value.trim();
      if (v !== '' && !COLOUR_RE.test(v)) notes.push(t('theme.colour_format', { field: labels[name] }));
      else if (COLOUR_RE.test(v)) pickers[name].value = v.toLowerCase();
    }
    if (primary && background) {
      const text = contrast(TEXT_COLOUR, background);
      const button = contrast('#ffffff', primary);
      const around = contrast(primary, background);
      if (text < 4.5) notes.push(t('theme.contrast.text', { ratio: text.toFixed(2) }));
      if (button < 4.5) notes.push(t('theme.contrast.button', { ratio: button.toFixed(2) }));
      if (around < 3) notes.push(t('theme.contrast.around', { ratio: around.toFixed(2) }));
    }
    say(contrastBox, notes.join(' '));
  }

  function show(answer) {
    th = answer;
    for (const name of [...COLOURS, ...TEXTS]) controls[name].value = th[name];
    for (const name of COLOURS) pickers[name].value = th[name] || th.defaults[name];
    updated.textContent = th.updated_at ? t('settings.updated', { when: formatDateTime(th.updated_at) }) : '';
    replace(logoState, th.logo ? t('theme.logo.current', { type: th.logo.type, size: th.logo.size }) : t('theme.logo.none'));
    removeLogo.hidden = !editable || !th.logo;
    preview();
  }

  for (const name of COLOURS) {
    pickers[name].addEventListener('input', () => {
      controls[name].value = pickers[name].value;
      preview();
    });
  }
  for (const el of Object.values(controls)) el.addEventListener('input', preview);
  previewLang.addEventListener('change', preview);

  function clear() {
    say(error, '');
    say(done, '');
    reload.hidden = true;
  }

  function failed(err) {
    if (err instanceof ApiError && err.status === 409) {
      say(error, t('theme.conflict'));
      reload.hidden = false;
      reload.focus();
      return;
    }
    showError(error, err, controls, labels);
    // A colour refused for its contrast: the server's figure, with the field's name.
    if (err instanceof ApiError && COLOURS.includes(err.body && err.body.field)) {
      preview();
      say(error, `${t('form.invalid', { field: labels[err.body.field] })} ${contrastBox.textContent}`);
    }
  }

  async function save(e) {
    e.preventDefault();
    clear();
    const body = { version: th.version };
    for (const name of [...COLOURS, ...TEXTS]) body[name] = controls[name].value.trim();
    const before = th.version;
    try {
      show(await api.put(`/bo/api/shops/${shopId}/page-theme`, body));
      for (const el of Object.values(controls)) el.removeAttribute('aria-invalid');
      say(done, t(th.version === before ? 'settings.unchanged' : 'theme.saved'));
    } catch (err) {
      failed(err);
    }
  }

  async function resetAll() {
    clear();
    const ok = await confirmDialog({ title: t('theme.reset'), text: t('theme.reset.confirm'), confirm: t('theme.reset'), danger: true });
    if (!ok) return;
    try {
      show(await api.del(`/bo/api/shops/${shopId}/page-theme`));
      say(done, t('theme.reset.done'));
    } catch (err) {
      failed(err);
    }
  }

  const file = h('input', { type: 'file', name: 'logo', accept: 'image/png,image/jpeg', disabled: !editable });
  const logoState = h('p', { id: 'theme-logo-state' });
  const removeLogo = h('button', { type: 'button', class: 'button', id: 'theme-logo-remove' }, t('theme.logo.remove'));
  const logoError = errorBox('theme-logo-error');

  async function upload() {
    clear();
    say(logoError, '');
    const f = file.files && file.files[0];
    if (!f) return;
    if (f.size > th.limits.logo_bytes) {
      say(logoError, t('theme.logo.too_large'));
      return;
    }
    try {
      show(await uploadLogo(shopId, f));
      file.value = '';
      say(done, t('theme.logo.saved'));
    } catch (err) {
      say(logoError, err instanceof ApiError && err.code === 'invalid_field' ? t('theme.logo.bad') : errorMessage(err));
    }
  }
  file.addEventListener('change', upload);
  removeLogo.addEventListener('click', async () => {
    clear();
    say(logoError, '');
    try {
      show(await api.del(`/bo/api/shops/${shopId}/page-theme/logo`));
      say(done, t('theme.logo.removed'));
    } catch (err) {
      say(logoError, errorMessage(err));
    }
  });

  const colourField = (name) =>
    h(
      'div',
      { class: 'theme-colour' },
      field({ id: `theme-${name}`, label: labels[name], control: controls[name], hint: t('theme.colour.hint', { value: th.defaults[name] }) }),
      pickers[name],
    );
  const form = h(
    'form',
    { class: 'card settings-form', id: 'theme-form', novalidate: true, onsubmit: save },
    h('h2', {}, t('theme.form')),
    editable ? null : h('p', { class: 'notice', id: 'theme-read-only' }, t('theme.read_only')),
    h('fieldset', { class: 'settings-group' }, h('legend', {}, t('theme.colours')), COLOURS.map(colourField)),
    h(
      'fieldset',
      { class: 'settings-group' },
      h('legend', {}, t('theme.texts')),
      h('p', { class: 'field-hint' }, t('theme.texts.hint')),
      TEXTS.map((name) => field({ id: `theme-${name}`, label: labels[name], control: controls[name] })),
    ),
    contrastBox,
    error,
    done,
    h(
      'div',
      { class: 'form-actions' },
      editable ? h('button', { type: 'submit', class: 'button button--primary', id: 'theme-save' }, t('theme.save')) : null,
      editable ? h('button', { type: 'button', class: 'button button--danger', id: 'theme-reset', onclick: resetAll }, t('theme.reset')) : null,
      reload,
    ),
    updated,
  );
  const logoCard = h(
    'section',
    { class: 'card', 'aria-labelledby': 'theme-logo-title' },
    h('h2', { id: 'theme-logo-title' }, t('theme.logo')),
    h('p', { class: 'field-hint' }, t('theme.logo.hint', { kb: Math.floor(th.limits.logo_bytes / 1024) })),
    logoState,
    editable ? field({ id: 'theme-logo-file', label: t('theme.logo.choose'), control: file }) : null,
    logoError,
    editable ? h('div', { class: 'form-actions' }, removeLogo) : null,
  );
  const previewCard = h(
    'section',
    { class: 'card', 'aria-labelledby': 'theme-preview-title' },
    h('h2', { id: 'theme-preview-title' }, t('theme.preview')),
    field({ id: 'theme-preview-lang', label: t('theme.preview.lang'), control: previewLang }),
    frame,
  );
  show(th);
  return h('div', { class: 'settings-body theme-body' }, form, logoCard, previewCard);
}

export function render({ args }) {
  return perShop('page-theme', args, 'nav.page-theme', 'theme.intro', themeBody);
}
