// scope.js - the node of the brand › group › shop tree the pages show (Vision manual §2.3):
// null for the user's own node (everything they may see), else a node id below it. The tree
// navigation sets it; pages read it and pass it as `node=ID` to the API, and re-render when
// it changes. Kept for the tab (sessionStorage), forgotten at sign-out.

const KEY = 'guichet.scope';
const listeners = new Set();

/** The chosen node: { id, name, level } or null (the user's own node). */
export function getScope() {
  try {
    return JSON.parse(sessionStorage.getItem(KEY)) || null;
  } catch {
    return null;
  }
}

/** Chooses a node (null: back to the user's own); tells every listener. */
export function setScope(node) {
  if (node) sessionStorage.setItem(KEY, JSON.stringify({ id: node.id, name: node.name, level: node.level }));
  else sessionStorage.removeItem(KEY);
  for (const fn of listeners) fn(getScope());
}

/** Calls fn(scope) on every change; returns a function that stops it. */
export function onScopeChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** The query parameter for the API: "&node=ID", or "" for the user's own node. */
export function scopeParam() {
  const s = getScope();
  return s ? `&node=${encodeURIComponent(s.id)}` : '';
}
