// harness.mjs - what every end-to-end test file shares: one real guichetd on a temporary demo
// database (started before the first test, stopped with SIGTERM after the last, whatever
// happens), one headless Debian Chromium (/usr/bin/chromium) driven by playwright-core, which
// never downloads a browser, and the helpers below. run.mjs is the entry point.
//
// No test depends on the day it runs: the demo, the server (`--now`) and every browser context
// (Playwright's clock) run on one pinned clock, which starts at E2E_NOW (an RFC 3339 instant;
// default below, `real` for the machine's clock) and runs at the speed of real time. What a test
// compares with the server's dates comes from now() and parisDay(), never from Date.now().
//
// A file that needs the server started with other options (a notifier's shorter waits) has
// one of its own beside it, extraServer() at the end.
//
// Environment: GUICHETD (default build/src/guichetd), CHROMIUM (default /usr/bin/chromium),
// E2E_OUT (default test-results/e2e: each page visited is saved there as a PNG, and the PNGs of
// the previous run there are removed first; two runs at once each need their own). The server is stopped with
// SIGTERM whatever happens; the exit status is non-zero when any test fails.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';

import libmime from 'libmime';
import { chromium } from 'playwright-core';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const GUICHETD = path.resolve(ROOT, process.env.GUICHETD || 'build/src/guichetd');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const OUT = path.resolve(ROOT, process.env.E2E_OUT || path.join('test-results', 'e2e'));
export const NEW_PASSWORD = 'Guichet e2e 2026 passphrase';
// The last afternoon of a year: a month's end and a year's end for every date the pages show.
// The password hashes' cost of every guichetd started here (docs/SECURITY.md "Passwords"):
// the floor, as in the system tests (tests/system/conftest.py), unless the environment says.
process.env.GUICHET_PASSWORD_COST ??= '12,3';
const E2E_NOW = process.env.E2E_NOW || '2026-12-31T16:00:00+01:00';
// The pinned clock's lead on this machine's, in ms; null on the machine's clock.
let offset = E2E_NOW === 'real' ? null : Date.parse(E2E_NOW) - Date.now();
assert.ok(offset === null || !Number.isNaN(offset), `E2E_NOW is not an instant: ${E2E_NOW}`);

/** The server's time (ms since the epoch). */
export function now() {
  return Date.now() + (offset ?? 0);
}

/** The server's date in Paris, plus days, as YYYY-MM-DD. */
export function parisDay(plus = 0) {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris' }).format(new Date(now() + plus * 86400000));
}

/** The --now option of a guichetd command run at the server's time (RFC 3339, to the second,
 * rounded up). pin: the server starts on it, and now() follows that second exactly. */
export function clockArgs({ pin = false } = {}) {
  if (offset === null) return [];
  const t = Math.ceil(now() / 1000) * 1000;
  if (pin) offset = t - Date.now();
  return ['--now', `${new Date(t).toISOString().slice(0, 19)}Z`];
}

let tmp;
let server;
let serverExit;
export let base;
export let demo;
export let browser;
let shots = 0;
export const pageErrors = [];

/** The demo user of profile; of another server's demo with at (extraServer). */
export function user(profile, at = { demo }) {
  const u = at.demo.users.find((x) => x.profile === profile);
  assert.ok(u, `the demo has a ${profile} user`);
  return u;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function waitHealthy(url, deadline) {
  while (Date.now() < deadline) {
    if (serverExit) throw new Error(`guichetd exited (${serverExit.code}): ${readLog()}`);
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) {
        // The server's clock, read before now: now() is never ahead of it (it pinned its
        // clock a moment after it was started).
        if (offset !== null) offset = Date.parse((await r.json()).time) - Date.now();
        return;
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`guichetd did not start: ${readLog()}`);
}

export function readLog() {
  try {
    return fs.readFileSync(path.join(tmp, 'guichetd.log'), 'utf8');
  } catch {
    return '';
  }
}

/** Stops the server with SIGTERM and waits for it (at most 15 s, then SIGKILL). */
async function stopServer() {
  if (!server || serverExit) return serverExit;
  const exited = new Promise((resolve) => server.once('exit', (code, signal) => resolve({ code, signal })));
  server.kill('SIGTERM');
  const timer = setTimeout(() => server.kill('SIGKILL'), 15000);
  serverExit = await exited;
  clearTimeout(timer);
  return serverExit;
}

// A last resort: never leave a server behind, even when the runner itself dies.
process.on('exit', () => {
  if (server && !serverExit) server.kill('SIGTERM');
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (server && !serverExit) server.kill('SIGTERM');
    process.exit(130);
  });
}

