// users.js - user management for administrators (Vision manual §11.1; SPEC §3; README "users"):
//
//   #/users            the users of the chosen node of the tree (scope.js) and below
//   #/users/new        create one (a temporary password goes to them by e-mail)
//   #/users/ID         details: edit, send a new password (which also unlocks), unlock (when
//                      locked), turn off their two-step sign-in (when on), deactivate or
//                      reactivate (README "Users"), their actions (those they did and those
//                      done to them)
//   #/users/ID/edit    edit
//
// The node choices come from GET /bo/api/tree; a server without it offers the administrator's
// own node only, and says so. Changes that cannot be undone ask first (confirm-dialog.js).

import { api, errorMessage, request } from '../api.js';
import { may, state } from '../app.js';
import { confirmDialog } from '../confirm-dialog.js';
import { userEreportCard } from '../ereport-settings.js';
import { h, replace } from '../dom.js';
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
import { formatCount } from '../format.js';
import { LANGUAGES, t } from '../i18n.js';
import { go } from '../router.js';
import { getScope, onScopeChange } from '../scope.js';

const PROFILES = ['consultation', 'action', 'admin', 'entry', 'hmac'];
let flash = null; // shown once by the next page drawn (after a creation, an edit)

export function render({ args }) {
  const [id, sub] = args;
  if (!id) return list();
  if (id === 'new') return editPage(null);
  if (!/^\d+$/.test(id)) return list();
  return sub === 'edit' ? editPage(Number(id)) : details(Number(id));
}

function takeFlash() {
  const box = statusBox('users-status');
  if (flash) say(box, flash);
  flash = null;
  return box;
}

function levelText(u) {
  return u.level ? t(`level.${u.level}`) : '';
}

function stateBadge(u) {
  if (u.active === false) return h('span', { class: 'badge badge--muted' }, t('users.state.inactive'));
  if (u.locked) return h('span', { class: 'badge badge--danger' }, t('users.state.locked'));
  if (u.must_change_password) return h('span', { class: 'badge badge--muted' }, t('users.state.must_change'));
  return h('span', { class: 'badge badge--ok' }, t('users.state.active'));
}

/** The user's second factor (null, "totp", "email"); a server without it shows nothing. */
function secondFactorText(u) {
  if (!('second_factor' in u)) return '';
  return t(`users.sf.${u.second_factor === 'totp' || u.second_factor === 'email' ? u.second_factor : 'none'}`);
}

// --- the list -------------------------------------------------------------------------------

async function list() {
  const status = takeFlash();
  const body = h('div', { id: 'users-body' });
  const intro = h('p', { class: 'muted', id: 'users-intro' });
  const page = h(
    'section',
    { class: 'users', 'aria-labelledby': 'users-title' },
    h(
      'div',
      { class: 'page-head' },
      h('h1', { id: 'users-title' }, t('users.title')),
      h('a', { href: '#/users/new', class: 'button button--primary', id: 'users-new' }, t('users.new')),
    ),
    intro,
    status,
    body,
  );

  async function load() {
    const scope = getScope();
    intro.textContent = scope ? t('users.intro', { node: scope.name }) : t('users.intro.own');
    const query = scope ? `?node=${encodeURIComponent(scope.id)}` : '';
    const answer = await api.get(`/bo/api/users${query}`);
    replace(body, table(answer.items || []));
  }

  await load();
  const stop = onScopeChange(() => {
    if (!page.isConnected) {
      stop();
      return;
    }
    load().catch((err) => replace(body, h('p', { class: 'error', role: 'alert' }, errorMessage(err))));
  });
  return page;
}

