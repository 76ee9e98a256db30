// tree.js - the tree navigation (Vision manual §2.3): the brand › group › shop tree of
// GET /bo/api/tree under the menu, to choose what the pages show. Choosing a node calls
// scope.js setScope(node) (null for the user's own node, "everything"); the pages listen
// with onScopeChange and send node=ID to the API.
//
// WAI-ARIA tree pattern: one tab stop, ↑/↓ move, → opens or goes to the first child, ←
// closes or goes to the parent, Home/End, Enter or Space chooses. Hidden when the user's
// node has nothing below it (a shop-level user), and for users who may call no route that
// takes node= (app.js decides, from the session's allowed routes).

import { api, ApiError, csrf } from './api.js';
import { h, replace } from './dom.js';
import { t } from './i18n.js';
import { getScope, onScopeChange, setScope } from './scope.js';

let cache = null; // {token, nodes | null, status: 'ok'|'missing'|'error'}
let loading = null;
const expanded = new Set();
let expandedFor = null;

/** The nodes of the tree for this session (one request a sign-in). */
async function load() {
  const token = csrf();
  if (cache && cache.token === token) return cache;
  if (loading && loading.token === token) return loading.promise;
  const promise = api
    .get('/bo/api/tree')
    .then((answer) => ({ token, nodes: (answer && answer.nodes) || [], status: 'ok' }))
    .catch((err) => {
      if (err instanceof ApiError && err.status === 401) throw err;
      // 404/405: this server has no tree yet; anything else: say it failed.
      const missing = err instanceof ApiError && (err.status === 404 || err.status === 405);
      return { token, nodes: null, status: missing ? 'missing' : 'error' };
    })
    .then((c) => {
      cache = c;
      loading = null;
      return c;
    });
  loading = { token, promise };
  return promise;
}

/** The loaded tree's nodes, or null (other modules: shop names for the journals' filters). */
export async function treeNodes() {
  try {
    const c = await load();
    return c.nodes;
  } catch {
    return null;
  }
}

/** The node rootId and every node below it, in the tree's order (depth first: a node's
 * subtree follows it). */
export function subtree(nodes, rootId) {
  const ids = new Set([rootId]);
  return nodes.filter((n) => {
    if (ids.has(n.id) || ids.has(n.parent_id)) {
      ids.add(n.id);
      return true;
    }
    return false;
  });
}

function childrenOf(nodes) {
  const kids = new Map();
  for (const n of nodes) {
    const p = n.parent_id === null || n.parent_id === undefined ? null : n.parent_id;
    if (!kids.has(p)) kids.set(p, []);
    kids.get(p).push(n);
  }
  return kids;
}

/**
 * The tree panel for the layout: a <section> filled once the tree is loaded. shown: whether
 * the user has a page that the tree scopes; an empty, hidden section if not.
 */
export function treeNav(shown) {
  const section = h('section', { class: 'tree-panel', id: 'tree', 'aria-labelledby': 'tree-title', hidden: true });
  if (!shown) return section;
  load()
    .then((c) => fill(section, c))
    .catch(() => {});
  return section;
}

