// router.js - the hash router: "#/name/arg?key=value" shows the page registered as name.
//
// Hash routes keep the server simple (it serves one index.html) and never send the page's
// state to the server. Pages are registered by main.js; app.js decides what a navigation
// shows (sign-in, a pending sign-in step, or the page).

const pages = new Map();

/**
 * Registers a page. def: {title: i18n key, auth: 'none' | 'signed' (any session, steps
 * included) | 'user' (a session with no step left), needs: the "METHOD PATH" of the API route
 * the page needs (app.js may()) or undefined for all,
 * render(ctx) → Node | Promise<Node>, bare: true for pages without the menu, notices: true for
 * a page that shows Home's warnings itself}.
 */
export function register(name, def) {
  pages.set(name, { name, ...def });
}

export function page(name) {
  return pages.get(name);
}

/** The route of the current hash: {name, args, query}. */
export function parse(hash = window.location.hash) {
  const raw = hash.startsWith('#/') ? hash.slice(2) : '';
  const [path, search = ''] = raw.split('?');
  const [name = '', ...args] = path.split('/').map(decodeURIComponent);
  return { name, args, query: new URLSearchParams(search) };
}

let listener = () => {};

/** Shows name: changes the hash (a history entry), or shows it again when it is current. */
export function go(name, { replace = false } = {}) {
  const hash = `#/${name}`;
  if (window.location.hash === hash) {
    listener();
  } else if (replace) {
    window.history.replaceState(null, '', hash);
    listener();
  } else {
    window.location.hash = hash;
  }
}

/** Calls fn on every navigation, and once now. */
export function start(fn) {
  listener = fn;
  window.addEventListener('hashchange', () => listener());
  listener();
}
