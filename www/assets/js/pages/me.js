// me.js - personal information (Vision manual §1, §11.1; SPEC §3): what the server knows of the
// signed-in user, and the form to change it: name, e-mail, mobile (optional: emptied, it is
// removed; e-mail and mobile never both in one edit: the server answers 422 email_and_mobile),
// language (applied to the whole UI at once), time zone (from the preferences' time_zones), and
// the landing page (PATCH /bo/api/me/preferences {"home"}, among its available_homes), the
// electronic reporting's structure and format (ereport-settings.js). The
// password has its own page (#/password); two-step sign-in its card (second-factor-settings.js).

import { api } from '../api.js';
import { state } from '../app.js';
import { h } from '../dom.js';
import { ownEreportCard } from '../ereport-settings.js';
import { setTimeZone } from '../format.js';
import {
  errorBox,
  field,
  input,
  missingFields,
  requiredLegend,
  say,
  select,
  showError,
  showFieldErrors,
  statusBox,
  timeZoneOptions,
} from '../form-fields.js';
import { LANGUAGES, setLanguage, t } from '../i18n.js';
import { go } from '../router.js';
import { secondFactorCard } from '../second-factor-settings.js';

let flash = null; // the message to show once after a save that re-rendered the page

/** The words of a landing page ("stats", "transactions"…). */
export function homeLabel(home) {
  return home === 'stats' ? t('me.home.stats') : t(`nav.${home.replace('_', '-')}`);
}

export async function render() {
  const [me, prefs] = await Promise.all([api.get('/bo/api/me'), api.get('/bo/api/me/preferences')]);
  const twoStep = await secondFactorCard(me);
  state.me = me;
  state.prefs = prefs;

  const status = statusBox('me-status');
  if (flash) {
    say(status, flash);
    flash = null;
  }

  const none = () => h('span', { class: 'muted' }, t('me.none'));
  const account = h(
    'section',
    { class: 'card me-account', 'aria-labelledby': 'me-account-title' },
    h('h2', { id: 'me-account-title' }, t('me.account')),
    h(
      'dl',
      { class: 'details' },
      [
        ['me.login', me.login],
        ['me.name', me.name],
        ['me.email', me.email || none()],
        ['me.mobile', me.mobile || none()],
        ['me.profile', t(`profile.${me.profile}`)],
        ['me.node', me.level ? `${t(`level.${me.level}`)} · ${me.node_name}` : me.node_name],
        ['me.language', t(`language.${me.language}`)],
        ['me.time_zone', me.time_zone],
        ['me.sign_ins', `${me.sign_ins_this_week} / ${me.sign_ins_total}`],
      ].map(([key, value]) => [h('dt', {}, t(key)), h('dd', {}, value)]),
    ),
  );

  return h(
    'section',
    { class: 'me', 'aria-labelledby': 'me-title' },
    h('h1', { id: 'me-title' }, t('me.title')),
    status,
    h(
      'div',
      { class: 'me-grid' },
      editForm(me, prefs, status),
      h('div', { class: 'me-side' }, account, homeForm(prefs), ownEreportCard(prefs), security(), twoStep),
    ),
  );
}

