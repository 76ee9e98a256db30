// app.js - the shell: who is signed in, what each navigation shows, and the layout (header,
// menu, main area).
//
// Every navigation to a page that needs a session asks GET /bo/api/session first (answered
// from the server's memory): a session that ended sends the user back to sign-in, and a
// sign-in step still to do (second_factor, change_password, accept_terms, set_up_second_factor;
// SPEC §3) is shown
// before anything else. A 401 from any later call does the same (api.onUnauthorized).
//
// What the user may do comes from the same answer's "allowed": the "METHOD PATH" of every
// route the server's table (src/http/routes.c) lets their profile call. Each page names the
// API route it needs (main.js, `needs`), the menu and the pages' buttons ask may(); no profile
// name decides anything here.

import { api, ApiError, csrf, errorMessage, onCsrfChange, onUnauthorized, setCsrf } from './api.js';
import { h, replace } from './dom.js';
import { environmentBanner, setEnvironment } from './environment.js';
import { setTimeZone } from './format.js';
import { initialLanguage, setLanguage, t } from './i18n.js';
import { noticesBanner } from './notices.js';
import { forgetResume, keepResume, storedResume } from './resume.js';
import { go, page, parse } from './router.js';
import { getScope, setScope } from './scope.js';
import { treeNav } from './tree.js';

/**
 * The menu, in order: an entry shows when the user may call the route its page needs. Grouped
 * as Vision's (manual §2.2, §4, §9, §11): Recherches, Paramétrage, Gestion (nav.group.*); Home
 * and manual entry come first, Personal information last, under no heading. A group with no
 * entry the user may open is not shown. `menu`: the entry's words under its heading, when the
 * page's title (`label`) repeats the heading ("Paramètres › Clé HMAC" under "Paramétrage").
 */
export const NAV = [
  { route: 'home', label: 'nav.home' },
  { route: 'virtual-terminal', label: 'nav.virtual-terminal' },
  { route: 'transactions', label: 'nav.transactions', group: 'searches' },
  { route: 'batches', label: 'nav.batches', group: 'searches' },
  { route: 'reconciliation', label: 'nav.reconciliation', group: 'searches' },
  { route: 'installment-plans', label: 'nav.installment-plans', group: 'searches' },
  { route: 'subscriptions', label: 'nav.subscriptions', group: 'searches' },
  { route: 'order-files', label: 'nav.order-files', group: 'searches' },
  { route: 'api-errors', label: 'nav.api-errors', group: 'searches' },
  { route: 'push-reports', label: 'nav.push-reports', group: 'searches' },
  { route: 'contracts', label: 'nav.contracts', group: 'settings' },
  { route: 'settings', label: 'nav.settings', menu: 'nav.short.settings', group: 'settings' },
  { route: 'options', label: 'nav.options', menu: 'nav.short.options', group: 'settings' },
  { route: 'page-theme', label: 'nav.page-theme', menu: 'nav.short.page-theme', group: 'settings' },
  { route: 'blocklist', label: 'nav.blocklist', menu: 'nav.short.blocklist', group: 'settings' },
  { route: 'hmac-keys', label: 'nav.hmac-keys', menu: 'nav.short.hmac-keys', group: 'settings' },
  { route: 'users', label: 'nav.users', group: 'management' },
  { route: 'actions', label: 'nav.actions', group: 'management' },
  { route: 'mails', label: 'nav.mails', group: 'management' },
  { route: 'account', label: 'nav.account', group: 'management' },
  { route: 'me', label: 'nav.me' },
];

/** The routes that take node=ID: the tree navigation is shown to users who may call one. */
const SCOPED = [
  'GET /bo/api/stats',
  'GET /bo/api/transactions',
  'GET /bo/api/batches',
  'GET /bo/api/installment-plans',
  'GET /bo/api/subscriptions',
  'GET /bo/api/contracts',
  'GET /bo/api/users',
  'GET /bo/api/hmac-keys',
  'GET /bo/api/mails',
  'GET /bo/api/blocklist',
  'GET /bo/api/api-errors',
  'GET /bo/api/order-files',
  'GET /bo/api/reconciliation',
];