function table(users) {
  const filter = h('input', { type: 'search', id: 'users-filter', autocomplete: 'off', 'aria-describedby': 'users-filter-hint' });
  // Active, deactivated or all accounts (the list has them all: GET /bo/api/users?active=
  // narrows it for scripts).
  const show = select(
    'show',
    ['all', 'active', 'inactive'].map((v) => ({ value: v, label: t(`users.show.${v}`) })),
    'all',
    { id: 'users-show' },
  );
  const count = h('p', { class: 'muted small', id: 'users-count', 'aria-live': 'polite' });
  const empty = h('p', { class: 'muted', hidden: true, id: 'users-none' }, t('users.none'));
  const me = state.me && state.me.id;
  const rows = users.map((u) =>
    h(
      'tr',
      {
        dataset: {
          id: String(u.id),
          login: u.login,
          active: String(u.active !== false),
          search: [u.login, u.name, u.email, u.mobile].join(' ').toLowerCase(),
        },
      },
      h(
        'th',
        { scope: 'row' },
        h('a', { href: `#/users/${u.id}`, class: 'user-login', 'aria-label': t('users.details_of', { login: u.login }) }, u.login),
        u.id === me ? h('span', { class: 'muted small' }, ` ${t('users.self')}`) : null,
        h('span', { class: 'cell-sub' }, u.name),
      ),
      h('td', {}, t(`profile.${u.profile}`)),
      h('td', {}, h('span', { class: 'cell-level' }, levelText(u)), h('span', { class: 'cell-sub' }, u.node_name)),
      h('td', {}, u.email),
      h('td', { class: 'nowrap' }, u.mobile || ''),
      h('td', { class: 'num' }, formatCount(u.sign_ins_this_week)),
      h('td', { class: 'num' }, formatCount(u.sign_ins_total)),
      h(
        'td',
        {},
        stateBadge(u),
        u.second_factor &&
          h('span', { class: 'cell-sub cell-sf', dataset: { sf: u.second_factor } }, t('users.sf.in_list', { method: secondFactorText(u) })),
      ),
    ),
  );
  const tbody = h('tbody', {}, rows);

  function apply() {
    const q = filter.value.trim().toLowerCase();
    let shown = 0;
    for (const row of rows) {
      row.hidden =
        (Boolean(q) && !row.dataset.search.includes(q)) ||
        (show.value === 'active' && row.dataset.active !== 'true') ||
        (show.value === 'inactive' && row.dataset.active !== 'false');
      if (!row.hidden) shown += 1;
    }
    count.textContent = t('users.count', { n: formatCount(shown) });
    empty.hidden = shown > 0;
  }
  filter.addEventListener('input', apply);
  show.addEventListener('change', apply);
  apply();

  const th = (key, cls) => h('th', { scope: 'col', class: cls || false }, t(key));
  const th2 = (key, cls) => h('th', { scope: 'col', rowspan: 2, class: cls || false }, t(key));
  return h(
    'div',
    {},
    h(
      'div',
      { class: 'table-tools' },
      h(
        'div',
        { class: 'field field--inline' },
        h('label', { for: 'users-filter' }, t('users.filter')),
        filter,
        h('span', { class: 'muted small', id: 'users-filter-hint' }, t('users.filter.hint')),
      ),
      h('div', { class: 'field field--inline' }, h('label', { for: 'users-show' }, t('users.show')), show),
      count,
    ),
    h(
      'div',
      { class: 'table-wrap card card--flush' },
      h(
        'table',
        { class: 'table table--admin', id: 'users-table' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            th2('users.col.user'),
            th2('users.col.profile'),
            th2('users.col.level_node'),
            th2('users.col.email'),
            th2('users.col.mobile'),
            h('th', { scope: 'colgroup', colspan: 2, class: 'num group' }, t('users.col.sign_ins')),
            th2('users.col.state'),
          ),
          h('tr', {}, th('users.col.week_short', 'num'), th('users.col.total_short', 'num')),
        ),
        tbody,
      ),
    ),
    empty,
  );
}

// --- details ------------------------------------------------------------------------------------