function editForm(me, prefs, status) {
  const controls = {
    name: input('name', { autocomplete: 'name', required: true, value: me.name, maxlength: 120 }),
    email: input('email', { type: 'email', autocomplete: 'email', required: true, value: me.email }),
    mobile: input('mobile', { type: 'tel', autocomplete: 'tel', value: me.mobile || '' }),
    language: select(
      'language',
      LANGUAGES.map((l) => ({ value: l, label: t(`language.${l}`) })),
      me.language,
    ),
    time_zone: select('time_zone', timeZoneOptions(prefs.time_zones || [me.time_zone]), me.time_zone),
  };
  const labels = {
    name: t('me.name'),
    email: t('me.email'),
    mobile: t('me.mobile'),
    language: t('me.language'),
    time_zone: t('me.time_zone'),
  };
  const error = errorBox('me-error');
  const submit = h('button', { type: 'submit', class: 'button button--primary', id: 'me-save' }, t('form.save'));

  async function save(e) {
    e.preventDefault();
    say(error, '');
    say(status, '');
    const body = {};
    for (const [name, el] of Object.entries(controls)) {
      const value = el.value.trim();
      if (value !== (me[name] || '')) body[name] = value;
    }
    // Every empty required field at once, beside each.
    const missing = missingFields(controls, ['name', 'email']);
    if (missing.length) {
      showFieldErrors(error, missing, controls, labels);
      return;
    }
    if (!Object.keys(body).length) {
      say(error, t('form.nothing_changed'));
      return;
    }
    submit.disabled = true;
    submit.textContent = t('form.saving');
    try {
      await api.patch('/bo/api/me', body);
      const fresh = await api.get('/bo/api/me');
      state.me = fresh;
      // Language and time zone apply to the whole UI at once: the page is drawn again in them.
      setLanguage(fresh.language);
      setTimeZone(fresh.time_zone);
      if (state.user) state.user = { ...state.user, name: fresh.name, email: fresh.email };
      flash = t('me.saved');
      go('me');
    } catch (err) {
      submit.disabled = false;
      submit.textContent = t('form.save');
      showError(error, err, controls, labels);
    }
  }

  return h(
    'section',
    { class: 'card me-edit', 'aria-labelledby': 'me-edit-title' },
    h('h2', { id: 'me-edit-title' }, t('me.edit')),
    h(
      'form',
      { class: 'form', id: 'me-form', novalidate: true, onsubmit: save },
      requiredLegend(),
      field({ id: 'me-name', label: labels.name, control: controls.name, required: true }),
      field({ id: 'me-email', label: labels.email, control: controls.email, hint: t('form.email_mobile_hint'), required: true }),
      field({ id: 'me-mobile', label: labels.mobile, control: controls.mobile }),
      field({ id: 'me-language', label: labels.language, control: controls.language, hint: t('me.language.hint') }),
      field({ id: 'me-time-zone', label: labels.time_zone, control: controls.time_zone, hint: t('me.time_zone.hint') }),
      error,
      h('div', { class: 'actions' }, submit),
    ),
  );
}

function homeForm(prefs) {
  const homes = prefs.available_homes || ['stats'];
  const choice = select(
    'home',
    homes.map((home) => ({ value: home, label: homeLabel(home) })),
    prefs.home || 'stats',
  );
  const error = errorBox('me-home-error');
  const done = statusBox('me-home-status');
  const submit = h(
    'button',
    { type: 'submit', class: 'button', id: 'me-home-save' },
    t('me.home.save'),
  );

  async function save(e) {
    e.preventDefault();
    say(error, '');
    say(done, '');
    submit.disabled = true;
    try {
      const answer = await api.patch('/bo/api/me/preferences', { home: choice.value });
      state.prefs = { ...state.prefs, ...(answer && typeof answer === 'object' ? answer : {}), home: choice.value };
      say(done, t('me.home.saved', { page: homeLabel(choice.value) }));
    } catch (err) {
      showError(error, err, { home: choice }, { home: t('me.home.label') });
    } finally {
      submit.disabled = false;
    }
  }

  return h(
    'section',
    { class: 'card me-home', 'aria-labelledby': 'me-home-title' },
    h('h2', { id: 'me-home-title' }, t('me.home')),
    h(
      'form',
      { class: 'form', id: 'me-home-form', novalidate: true, onsubmit: save },
      field({ id: 'me-home', label: t('me.home.label'), control: choice, hint: t('me.home.hint') }),
      error,
      done,
      h('div', { class: 'actions' }, submit),
    ),
  );
}

function security() {
  return h(
    'section',
    { class: 'card me-security', 'aria-labelledby': 'me-security-title' },
    h('h2', { id: 'me-security-title' }, t('me.security')),
    h('p', { class: 'muted small' }, t('me.password_hint')),
    h('p', {}, h('a', { href: '#/password', class: 'button', id: 'me-password' }, t('me.change_password'))),
  );
}
