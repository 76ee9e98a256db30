// End-to-end tests of the web back office: a real guichetd on a temporary demo database,
// driven through Debian's Chromium (/usr/bin/chromium, headless) by playwright-core, which
// never downloads a browser. Node's built-in test runner; no framework to install.
//
//   GUICHETD=build/src/guichetd node tests/e2e/run.mjs     (make e2e)
//
// Environment: GUICHETD (default build/src/guichetd), CHROMIUM (default /usr/bin/chromium),
// E2E_OUT (default test-results/e2e: each page visited is saved there as a PNG, and the PNGs of
// the previous run there are removed first; two runs at once each need their own). The server is stopped with
// SIGTERM whatever happens; the exit status is non-zero when any test fails.
//
// This file holds the tests of the shell and the sign-in; each page's tests are in
// tests/e2e/pages/*.test.mjs, loaded below, all sharing harness.mjs's server and browser.

import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  base, browser, demo, heading, NEW_PASSWORD, newPage, pageErrors, readLog, ROOT, shot, signIn, user,
} from './harness.mjs';

let first; // demo.consultation's first browser, kept for the take-over test

test('the page is served with its security headers, and the shell loads under the CSP', async () => {
  const r = await fetch(`${base}/`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/html/);
  assert.match(r.headers.get('content-security-policy'), /script-src 'self'/);
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await newPage(context);
  await page.goto(`${base}/`);
  await page.locator('#signin-form').waitFor();
  assert.equal(await heading(page), 'Connexion au back office');
  assert.equal(await page.locator('html').getAttribute('lang'), 'fr');
  // Every control has a label.
  assert.equal(await page.getByLabel('Identifiant').count(), 1);
  assert.equal(await page.getByLabel('Mot de passe').count(), 1);
  await shot(page, 'signin');
  await context.close();
});

test('first sign-in: change the password, accept the terms, land on Home', async () => {
  const u = user('consultation');
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await newPage(context);
  await signIn(page, u.login, u.password);

  await page.locator('#password-form').waitFor();
  assert.equal(await heading(page), 'Modifier son mot de passe');
  await shot(page, 'password-forced');
  // The strength meter asks the server as one types.
  await page.locator('#password-new').fill('123456%A');
  await page.locator('#password-strength-text', { hasText: 'Moyen' }).waitFor();
  await page.locator('#password-hint', { hasText: '12 caractères' }).waitFor();
  await page.locator('#password-new').fill(NEW_PASSWORD);
  await page.locator('#password-strength-text', { hasText: /Fort|Très fort/ }).waitFor();
  await shot(page, 'password-strength');
  // Two different entries are caught before asking the server.
  await page.locator('#password-old').fill(u.password);
  await page.locator('#password-confirm').fill(`${NEW_PASSWORD}!`);
  await page.locator('#password-submit').click();
  await page.locator('#password-error', { hasText: 'diffèrent' }).waitFor();
  await page.locator('#password-confirm').fill(NEW_PASSWORD);
  await page.locator('#password-submit').click();

  await page.locator('#terms-accept').waitFor();
  assert.equal(await heading(page), 'Conditions générales d’utilisation');
  assert.match(await page.locator('#terms-text').textContent(), /Conditions générales/);
  await shot(page, 'terms');
  await page.locator('#terms-accept').click();

  await page.locator('#home-title').waitFor();
  assert.equal(await heading(page), 'Accueil');
  const name = (await page.locator('#user-name').textContent()).trim();
  assert.ok(name.length > 0, 'the header names the user');
  assert.equal(await page.locator('#home-welcome').textContent(), `Bonjour, ${name}.`);
  const menu = await page.locator('nav .nav-link').allTextContents();
  assert.deepEqual(menu, [
    'Accueil', 'Transactions', 'Remises', 'Rapprochement bancaire (JRB)', 'Paiements N fois', 'Abonnements',
    'Batch / Fichiers d’ordres', 'Journal des erreurs API', 'Rapports quotidiens',
    'Contrats', 'Configuration générale', 'Options souscrites', 'Page de paiement',
    'Cartes bloquées',
    'Informations personnelles',
  ]);
  // Grouped as Vision's: Recherches, Paramétrage; no Gestion without user management.
  assert.deepEqual(await page.locator('nav .nav-group-title').allTextContents(), ['Recherches', 'Paramétrage']);
  assert.deepEqual(
    await page.locator('nav .nav-group[data-group=settings] .nav-link').allTextContents(),
    ['Contrats', 'Configuration générale', 'Options souscrites', 'Page de paiement', 'Cartes bloquées'],
  );
  assert.equal(await page.locator('nav [aria-current=page]').textContent(), 'Accueil');
  await shot(page, 'home');

  // The menu works from the keyboard, with a visible focus.
  await page.locator('nav .nav-link', { hasText: 'Informations personnelles' }).focus();
  await page.keyboard.press('Enter');
  await page.locator('#me-title').waitFor();
  assert.match(await page.locator('.details').textContent(), new RegExp(u.login));
  await shot(page, 'me');
  first = { context, page, user: u };
});