async function details(id) {
  const u = await api.get(`/bo/api/users/${id}`);
  const status = takeFlash();
  const error = errorBox('user-error');
  const none = () => h('span', { class: 'muted' }, t('me.none'));
  const dl = h(
    'dl',
    { class: 'details', id: 'user-details' },
    [
      ['users.col.login', u.login],
      ['users.col.name', u.name],
      ['users.col.profile', t(`profile.${u.profile}`)],
      ['users.col.level', levelText(u)],
      ['users.col.node', u.node_name],
      ['users.col.email', u.email || none()],
      ['users.col.mobile', u.mobile || none()],
      ['users.language', t(`language.${u.language}`)],
      ['users.time_zone', u.time_zone],
      ['users.col.week', formatCount(u.sign_ins_this_week)],
      ['users.col.total', formatCount(u.sign_ins_total)],
      'second_factor' in u ? ['users.sf.label', secondFactorText(u)] : null,
      ['users.col.state', stateBadge(u)],
    ].filter(Boolean).map(([key, value]) => [h('dt', {}, t(key)), h('dd', {}, value)]),
  );

  const reset = h('button', { type: 'button', class: 'button', id: 'user-reset' }, t('users.reset'));
  reset.addEventListener('click', async () => {
    say(error, '');
    const ok = await confirmDialog({
      title: t('users.reset.title'),
      text: t('users.reset.text', { login: u.login, email: u.email }),
      confirm: t('users.reset.confirm'),
      danger: true,
    });
    if (!ok) return;
    reset.disabled = true;
    try {
      const answer = await request('POST', `/bo/api/users/${id}/password`);
      const done = t('users.reset.done', { email: (answer && answer.to) || u.email });
      if (u.locked) {
        // The new password unlocked the account: the details are drawn again without the lock.
        flash = `${done} ${t('users.reset.unlocked', { login: u.login })}`;
        go(`users/${id}`);
        return;
      }
      say(status, done);
      status.focus();
    } catch (err) {
      showError(error, err);
    } finally {
      reset.disabled = false;
    }
  });

  let unlock = null;
  if (u.locked) {
    unlock = h('button', { type: 'button', class: 'button', id: 'user-unlock' }, t('users.unlock'));
    unlock.addEventListener('click', async () => {
      say(error, '');
      const ok = await confirmDialog({
        title: t('users.unlock.title'),
        text: t('users.unlock.text', { login: u.login }),
        confirm: t('users.unlock.confirm'),
      });
      if (!ok) return;
      unlock.disabled = true;
      try {
        await request('POST', `/bo/api/users/${id}/unlock`);
        flash = t('users.unlock.done', { login: u.login });
        go(`users/${id}`);
      } catch (err) {
        unlock.disabled = false;
        showError(error, err);
      }
    });
  }
  let sfOff = null;
  if (u.second_factor && may('POST /bo/api/users/{id}/second-factor/disable')) {
    sfOff = h('button', { type: 'button', class: 'button', id: 'user-sf-disable' }, t('users.sf.disable'));
    sfOff.addEventListener('click', async () => {
      say(error, '');
      const ok = await confirmDialog({
        title: t('users.sf.disable.title'),
        text: t('users.sf.disable.text', { login: u.login }),
        confirm: t('users.sf.disable.confirm'),
        danger: true,
      });
      if (!ok) return;
      sfOff.disabled = true;
      try {
        await request('POST', `/bo/api/users/${id}/second-factor/disable`, {});
        flash = t('users.sf.disable.done', { login: u.login });
        go(`users/${id}`);
      } catch (err) {
        sfOff.disabled = false;
        showError(error, err);
      }
    });
  }
  // Deactivate (kept, signed out, no sign-in) or reactivate; not oneself (README "Users").
  const deactivating = u.active !== false;
  const verb = deactivating ? 'deactivate' : 'reactivate';
  let activeButton = null;
  if (!(state.me && u.id === state.me.id) && may(`POST /bo/api/users/{id}/${verb}`)) {
    activeButton = h('button', { type: 'button', class: 'button', id: `user-${verb}` }, t(`users.${verb}`));
    activeButton.addEventListener('click', async () => {
      say(error, '');
      const ok = await confirmDialog({
        title: t(`users.${verb}.title`),
        text: t(`users.${verb}.text`, { login: u.login }),
        confirm: t(`users.${verb}.confirm`),
        danger: deactivating,
      });
      if (!ok) return;
      activeButton.disabled = true;
      try {
        await request('POST', `/bo/api/users/${id}/${verb}`);
        flash = t(`users.${verb}.done`, { login: u.login });
        go(`users/${id}`);
      } catch (err) {
        activeButton.disabled = false;
        showError(error, err);
      }
    });
  }
  status.setAttribute('tabindex', '-1');
  const ereport = may('GET /bo/api/users/{id}/ereport') ? await userEreportCard(id) : null;

  return h(
    'section',
    { class: 'user-details', 'aria-labelledby': 'user-title' },
    h('p', { class: 'breadcrumb' }, h('a', { href: '#/users', id: 'user-back' }, t('users.back'))),
    h('h1', { id: 'user-title' }, t('users.detail.title', { login: u.login })),
    status,
    error,
    h(
      'div',
      { class: 'card' },
      dl,
      h(
        'div',
        { class: 'actions' },
        h('a', { href: `#/users/${id}/edit`, class: 'button button--primary', id: 'user-edit' }, t('users.edit')),
        reset,
        unlock,
        sfOff,
        activeButton,
        h('a', { href: `#/actions?user=${id}`, class: 'button button--quiet-link', id: 'user-actions' }, t('users.actions_link')),
      ),
    ),
    ereport,
  );
}