/** The landing pages of GET /bo/api/me/preferences ("home") → routes. */
const HOMES = {
  stats: 'home',
  transactions: 'transactions',
  batches: 'batches',
  contracts: 'contracts',
  actions: 'actions',
  hmac_keys: 'hmac-keys',
  virtual_terminal: 'virtual-terminal',
  me: 'me',
  users: 'users',
};

/** The sign-in steps (the answer's "next") → routes. */
const STEPS = {
  second_factor: 'second-factor',
  change_password: 'password',
  accept_terms: 'terms',
  set_up_second_factor: 'second-factor-setup',
};

// The second factor's method ("totp" or "email") is said by the sign-in answer; the browser
// keeps it for the code step, which a reload or another tab may show again.
const SECOND_FACTOR_KEY = 'guichet.second_factor';

function keepSecondFactor(method) {
  try {
    if (method) localStorage.setItem(SECOND_FACTOR_KEY, method);
    else localStorage.removeItem(SECOND_FACTOR_KEY);
  } catch {
    // storage refused: the step page then names both methods
  }
}

/** The method of the second factor pending in this browser: "totp", "email" or null. */
export function secondFactor() {
  try {
    return localStorage.getItem(SECOND_FACTOR_KEY);
  } catch {
    return null;
  }
}

export const state = {
  user: null, // {login, name, email, profile} of the session
  next: null, // the sign-in step still to do, or null
  allowed: null, // Set of the "METHOD PATH" the session may call (GET /bo/api/session)
  me: null, // GET /bo/api/me
  prefs: null, // GET /bo/api/me/preferences
};

let notice = null; // what the sign-in page says first (why the user is there)
let seq = 0; // navigations: a slow one finishing late is dropped

/** The message the sign-in page shows once, then forgets: an i18n key, or {text}. */
export function takeNotice() {
  const n = notice;
  notice = null;
  return n;
}

function forget() {
  setEnvironment(null);
  setCsrf(null);
  keepSecondFactor(null);
  state.user = null;
  state.next = null;
  state.allowed = null;
  state.me = null;
  state.prefs = null;
  if (getScope()) {
    // The pages listening to the scope are left first: none asks the API without a session.
    root().replaceChildren();
    setScope(null);
  }
}

/** Back to the sign-in page, saying why (an i18n key, or null). */
export function toSignIn(why) {
  forget();
  notice = why;
  go('signin', { replace: true });
}

/** The route of the user's landing page. */
export function landing() {
  const home = state.prefs && HOMES[state.prefs.home];
  const def = home && page(home);
  return def && allowed(def) ? home : 'home';
}

/**
 * Whether the signed-in user may call route, "METHOD PATH" exactly as `guichetd routes`
 * prints it (e.g. "POST /bo/api/transactions/{id}/capture"). The server refuses the others
 * anyway (403); this only keeps the UI from offering them.
 */
export function may(route) {
  return Boolean(state.allowed && state.allowed.has(route));
}

function allowed(def) {
  return !def.needs || may(def.needs);
}

/** Keeps what a GET /bo/api/session answer says: the user, the step, the allowed routes. */
function keepSession(session) {
  setEnvironment(session.environment);
  if (session.second_factor) keepSecondFactor(session.second_factor);
  state.user = session.user;
  state.next = session.next;
  state.allowed = new Set(session.allowed || []);
}

/**
 * Loads the user's information, preferences and allowed routes: language, time zone, landing
 * page, menu. session: a GET /bo/api/session answer just received, else it is asked too.
 */
async function loadProfile(session = null) {
  const [who, me, prefs] = await Promise.all([
    session || api.get('/bo/api/session'),
    api.get('/bo/api/me'),
    api.get('/bo/api/me/preferences'),
  ]);
  keepSession(who);
  state.me = me;
  state.prefs = prefs;
  setLanguage(me.language);
  setTimeZone(me.time_zone);
}