test('a wrong password is refused with a readable message', async () => {
  const context = await browser.newContext();
  const page = await newPage(context);
  assert.equal(await signIn(page, user('admin').login, 'not the password 123'), 401);
  await page.locator('#signin-error', { hasText: 'Identifiant ou mot de passe incorrect.' }).waitFor();
  assert.equal(await page.locator('#signin-password').inputValue(), '');
  await shot(page, 'signin-wrong-password');
  await context.close();
});

test('the third wrong password locks the account', async () => {
  const u = user('entry');
  const context = await browser.newContext();
  const page = await newPage(context);
  for (let i = 1; i <= 3; i++) {
    const status = await signIn(page, u.login, `wrong password ${i}`);
    assert.equal(status, i < 3 ? 401 : 423);
    const expected = i < 3 ? 'Identifiant ou mot de passe incorrect.' : 'verrouillé après 3 tentatives';
    await page.locator('#signin-error', { hasText: expected }).waitFor();
  }
  await shot(page, 'signin-locked');
  // Locked stays locked, even with the right password.
  assert.equal(await signIn(page, u.login, u.password), 423);
  await page.locator('#signin-error', { hasText: 'verrouillé' }).waitFor();
  await context.close();
});

test('a second browser is told which device holds the session, takes it over, and the first is sent back to sign-in', async () => {
  assert.ok(first, 'the first sign-in test passed');
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await newPage(context);
  assert.equal(await signIn(page, first.user.login, NEW_PASSWORD), 409);
  await page.locator('#elsewhere').waitFor();
  const question = await page.locator('#elsewhere-text').textContent();
  assert.match(question, /Chromium · Linux · #[0-9a-f]{6}/);
  await shot(page, 'signin-session-elsewhere');
  await page.locator('#elsewhere-takeover').click();
  await page.locator('#home-title').waitFor();

  // The first browser's next action finds its session gone.
  await first.page.locator('nav .nav-link', { hasText: 'Transactions' }).click();
  await first.page.locator('#signin-notice').waitFor();
  assert.match(await first.page.locator('#signin-notice').textContent(), /session a pris fin/);
  await shot(first.page, 'first-browser-signed-out');
  await first.context.close();

  // Sign-out ends the session on the server: back to sign-in, and Home needs a sign-in again.
  await page.locator('#signout').click();
  await page.locator('#signin-notice', { hasText: 'Vous êtes déconnecté.' }).waitFor();
  await shot(page, 'signed-out');
  await page.goto(`${base}/#/home`);
  await page.locator('#signin-form').waitFor();
  await context.close();
});

test('an administrator also sees Users, the Action log and the Account', async () => {
  const u = user('admin');
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await newPage(context);
  await signIn(page, u.login, u.password);
  await page.locator('#password-form').waitFor();
  await page.locator('#password-old').fill(u.password);
  await page.locator('#password-new').fill(NEW_PASSWORD);
  await page.locator('#password-confirm').fill(NEW_PASSWORD);
  await page.locator('#password-submit').click();
  await page.locator('#terms-accept').click();
  await page.locator('#home-title').waitFor();
  const menu = await page.locator('nav .nav-link').allTextContents();
  assert.deepEqual(menu, [
    'Accueil',
    'Saisie manuelle',
    'Transactions',
    'Remises',
    'Rapprochement bancaire (JRB)',
    'Paiements N fois',
    'Abonnements',
    'Batch / Fichiers d’ordres',
    'Journal des erreurs API',
    'Rapports quotidiens',
    'Contrats',
    'Configuration générale',
    'Options souscrites',
    'Page de paiement',
    'Cartes bloquées',
    'Utilisateurs',
    'Suivi des actions',
    'E-mails non distribués',
    'Compte',
    'Informations personnelles',
  ]);
  // Grouped as Vision's (Recherches, Paramétrage, Gestion), each group named to assistive
  // technologies by its heading.
  assert.deepEqual(await page.locator('nav .nav-group-title').allTextContents(), ['Recherches', 'Paramétrage', 'Gestion']);
  assert.deepEqual(await page.getByRole('group', { name: 'Gestion' }).locator('.nav-link').allTextContents(), [
    'Utilisateurs',
    'Suivi des actions',
    'E-mails non distribués',
    'Compte',
  ]);
  await shot(page, 'menu-groups-admin');
  await page.locator('nav .nav-link', { hasText: 'Utilisateurs' }).click();
  await page.locator('main h1', { hasText: 'Utilisateurs' }).waitFor();
  await shot(page, 'admin-users');

  // The user's language (PATCH /bo/api/me) is the UI's from the next page load.
  const patched = await page.evaluate(async () => {
    const r = await fetch('/bo/api/me', {
      method: 'PATCH',
      headers: {
        'Content-Type': 'application/json',
        'X-CSRF-Token': localStorage.getItem('guichet.csrf'),
      },
      body: JSON.stringify({ language: 'en' }),
    });
    return r.status;
  });
  assert.equal(patched, 200);
  await page.reload();
  await page.locator('main h1', { hasText: 'Users' }).waitFor();
  assert.equal(await page.locator('html').getAttribute('lang'), 'en');
  await page.locator('nav .nav-link', { hasText: 'Home' }).click();
  await page.locator('#home-welcome', { hasText: /^Hello, .+\.$/ }).waitFor();
  assert.equal(await page.locator('#signout').textContent(), 'Sign out');
  await shot(page, 'admin-home-english');
  await context.close();
});

test('amounts and dates follow the language and the time zone', async () => {
  const context = await browser.newContext();
  const page = await newPage(context);
  await page.goto(`${base}/#/signin`);
  await page.locator('#signin-form').waitFor();
  const got = await page.evaluate(async () => {
    const f = await import('/assets/js/format.js');
    return {
      fr: f.formatAmount(123456, 'EUR', 'fr-FR'),
      en: f.formatAmount(123456, 'EUR', 'en-GB'),
      negative: f.formatAmount(-5, 'EUR', 'fr-FR'),
      jpy: f.formatAmount(1234, 'JPY', 'fr-FR'),
      paris: f.formatDateTime('2026-11-24T17:43:05.123Z', 'fr-FR', 'Europe/Paris'),
      montreal: f.formatDateTime('2026-07-01T12:00:00Z', 'en-GB', 'America/Montreal'),
      day: f.formatDay('2026-03-01', 'fr-FR'),
      missing: (await import('/assets/js/i18n.js')).missingKeys(),
    };
  });
  assert.deepEqual(got.missing, { en: [], fr: [] }, 'French and English have the same keys');
  assert.equal(got.fr.replace(/\s/g, ' '), '1 234,56 €');
  assert.equal(got.en, '€1,234.56');
  assert.equal(got.negative.replace(/\s/g, ' '), '-0,05 €');
  assert.equal(got.jpy.replace(/\s/g, ' '), '1 234 JPY'); // no decimals in yen
  assert.equal(got.paris, '24/11/2026 18:43:05');
  assert.equal(got.montreal, '01/07/2026, 08:00:00');
  assert.equal(got.day, '01/03/2026');
  await context.close();
});

// The pages' own tests (tests/e2e/pages/*.test.mjs), in name order; with E2E_PAGES=A,B only
// the files whose names start with one of them (E2E_PAGES=86 while working on one page).
const pagesDir = path.join(ROOT, 'tests', 'e2e', 'pages');
const only = (process.env.E2E_PAGES || '').split(',').filter(Boolean);
for (const f of fs.existsSync(pagesDir) ? fs.readdirSync(pagesDir).sort() : []) {
  if (only.length && !only.some((p) => f.startsWith(p))) continue;
  if (f.endsWith('.test.mjs')) await import(path.join(pagesDir, f));
}

// Last, once every page of every file was visited.
test('no script error and no CSP violation in any page', () => {
  assert.deepEqual(pageErrors, []);
});