// --- create and edit ------------------------------------------------------------------------------

/** The nodes a user may be attached to: GET /bo/api/tree, in tree order; or the
 * administrator's own node when the server has no tree. → {nodes:[{id,label}], own: bool} */
async function nodeChoices() {
  let nodes = null;
  try {
    const answer = await api.get('/bo/api/tree');
    nodes = answer && Array.isArray(answer.nodes) ? answer.nodes : null;
  } catch (err) {
    nodes = null;
  }
  if (!nodes || !nodes.length) {
    const me = state.me || {};
    return {
      own: true,
      nodes: [{ id: me.node_id, label: me.level ? `${t(`level.${me.level}`)} · ${me.node_name}` : me.node_name }],
    };
  }
  const ids = new Set(nodes.map((n) => n.id));
  const children = new Map();
  for (const n of nodes) {
    const parent = ids.has(n.parent_id) ? n.parent_id : null;
    if (!children.has(parent)) children.set(parent, []);
    children.get(parent).push(n);
  }
  const out = [];
  const walk = (parent, depth) => {
    for (const n of children.get(parent) || []) {
      const where = n.site ? ` (${n.site}${n.rang ? `/${n.rang}` : ''})` : '';
      out.push({
        id: n.id,
        label: `${'\u00a0\u00a0\u00a0'.repeat(depth)}${n.level ? `${t(`level.${n.level}`)} · ` : ''}${n.name}${where}`,
      });
      walk(n.id, depth + 1);
    }
  };
  walk(null, 0);
  return { own: false, nodes: out };
}