export async function shot(page, name) {
  shots += 1;
  const file = path.join(OUT, `${String(shots).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

export async function newPage(context) {
  const page = await context.newPage();
  page.on('pageerror', (err) => pageErrors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') {
      const text = msg.text();
      // Expected: the browser logs every 4xx answer the tests provoke on purpose.
      if (/Failed to load resource: the server responded with a status of 4\d\d/.test(text)) return;
      pageErrors.push(`console: ${text}`);
    }
  });
  return page;
}

/** Fills and sends the sign-in form; resolves once the server answered (any status). On
 * another server with at (extraServer). */
export async function signIn(page, login, password, at = { base }) {
  const { base } = at;
  await page.goto(`${base}/#/signin`);
  await page.reload(); // a fresh form, whatever the page showed before
  await page.locator('#signin-form').waitFor();
  // This browser may have used the account-id form last (pages/signin.js keeps it).
  if (await page.locator('#signin-login').isHidden()) await page.locator('#signin-mode').click();
  await page.locator('#signin-login').fill(login);
  await page.locator('#signin-password').fill(password);
  const answer = page.waitForResponse(
    (r) => r.url() === `${base}/bo/api/session` && r.request().method() === 'POST',
  );
  await page.locator('#signin-form button[type=submit]').click();
  return (await answer).status();
}

// The hosted payment page's card form filled as a buyer does, by its labels (either
// language), then "Pay".
export async function payWithCard(page, number) {
  await page.getByLabel(/Nom du titulaire|Cardholder name/).fill('Jeanne Martin');
  await page.getByLabel(/Numéro de carte|Card number/).fill(number);
  await page.getByLabel(/Date d'expiration|Expiry date/).fill('12/30');
  await page.getByLabel(/Cryptogramme|Security code/).fill('123');
  await page.locator('button[value="pay"]').click();
}

// The back office in French whatever an earlier test chose for the signed-in user, its page
// reloaded.
export async function inFrench(page) {
  const status = await page.evaluate(async () => (await fetch('/bo/api/me', {
    method: 'PATCH',
    headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': localStorage.getItem('guichet.csrf') },
    body: JSON.stringify({ language: 'fr' }),
  })).status);
  if (status !== 200) throw new Error(`PATCH /bo/api/me answered ${status}`);
  await page.reload();
  await page.waitForSelector('nav .nav-link');
  return page;
}

/** Waits until the page of hash is rendered (the app's data-shown), not the one before it. */
export async function shown(page, hash) {
  await page.waitForFunction((h) => {
    const app = document.getElementById('app');
    return location.hash === h && app.dataset.shown === h && !app.hasAttribute('aria-busy');
  }, hash);
}

export async function heading(page) {
  return (await page.locator('main h1').textContent()).trim();
}

/**
 * The day of a day input (www/assets/js/day-input.js) as "YYYY-MM-DD", and the text it shows.
 * Its value is the page's own property, which Playwright's inputValue (run in a world of its
 * own) does not see: it reads the text shown.
 */
export async function dayValue(locator) {
  return locator.evaluate((el) => el.value);
}

export async function dayShown(locator) {
  return locator.inputValue();
}

/** Unfolds a journal's search filters (folded once a search runs, journal.js), by its prefix. */
export async function showFilters(page, prefix) {
  const toggle = page.locator(`#${prefix}-toggle`);
  if ((await toggle.getAttribute('aria-expanded')) === 'false') await toggle.click();
}

before(async () => {
  fs.mkdirSync(OUT, { recursive: true });
  for (const f of fs.readdirSync(OUT)) if (f.endsWith('.png')) fs.rmSync(path.join(OUT, f));
  assert.ok(fs.existsSync(GUICHETD), `no server binary at ${GUICHETD} (build first, or set GUICHETD)`);
  assert.ok(fs.existsSync(CHROMIUM), `no browser at ${CHROMIUM} (scripts/bootstrap installs chromium)`);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'guichet-e2e-'));
  const db = path.join(tmp, 'guichet.db');
  const made = spawnSync(GUICHETD, ['demo', '--db', db, '--transactions', '50', '--json', ...clockArgs({ pin: true })], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60000,
  });
  assert.equal(made.status, 0, `guichetd demo failed: ${made.stderr}`);
  demo = JSON.parse(made.stdout);

  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const log = fs.openSync(path.join(tmp, 'guichetd.log'), 'a');
  // From the repository's root, so the default --www (www) is this repository's UI.
  server = spawn(
    GUICHETD,
    ['serve', '--db', db, '--listen', `127.0.0.1:${port}`, '--batch-time', 'off', '--spool', path.join(tmp, 'spool'), ...clockArgs({ pin: true })],
    { cwd: ROOT, stdio: ['ignore', log, log] },
  );
  server.once('exit', (code, signal) => {
    serverExit = { code, signal };
  });
  await waitHealthy(base, Date.now() + 20000);

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Root (CI, containers) cannot use Chromium's sandbox.
    chromiumSandbox: typeof process.getuid === 'function' && process.getuid() !== 0,
  });
  // Every context the tests open gets the server's clock, ticking from its time.
  if (offset !== null) {
    const plainContext = browser.newContext.bind(browser);
    browser.newContext = async (options) => {
      const context = await plainContext(options);
      await context.clock.install({ time: now() });
      return context;
    };
  }
});