/**
 * After a sign-in, a password change or the terms: the next step, or the user's landing page.
 * session: the GET /bo/api/session answer that said next, if that is where it came from.
 */
export async function proceed(next, session = null) {
  state.next = next;
  if (next) {
    go(STEPS[next] || 'signin', { replace: true });
    if (!STEPS[next]) toSignIn('signin.notice.unknown_step');
    return;
  }
  await loadProfile(session);
  go(landing(), { replace: true });
}

/**
 * A sign-in answer, or the code step's (the same shape): keeps its CSRF token for this tab and
 * the second factor's method, then goes on.
 */
export async function signedIn(answer) {
  if (answer.csrf) setCsrf(answer.csrf);
  keepSecondFactor(answer.next === 'second_factor' ? answer.second_factor : null);
  if (answer.user) state.user = answer.user;
  state.allowed = null;
  state.me = null;
  state.prefs = null;
  await proceed(answer.next);
}

/** Sign-out: the session ends on the server, then the sign-in page. */
export async function signOut() {
  try {
    await api.del('/bo/api/session', { quiet401: true });
  } catch (e) {
    // already ended, or no token in this tab: the sign-in page either way
  }
  toSignIn('signin.notice.signed_out');
}

/**
 * Disconnect (SPEC §3): the session is kept on the server for this device, which may resume it
 * until the answer's resumable_until; the key is kept in this browser (resume.js), and the
 * page says until when.
 */
export async function disconnect() {
  let answer;
  try {
    answer = await api.post('/bo/api/session/disconnect', {});
  } catch (err) {
    // A 401: on its way to the sign-in page; anything else said where the page was.
    const main = document.getElementById('main');
    if (main && !(err instanceof ApiError && err.status === 401)) replace(main, errorPage(err));
    return;
  }
  const user = state.user || {};
  keepResume({
    key: answer.resume_key,
    until: answer.resumable_until,
    login: user.login || '',
    name: user.name || user.login || '',
    timeZone: (state.me && state.me.time_zone) || null,
  });
  forget();
  go('disconnected', { replace: true });
}

/**
 * Resumes the session this browser disconnected: its page or the next step, as after a
 * sign-in. On a refusal the key is forgotten and the sign-in page says the server's reason.
 */
export async function resumeSession() {
  const kept = storedResume();
  if (!kept) {
    toSignIn('resume.notice.gone');
    return;
  }
  let answer;
  try {
    answer = await api.post('/bo/api/session/resume', { resume_key: kept.key }, { quiet401: true });
  } catch (err) {
    // Wrong key, ended, taken over: nothing left to resume here (a network failure keeps it).
    if (err instanceof ApiError && err.status !== 0) forgetResume();
    toSignIn({ text: errorMessage(err) });
    return;
  }
  forgetResume();
  setCsrf(answer.csrf);
  keepSession(answer);
  state.me = null;
  state.prefs = null;
  await proceed(answer.next, answer);
}

// The tabs of one browser share the session: when another tab signs out (or its session ended),
// this one goes to the sign-in page at once; when another signs in, this one leaves the sign-in
// page, or shows its page again for the session now held.
onCsrfChange((token) => {
  if (!token) {
    if (state.user) toSignIn('signin.notice.other_tab');
    return;
  }
  state.allowed = null;
  state.me = null;
  state.prefs = null;
  if (parse().name === 'signin') go('', { replace: true });
  else show();
});

onUnauthorized((err) =>
  toSignIn(
    err && err.code === 'locked'
      ? 'signin.notice.locked'
      : err && err.code === 'session_disconnected'
        ? 'signin.notice.disconnected'
        : 'signin.notice.ended',
  ),
);

const root = () => document.getElementById('app');

function setTitle(key) {
  document.title = `${t(key)} · ${t('app.name')}`;
}

function brand() {
  return h(
    'a',
    { class: 'brand', href: state.user && !state.next ? `#/${landing()}` : '#/signin' },
    h('img', { src: '/assets/favicon.svg', alt: '', width: 28, height: 28 }),
    h('span', { class: 'brand-name' }, t('app.name')),
    h('span', { class: 'brand-tagline' }, t('app.tagline')),
  );
}