async function editPage(id) {
  const creating = id === null;
  const [u, choices, prefs] = await Promise.all([
    creating ? Promise.resolve(null) : api.get(`/bo/api/users/${id}`),
    nodeChoices(),
    state.prefs ? Promise.resolve(state.prefs) : api.get('/bo/api/me/preferences'),
  ]);
  const self = !creating && state.me && u.id === state.me.id;
  const scope = getScope();
  const before = creating
    ? {
        language: state.me ? state.me.language : 'fr',
        time_zone: 'Europe/Paris',
        // The node chosen in the tree navigation, else the administrator's own.
        node_id: scope && choices.nodes.some((n) => n.id === scope.id) ? scope.id : choices.nodes[0].id,
      }
    : u;
  if (!creating && !choices.nodes.some((n) => n.id === u.node_id)) {
    choices.nodes.unshift({ id: u.node_id, label: u.level ? `${t(`level.${u.level}`)} · ${u.node_name}` : u.node_name });
  }

  const controls = {};
  if (creating) {
    controls.login = input('login', {
      required: true,
      autocomplete: 'off',
      autocapitalize: 'none',
      spellcheck: 'false',
      maxlength: 64,
    });
  }
  controls.name = input('name', { required: true, autocomplete: 'off', value: creating ? '' : u.name });
  controls.email = input('email', { type: 'email', required: true, autocomplete: 'off', value: creating ? '' : u.email });
  controls.mobile = input('mobile', { type: 'tel', autocomplete: 'off', value: creating ? '' : u.mobile || '' });
  controls.profile = select(
    'profile',
    [
      ...(creating ? [{ value: '', label: '—' }] : []),
      ...PROFILES.map((p) => ({ value: p, label: t(`profile.${p}`) })),
    ],
    creating ? '' : u.profile,
    { required: true, disabled: self },
  );
  controls.node_id = select(
    'node_id',
    choices.nodes.map((n) => ({ value: n.id, label: n.label })),
    before.node_id,
    { disabled: self },
  );
  controls.language = select(
    'language',
    LANGUAGES.map((l) => ({ value: l, label: t(`language.${l}`) })),
    before.language,
  );
  controls.time_zone = select('time_zone', timeZoneOptions(prefs.time_zones || [before.time_zone]), before.time_zone);
  const labels = {
    login: t('users.col.login'),
    name: t('users.col.name'),
    email: t('users.col.email'),
    mobile: t('users.col.mobile'),
    profile: t('users.col.profile'),
    node_id: t('users.node'),
    language: t('users.language'),
    time_zone: t('users.time_zone'),
  };
  const REQUIRED = creating ? ['login', 'name', 'email', 'profile'] : ['name', 'email', 'profile'];
  const error = errorBox('user-form-error');
  const submit = h(
    'button',
    { type: 'submit', class: 'button button--primary', id: 'user-save' },
    creating ? t('users.create.submit') : t('form.save'),
  );
  const cancelHref = creating ? '#/users' : `#/users/${id}`;

  async function save(e) {
    e.preventDefault();
    say(error, '');
    // Every empty required field at once, beside each (the server lists its own the same way).
    const missing = missingFields(controls, REQUIRED);
    if (missing.length) {
      showFieldErrors(error, missing, controls, labels);
      return;
    }
    const body = {};
    for (const [name, el] of Object.entries(controls)) {
      if (el.disabled) continue;
      let value = el.value.trim();
      if (name === 'node_id') value = Number(value);
      if (creating) {
        if (value !== '') body[name] = value;
      } else if (value !== (u[name] ?? '')) {
        body[name] = value;
      }
    }
    if (!creating && !Object.keys(body).length) {
      say(error, t('form.nothing_changed'));
      return;
    }
    if (!creating && ('profile' in body || 'node_id' in body)) {
      const ok = await confirmDialog({
        title: t('users.profile_change.title'),
        text: t('users.profile_change.text', { login: u.login }),
        confirm: t('users.profile_change.confirm'),
        danger: true,
      });
      if (!ok) return;
    }
    if (creating) {
      const ok = await confirmDialog({
        title: t('users.create.confirm_title', { login: body.login }),
        text: t('users.create.confirm_text', { email: body.email }),
        confirm: t('users.create.submit'),
      });
      if (!ok) return;
    }
    submit.disabled = true;
    try {
      if (creating) {
        const made = await api.post('/bo/api/users', body);
        flash = t('users.created', { login: made.login, email: made.email });
        go(`users/${made.id}`);
      } else {
        await api.patch(`/bo/api/users/${id}`, body);
        flash = t('users.updated');
        go(`users/${id}`);
      }
    } catch (err) {
      submit.disabled = false;
      showError(error, err, controls, labels);
    }
  }

  const f = (name, id2, hint) =>
    field({ id: id2, label: labels[name], control: controls[name], hint, required: REQUIRED.includes(name) });
  return h(
    'section',
    { class: 'user-edit', 'aria-labelledby': 'user-edit-title' },
    h(
      'p',
      { class: 'breadcrumb' },
      h('a', { href: cancelHref }, creating ? t('users.back') : t('users.detail.title', { login: u.login })),
    ),
    h(
      'h1',
      { id: 'user-edit-title' },
      creating ? t('users.create.title') : t('users.edit.title', { login: u.login }),
    ),
    creating ? h('p', { class: 'muted' }, t('users.create.hint')) : null,
    requiredLegend(),
    h(
      'form',
      { class: 'card form form--grid', id: 'user-form', novalidate: true, onsubmit: save },
      creating ? f('login', 'uf-login', t('form.invalid.login')) : null,
      f('name', 'uf-name'),
      f('email', 'uf-email', creating ? null : t('form.email_mobile_hint')),
      f('mobile', 'uf-mobile'),
      f('profile', 'uf-profile', self ? t('users.own_profile') : null),
      f('node_id', 'uf-node', self ? t('users.own_profile') : choices.own ? t('users.node.own_only') : null),
      f('language', 'uf-language'),
      f('time_zone', 'uf-time-zone'),
      h(
        'div',
        { class: 'form-span' },
        error,
        h(
          'div',
          { class: 'actions' },
          submit,
          h('a', { href: cancelHref, class: 'button', id: 'user-cancel' }, t('form.cancel')),
        ),
      ),
    ),
  );
}