after(async () => {
  try {
    if (browser) await browser.close();
  } finally {
    const exit = await stopServer();
    const log = readLog();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    assert.deepEqual(exit, { code: 0, signal: null }, `guichetd did not stop cleanly:\n${log}`);
    // No password ever reaches the log (README "Logs").
    for (const secret of [NEW_PASSWORD, ...demo.users.map((u) => u.password)]) {
      assert.ok(!log.includes(secret), 'a password reached the server log');
    }
  }
});


/** A page of a new browser context signed in as the demo user of profile, on their landing
 * page. The first-login steps (new password, terms) are done through the API the first time,
 * so that any test file may start with any user whatever ran before it. On another server
 * with at (extraServer). */
export async function signedIn(profile, at = { base, demo }) {
  const { base } = at;
  const u = user(profile, at);
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const api = context.request;
  let r = await api.post(`${base}/bo/api/session`, { data: { login: u.login, password: NEW_PASSWORD, takeover: true } });
  if (r.status() === 401) {
    r = await api.post(`${base}/bo/api/session`, { data: { login: u.login, password: u.password, takeover: true } });
    assert.equal(r.status(), 200, `${u.login}: ${await r.text()}`);
    const csrf = (await r.json()).csrf;
    const headers = { 'X-CSRF-Token': csrf };
    const p = await api.post(`${base}/bo/api/password`, { headers, data: { old: u.password, new: NEW_PASSWORD } });
    assert.equal(p.status(), 200, await p.text());
    await api.post(`${base}/bo/api/terms`, { headers, data: { accept: true } });
    r = await api.delete(`${base}/bo/api/session`, { headers });
  } else {
    assert.equal(r.status(), 200, `${u.login}: ${await r.text()}`);
    const body = await r.json();
    if (body.next === 'accept_terms') {
      await api.post(`${base}/bo/api/terms`, { headers: { 'X-CSRF-Token': body.csrf }, data: { accept: true } });
    }
    await api.delete(`${base}/bo/api/session`, { headers: { 'X-CSRF-Token': body.csrf } });
  }
  const page = await newPage(context);
  assert.equal(await signIn(page, u.login, NEW_PASSWORD, at), 200);
  // The menu appears only once signed in (the sign-in page has an h1 too).
  await page.waitForSelector('nav .nav-link');
  await page.waitForSelector('main h1');
  return page;
}

/** The server's database and spool folder, for a test that runs a guichetd command beside it
 * (the télécollecte runs beside the server, as in production). */
export function serverFiles() {
  return { db: path.join(tmp, 'guichet.db'), spool: path.join(tmp, 'spool') };
}

/** The server's database, through Debian's sqlite3 shell (beside the running server, as an
 * operator would look): the output of statement, trimmed. */
