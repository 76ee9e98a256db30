// signin.js - the sign-in page (Vision manual §1; SPEC §3): login and password, or the Ingenico
// form (account id = PSPID, user id and password; Ingenico guide 3.2.1), wrong password, locked
// account, and a session held by another device, which the user may take over. The two forms
// lead to the same next steps; the one last used is kept in this browser.

import { api, ApiError, errorMessage } from '../api.js';
import { environmentChoice } from '../environment.js';
import { resumeSession, signedIn, takeNotice } from '../app.js';
import { h } from '../dom.js';
import { formatDateTime } from '../format.js';
import { storedResume } from '../resume.js';
import { language, LANGUAGES, setLanguage, t } from '../i18n.js';
import { go } from '../router.js';

const DEVICE_KEY = 'guichet.device';
const MODE_KEY = 'guichet.signin.mode'; // 'login' or 'account'

/** The form this browser used last: 'account' (PSPID + user id) or 'login'. */
function savedMode() {
  try {
    return localStorage.getItem(MODE_KEY) === 'account' ? 'account' : 'login';
  } catch {
    return 'login';
  }
}

function saveMode(mode) {
  try {
    localStorage.setItem(MODE_KEY, mode);
  } catch {
    // storage refused (private mode): the form is only kept for this page
  }
}

/**
 * How this browser names itself to the server ("device"), shown to the user's other devices
 * when this one holds the session: the browser, the system and a short id kept in this
 * browser, so two browsers of one kind can be told apart.
 */