/** The top bar's links (Vision manual §2.2.1, §12): the Store and "Contact us", beside the login. */
function topLinks() {
  const links = [
    ['store', 'nav.store', 'GET /bo/api/shops/{id}/store'],
    ['contact', 'nav.contact', 'GET /bo/api/contact'],
  ].filter(([, , route]) => may(route));
  return links.map(([route, label]) =>
    h('a', { href: `#/${route}`, class: 'topbar-link', id: `top-${route}`, 'aria-current': parse().name === route ? 'page' : false }, t(label)),
  );
}

function header() {
  const user = state.user;
  return h(
    'header',
    { class: 'topbar' },
    brand(),
    user &&
      h(
        'div',
        { class: 'topbar-user' },
        !state.next ? topLinks() : null,
        h(
          'span',
          { class: 'user-name', id: 'user-name', title: user.email },
          user.name || user.login,
        ),
        h('span', { class: 'user-profile' }, t(`profile.${user.profile}`)),
        // Disconnect beside sign-out (SPEC §3): the session kept for this device.
        !state.next
          ? h(
              'button',
              {
                type: 'button',
                class: 'button button--quiet',
                id: 'disconnect',
                title: t('header.disconnect.title'),
                onclick: disconnect,
              },
              t('header.disconnect'),
            )
          : null,
        h(
          'button',
          { type: 'button', class: 'button button--quiet', id: 'signout', onclick: signOut },
          t('header.signout'),
        ),
      ),
  );
}

/** A user who lands on the virtual terminal and may neither see statistics nor search (the
 * entry operator): the terminal is their Home, and Home, with nothing to show, leaves the menu. */
function terminalOnly() {
  return landing() === 'virtual-terminal' && !may('GET /bo/api/stats') && !may('GET /bo/api/transactions');
}

function nav(current) {
  const shown = (item) => page(item.route) && allowed(page(item.route)) && !(item.route === 'home' && terminalOnly());
  const link = (item) =>
    h(
      'li',
      {},
      h(
        'a',
        {
          href: `#/${item.route}`,
          class: 'nav-link',
          'aria-current': item.route === current ? 'page' : false,
        },
        t(item.menu || item.label),
      ),
    );
  // Runs of entries of one group, in NAV's order: a heading over each group's run.
  const runs = [];
  for (const item of NAV.filter(shown)) {
    const last = runs[runs.length - 1];
    if (last && last.group === (item.group || null)) last.items.push(item);
    else runs.push({ group: item.group || null, items: [item] });
  }
  const blocks = runs.map((run) =>
    run.group
      ? h(
          'div',
          { class: 'nav-group', role: 'group', 'aria-labelledby': `nav-group-${run.group}`, dataset: { group: run.group } },
          h('p', { class: 'nav-group-title', id: `nav-group-${run.group}` }, t(`nav.group.${run.group}`)),
          h('ul', {}, run.items.map(link)),
        )
      : h('ul', {}, run.items.map(link)),
  );
  return h('nav', { class: 'sidenav', 'aria-label': t('nav.label') }, blocks);
}

function layout(def, content) {
  const main = h('main', { id: 'main', class: def.bare ? 'page page--bare' : 'page', tabindex: -1 });
  // Home and the user's landing page warn of expired HMAC keys (SPEC §12) and, to those who
  // may see them, of e-mails that could not be delivered (notices.js).
  const warn =
    !def.bare && !def.notices && (def.name === 'home' || def.name === landing()) && may('GET /bo/api/notices');
  replace(main, warn ? noticesBanner({ mails: may('GET /bo/api/mails') }) : null, content);
  const skip = document.getElementById('skip-link');
  if (skip) skip.textContent = t('app.skip');
  if (def.bare) return [header(), environmentBanner(), main];
  const side = h('div', { class: 'sidebar', id: 'sidebar' }, nav(def.name), treeNav(SCOPED.some(may)));
  const top = header();
  top.prepend(menuButton(side));
  return [top, environmentBanner(), h('div', { class: 'shell' }, side, main)];
}