export function sql(statement) {
  const r = spawnSync('sqlite3', [path.join(tmp, 'guichet.db'), statement], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

/**
 * The mails the server's mailer wrote to address, oldest first: [{file, subject, body}]
 * (`<spool>/<id>.eml`, README "users"), the Subject unfolded and its RFC 2047 words decoded (libmime: B and Q, any charset,
 * adjacent words joined).
 * Waits until there are at least count of them: the mailer writes them a moment after the
 * change that queued them.
 */
export async function mailsTo(address, { count = 1, timeout = 10000 } = {}) {
  const spool = path.join(tmp, 'spool');
  const deadline = Date.now() + timeout;
  for (;;) {
    const found = [];
    const files = fs.existsSync(spool) ? fs.readdirSync(spool).filter((f) => f.endsWith('.eml')).sort() : [];
    for (const file of files) {
      const text = fs.readFileSync(path.join(spool, file), 'utf8');
      const split = text.indexOf('\r\n\r\n');
      // RFC 5322 §2.2.3: a CRLF followed by white space is a folded line.
      const head = text.slice(0, split).replace(/\r\n(?=[ \t])/g, '');
      if (!head.split('\r\n').includes(`To: <${address}>`)) continue;
      const subject = libmime.decodeWords((head.match(/^Subject: (.*)$/m) || [])[1] || '');
      found.push({ file, subject, body: text.slice(split + 4).replace(/\r\n/g, '\n') });
    }
    if (found.length >= count) return found;
    if (Date.now() > deadline) throw new Error(`${found.length} mail(s) to ${address}, expected ${count}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const extras = new Set(); // extraServer's servers still running: { child, stop }

process.on('exit', () => {
  for (const x of extras) x.child.kill('SIGTERM');
});
after(async () => {
  await Promise.all([...extras].map((x) => x.stop()));
});

/**
 * Another guichetd beside the shared one, for a file that needs a server started with other
 * options (e.g. `--notify-retry-ms`, README "Notifications", so that retries are seen in
 * seconds): its own new demo database (50 transactions, on the shared clock, not pinned again:
 * now() stays the shared server's, this one at most a second ahead), started as the shared one
 * is plus extra. Resolves to { base, demo, sql(statement), readLog(), stop() }: sql as the
 * harness's sql() on its database; stop() sends SIGTERM, waits (at most 15 s, then SIGKILL),
 * removes its files (readLog() still answers the log) and resolves to its exit ({code,
 * signal}). One its file did not stop is stopped after the last test. The browser contexts are
 * the shared ones (browser.newContext, on the same clock).
 */
export async function extraServer(extra = []) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'guichet-e2e-extra-'));
  const db = path.join(dir, 'guichet.db');
  const made = spawnSync(GUICHETD, ['demo', '--db', db, '--transactions', '50', '--json', ...clockArgs()], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60000,
  });
  if (made.status !== 0) fs.rmSync(dir, { recursive: true, force: true });
  assert.equal(made.status, 0, `guichetd demo failed: ${made.stderr}`);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const logFile = path.join(dir, 'guichetd.log');
  const log = fs.openSync(logFile, 'a');
  const child = spawn(
    GUICHETD,
    ['serve', '--db', db, '--listen', `127.0.0.1:${port}`, '--batch-time', 'off', '--spool', path.join(dir, 'spool'), ...clockArgs(), ...extra],
    { cwd: ROOT, stdio: ['ignore', log, log] },
  );
  fs.closeSync(log);
  let exit = null;
  let lastLog = null; // the log, once its folder is removed
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => {
    exit = { code, signal };
    resolve(exit);
  }));
  const readExtraLog = () => lastLog ?? (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '');
  const entry = {
    child,
    async stop() {
      extras.delete(entry);
      if (!exit) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15000);
        await exited;
        clearTimeout(timer);
      }
      lastLog = readExtraLog();
      fs.rmSync(dir, { recursive: true, force: true });
      return exit;
    },
  };
  extras.add(entry);
  const deadline = Date.now() + 20000;
  for (;;) {
    if (exit) {
      const text = readExtraLog();
      await entry.stop();
      throw new Error(`guichetd exited (${exit.code}): ${text}`);
    }
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      const text = readExtraLog();
      await entry.stop();
      throw new Error(`guichetd did not start: ${text}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    base: url,
    demo: JSON.parse(made.stdout),
    sql(statement) {
      const r = spawnSync('sqlite3', [db, statement], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout.trim();
    },
    readLog: readExtraLog,
    stop: entry.stop,
  };
}