export function deviceName() {
  const ua = navigator.userAgent;
  const browser =
    (/Edg\//.test(ua) && 'Edge') ||
    (/Firefox\//.test(ua) && 'Firefox') ||
    (/Chrom(e|ium)\//.test(ua) && 'Chromium') ||
    (/Safari\//.test(ua) && 'Safari') ||
    'Navigateur';
  const system =
    (/Windows/.test(ua) && 'Windows') ||
    (/Mac OS X/.test(ua) && 'macOS') ||
    (/Android/.test(ua) && 'Android') ||
    (/iPhone|iPad/.test(ua) && 'iOS') ||
    (/Linux/.test(ua) && 'Linux') ||
    '';
  let id = null;
  try {
    id = localStorage.getItem(DEVICE_KEY);
    if (!id) {
      const bytes = crypto.getRandomValues(new Uint8Array(3));
      id = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
      localStorage.setItem(DEVICE_KEY, id);
    }
  } catch {
    id = null;
  }
  return [browser, system, id && `#${id}`].filter(Boolean).join(' · ').slice(0, 80);
}

/**
 * The session this browser disconnected, still resumable (resume.js): "Resume my session",
 * above the form, which stays for signing in otherwise.
 */
export function resumeOffer(kept) {
  const button = h(
    'button',
    { type: 'button', class: 'button button--primary', id: 'resume-session', 'data-autofocus': '' },
    t('resume.button'),
  );
  button.addEventListener('click', async () => {
    button.disabled = true;
    button.textContent = t('resume.busy');
    await resumeSession();
  });
  return h(
    'section',
    { class: 'resume-offer', id: 'resume-offer', 'aria-labelledby': 'resume-offer-text' },
    h(
      'p',
      { id: 'resume-offer-text' },
      t('resume.until', {
        name: kept.name || kept.login || '?',
        time: formatDateTime(kept.until, undefined, kept.timeZone || undefined),
      }),
    ),
    h('div', { class: 'actions' }, button),
  );
}

export function render() {
  const loginId = 'signin-login';
  const passwordId = 'signin-password';
  const langId = 'signin-language';
  const notice = takeNotice();
  const kept = storedResume();
  let mode = savedMode();

  const text = (id, name, autocomplete) =>
    h('input', {
      id,
      name,
      type: 'text',
      autocomplete,
      autocapitalize: 'none',
      spellcheck: 'false',
      required: true,
    });
  const login = text(loginId, 'login', 'username');
  const pspid = text('signin-pspid', 'pspid', 'organization');
  const userId = text('signin-user-id', 'user_id', 'username');
  const password = h('input', {
    id: passwordId,
    name: 'password',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
  });

  const error = h('p', { class: 'error', role: 'alert', id: 'signin-error', hidden: true });
  const submit = h('button', { type: 'submit', class: 'button button--primary' }, t('signin.submit'));

  const elsewhereText = h('p', { id: 'elsewhere-text' });
  const takeover = h(
    'button',
    { type: 'button', class: 'button button--primary', id: 'elsewhere-takeover' },
    t('signin.elsewhere.takeover'),
  );
  const cancel = h(
    'button',
    { type: 'button', class: 'button', id: 'elsewhere-cancel' },
    t('signin.elsewhere.cancel'),
  );
  const elsewhere = h(
    'section',
    {
      class: 'elsewhere',
      id: 'elsewhere',
      role: 'alertdialog',
      'aria-labelledby': 'elsewhere-title',
      'aria-describedby': 'elsewhere-text',
      hidden: true,
    },
    h('h2', { id: 'elsewhere-title' }, t('signin.elsewhere.title')),
    elsewhereText,
    h('div', { class: 'actions' }, takeover, cancel),
  );

  const envChoice = environmentChoice(); // SPEC §16.1: production unless test is chosen
  const loginField = h('div', { class: 'field' }, h('label', { for: loginId }, t('signin.login')), login);
  const accountFields = [
    h('div', { class: 'field' }, h('label', { for: 'signin-pspid' }, t('signin.pspid')), pspid),
    h('div', { class: 'field' }, h('label', { for: 'signin-user-id' }, t('signin.user_id')), userId),
  ];
  const intro = h('p', { class: 'muted', id: 'signin-intro' });
  const switcher = h('button', {
    type: 'button',
    class: 'button button--quiet-link',
    id: 'signin-mode',
    'aria-controls': 'signin-form',
  });
  const switchLine = h('p', { class: 'signin-switch' }, switcher);
  const form = h(
    'form',
    { class: 'form', id: 'signin-form', novalidate: true, 'aria-describedby': 'signin-intro' },
    loginField,
    accountFields,
    h('div', { class: 'field' }, h('label', { for: passwordId }, t('signin.password')), password),
    envChoice.node,
    error,
    h('div', { class: 'actions' }, submit),
  );

  /** The identifying fields of the current form, in order. */
  const ids = () => (mode === 'account' ? [pspid, userId] : [login]);

  /** Shows the form of mode: login alone, or account id + user id. */
  function setMode(m) {
    mode = m;
    loginField.hidden = mode === 'account';
    for (const f of accountFields) f.hidden = mode !== 'account';
    for (const el of [login, pspid, userId]) el.removeAttribute('data-autofocus');
    ids()[0].setAttribute('data-autofocus', '');
    intro.textContent = t(mode === 'account' ? 'signin.intro.account' : 'signin.intro');
    switcher.textContent = t(mode === 'account' ? 'signin.mode.login' : 'signin.mode.account');
  }
  setMode(mode);
  switcher.addEventListener('click', () => {
    setMode(mode === 'account' ? 'login' : 'account');
    saveMode(mode);
    showError('');
    ids()[0].focus();
  });

  function showError(message) {
    error.textContent = message;
    error.hidden = !message;
  }

  function busy(on) {
    for (const el of [login, pspid, userId, password, submit, takeover, cancel, switcher]) el.disabled = on;
    submit.textContent = on ? t('signin.busy') : t('signin.submit');
  }

  // README "Sign-in": the server answers a wrong password as it answers an unknown login, so
  // that no login can be found by its answers; this page counts the refusals it got in a row
  // for the login typed, and warns before the third, which locks an account.
  const failures = new Map();

  function failuresNote(err, body) {
    const who = (body.login || `${body.pspid}/${body.user_id}`).toLowerCase();
    if (!(err instanceof ApiError) || err.code !== 'bad_credentials') {
      failures.delete(who);
      return '';
    }
    const n = (failures.get(who) || 0) + 1;
    failures.set(who, n);
    return ` ${t(n >= 2 ? 'signin.last_attempt' : 'signin.lockout_rule')}`;
  }

  async function signIn(takeoverFlag) {
    showError('');
    const body =
      mode === 'account'
        ? { pspid: pspid.value.trim(), user_id: userId.value.trim() }
        : { login: login.value.trim() };
    Object.assign(body, { password: password.value, device: deviceName() });
    if (envChoice.value() === 'test') body.environment = 'test'; // production is the default
    if (takeoverFlag) body.takeover = true;
    busy(true);
    try {
      const answer = await api.post('/bo/api/session', body, { quiet401: true });
      password.value = '';
      elsewhere.hidden = true;
      envChoice.remember();
      await signedIn(answer);
    } catch (err) {
      busy(false);
      if (err instanceof ApiError && err.code === 'session_elsewhere') {
        elsewhereText.textContent = t(
          err.body.state === 'disconnected' ? 'signin.elsewhere.text.disconnected' : 'signin.elsewhere.text',
          { device: err.body.device || '?' },
        );
        elsewhere.hidden = false;
        form.hidden = true;
        switchLine.hidden = true;
        takeover.focus();
        return;
      }
      elsewhere.hidden = true;
      form.hidden = false;
      switchLine.hidden = false;
      showError(errorMessage(err) + failuresNote(err, body));
      if (err instanceof ApiError && err.code === 'bad_credentials') {
        password.value = '';
        password.focus();
      } else {
        ids()[0].focus();
      }
    }
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const empty = ids().find((el) => !el.value.trim());
    if (empty) {
      empty.focus();
      return;
    }
    if (!password.value) {
      password.focus();
      return;
    }
    signIn(false);
  });
  takeover.addEventListener('click', () => signIn(true));
  cancel.addEventListener('click', () => {
    elsewhere.hidden = true;
    form.hidden = false;
    switchLine.hidden = false;
    password.value = '';
    password.focus();
  });

  const languageSelect = h(
    'select',
    { id: langId, class: 'language-select' },
    LANGUAGES.map((l) => h('option', { value: l, selected: l === language() }, t(`language.${l}`))),
  );
  languageSelect.addEventListener('change', () => {
    setLanguage(languageSelect.value);
    go('signin', { replace: true }); // shown again in the new language
  });

  return h(
    'section',
    { class: 'card card--narrow signin', 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title' }, t('signin.title')),
    notice &&
      h(
        'p',
        { class: 'notice', role: 'status', id: 'signin-notice' },
        typeof notice === 'string' ? t(notice) : notice.text,
      ),
    kept && resumeOffer(kept),
    intro,
    form,
    switchLine,
    elsewhere,
    h('p', { class: 'muted small' }, t('signin.security')),
    h(
      'div',
      { class: 'field field--inline' },
      h('label', { for: langId }, `${t('me.language')} / Language`),
      languageSelect,
    ),
  );
}