function fill(section, c) {
  if (c.status !== 'ok') {
    replace(
      section,
      h('h2', { id: 'tree-title', class: 'tree-title' }, t('tree.title')),
      h('p', { class: 'muted small', id: 'tree-missing' }, t(c.status === 'missing' ? 'tree.missing' : 'tree.error')),
    );
    section.hidden = false;
    return;
  }
  const nodes = c.nodes;
  const root = nodes[0];
  if (!root || nodes.length < 2) {
    section.hidden = true;
    if (getScope()) setScope(null);
    return;
  }
  const byId = new Map(nodes.map((n) => [String(n.id), n]));
  const kids = childrenOf(nodes);
  const scope = getScope();
  if (scope && (!byId.has(String(scope.id)) || String(scope.id) === String(root.id))) setScope(null);
  if (expandedFor !== c.token) {
    expanded.clear();
    expandedFor = c.token;
    // A small tree opens whole; a large one shows its first level.
    for (const n of nodes) if (nodes.length <= 40 || n === root) expanded.add(String(n.id));
  }
  // The path to the chosen node is open.
  let p = getScope() && byId.get(String(getScope().id));
  while (p && p.parent_id !== null && p.parent_id !== undefined) {
    expanded.add(String(p.parent_id));
    p = byId.get(String(p.parent_id));
  }

  const current = h('p', { class: 'tree-current', id: 'tree-current', 'aria-live': 'polite' });
  const tree = h('ul', { role: 'tree', class: 'tree', 'aria-labelledby': 'tree-title', id: 'tree-list' });

  function selectedId() {
    const s = getScope();
    return s ? String(s.id) : String(root.id);
  }

  function item(n, level) {
    const id = String(n.id);
    const children = kids.get(n.id) || kids.get(id) || [];
    const open = expanded.has(id);
    const li = h('li', {
      role: 'treeitem',
      id: `tree-node-${id}`,
      class: `tree-item tree-item--${n.level}`,
      'aria-level': level,
      'aria-selected': String(id === selectedId()),
      'aria-expanded': children.length ? String(open) : null,
      tabindex: -1,
      dataset: { id },
    });
    const twisty = children.length
      ? h('span', { class: 'tree-twisty', 'aria-hidden': 'true', dataset: { toggle: id } }, open ? '▾' : '▸')
      : h('span', { class: 'tree-twisty', 'aria-hidden': 'true' }, '');
    li.append(
      h(
        'span',
        { class: 'tree-row' },
        twisty,
        h(
          'span',
          { class: 'tree-text' },
          h('span', { class: 'tree-name' }, n.name),
          h('span', { class: 'tree-level' }, t(`tree.level.${n.level}`), n.site && n.rang ? ` · ${n.site}/${n.rang}` : ''),
        ),
      ),
    );
    if (children.length && open) {
      li.append(h('ul', { role: 'group' }, children.map((k) => item(k, level + 1))));
    }
    return li;
  }

  function draw(focusId) {
    const sel = selectedId();
    const node = byId.get(sel);
    replace(current, t('tree.current'), ' ', h('strong', {}, node ? node.name : root.name));
    replace(tree, item(root, 1));
    const focusTarget = tree.querySelector(`[data-id="${CSS.escape(focusId || sel)}"]`) ||
      tree.querySelector(`[data-id="${CSS.escape(String(root.id))}"]`);
    for (const li of tree.querySelectorAll('[role=treeitem]')) li.tabIndex = -1;
    if (focusTarget) {
      focusTarget.tabIndex = 0;
      if (focusId) focusTarget.focus();
    }
  }

  function visible() {
    return [...tree.querySelectorAll('[role=treeitem]')].filter((li) => !li.closest('[hidden]'));
  }

  function choose(id) {
    const n = byId.get(id);
    if (!n) return;
    setScope(id === String(root.id) ? null : n);
    draw(id);
  }

  function toggle(id, open) {
    if (open) expanded.add(id);
    else expanded.delete(id);
    draw(id);
  }

  tree.addEventListener('click', (e) => {
    const li = e.target.closest('[role=treeitem]');
    if (!li) return;
    const id = li.dataset.id;
    if (e.target.closest('[data-toggle]')) {
      toggle(id, !expanded.has(id));
      return;
    }
    choose(id);
  });
  tree.addEventListener('keydown', (e) => {
    const li = e.target.closest('[role=treeitem]');
    if (!li) return;
    const id = li.dataset.id;
    const n = byId.get(id);
    const items = visible();
    const i = items.indexOf(li);
    const hasKids = li.hasAttribute('aria-expanded');
    const focus = (el) => {
      if (!el) return;
      for (const x of items) x.tabIndex = -1;
      el.tabIndex = 0;
      el.focus();
    };
    switch (e.key) {
      case 'ArrowDown':
        focus(items[i + 1]);
        break;
      case 'ArrowUp':
        focus(items[i - 1]);
        break;
      case 'Home':
        focus(items[0]);
        break;
      case 'End':
        focus(items[items.length - 1]);
        break;
      case 'ArrowRight':
        if (hasKids && !expanded.has(id)) toggle(id, true);
        else if (hasKids) focus(li.querySelector('[role=treeitem]'));
        break;
      case 'ArrowLeft':
        if (hasKids && expanded.has(id)) toggle(id, false);
        else if (n && n.parent_id !== null && n.parent_id !== undefined) {
          focus(tree.querySelector(`[data-id="${CSS.escape(String(n.parent_id))}"]`));
        }
        break;
      case 'Enter':
      case ' ':
        choose(id);
        break;
      default:
        return;
    }
    e.preventDefault();
  });

  replace(
    section,
    h('h2', { id: 'tree-title', class: 'tree-title' }, t('tree.title')),
    current,
    tree,
    h('p', { class: 'muted small tree-help', id: 'tree-help' }, t('tree.help')),
  );
  tree.setAttribute('aria-describedby', 'tree-help');
  section.hidden = false;
  draw(null);
  // Another place (sign-out, a page) may change the scope: redraw the selection.
  const off = onScopeChange(() => {
    if (!section.isConnected) {
      off();
      return;
    }
    if (!tree.contains(document.activeElement)) draw(null);
  });
}