/* On a narrow screen (app.css) the menu and the tree fold behind this button; each page
   chosen builds the layout again, folded. */
function menuButton(side) {
  const b = h('button', { type: 'button', class: 'menu-toggle', id: 'menu-toggle', 'aria-expanded': 'false', 'aria-controls': 'sidebar' }, t('nav.menu'));
  b.addEventListener('click', () => {
    const open = b.getAttribute('aria-expanded') !== 'true';
    b.setAttribute('aria-expanded', String(open));
    side.classList.toggle('sidebar--open', open);
  });
  return b;
}

function errorPage(err) {
  return h(
    'section',
    { class: 'card' },
    h('h1', { tabindex: -1 }, t('error.title')),
    h('p', { role: 'alert', class: 'error' }, errorMessage(err)),
  );
}

/** Shows the page of the current hash (the router's listener). */
export async function show() {
  const mine = ++seq;
  // Until this hash's page is rendered, what shows is the last one's: said to assistive
  // technology (and waited on by the browser tests before they type into the new page).
  root().setAttribute('aria-busy', 'true');
  const { name, args, query } = parse();
  let def = page(name);

  if (!def) {
    // "#/" or unknown: the landing page when signed in, else sign-in.
    if (!csrf()) {
      go('signin', { replace: true });
      return;
    }
    try {
      const session = await api.get('/bo/api/session', { quiet401: true });
      if (mine !== seq) return;
      keepSession(session);
      await proceed(session.next, session);
    } catch (err) {
      if (mine === seq) toSignIn(null);
    }
    return;
  }
  if (def.auth !== 'none') {
    let session;
    try {
      session = await api.get('/bo/api/session', { quiet401: true });
    } catch (err) {
      if (mine !== seq) return;
      if (err instanceof ApiError && err.status === 401) {
        toSignIn(state.user ? 'signin.notice.ended' : null);
      } else {
        render(def, errorPage(err));
      }
      return;
    }
    if (mine !== seq) return;
    if (!csrf()) {
      // A session whose token this browser lost (its storage cleared): sign in again.
      toSignIn('signin.notice.csrf');
      return;
    }
    keepSession(session);
    if (session.next) {
      const step = STEPS[session.next];
      if (!step) {
        toSignIn('signin.notice.unknown_step');
        return;
      }
      if (step !== name) {
        go(step, { replace: true });
        return;
      }
    } else {
      if (def.stepOnly) {
        go(landing(), { replace: true });
        return;
      }
      if (!state.me || !state.prefs) {
        try {
          await loadProfile(session);
        } catch (err) {
          if (mine === seq) render(def, errorPage(err));
          return;
        }
        if (mine !== seq) return;
      }
      if (!allowed(def)) {
        go(landing(), { replace: true });
        return;
      }
    }
  }
  let content;
  try {
    content = await def.render({ args, query, forced: Boolean(state.next) });
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return; // already on its way out
    content = errorPage(err);
  }
  if (mine !== seq) return;
  render(def, content);
}

function render(def, content) {
  const bare = def.bare || Boolean(state.next) || !state.user;
  replace(root(), layout({ ...def, bare }, content));
  root().removeAttribute('aria-busy');
  root().dataset.shown = window.location.hash;
  setTitle(def.title);
  // Focus the page's heading, so keyboard and screen-reader users start at the content.
  const target = root().querySelector('[data-autofocus]') || root().querySelector('h1');
  if (target) {
    if (!target.hasAttribute('tabindex') && !/^(INPUT|BUTTON|SELECT|TEXTAREA|A)$/.test(target.tagName)) {
      target.setAttribute('tabindex', '-1');
    }
    target.focus();
  }
}

/** Starts the UI: the language of this browser until the user's is known. */
export function boot() {
  initialLanguage();
  const skip = document.getElementById('skip-link');
  if (skip) {
    skip.addEventListener('click', (e) => {
      e.preventDefault(); // "#main" is not a route
      const main = document.getElementById('main');
      if (main) main.focus();
    });
  }
}
