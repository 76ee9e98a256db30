// Personal information, Users and the Action log (SPEC §3, §13; Vision manual §1, §11).
import fs from 'node:fs';
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { base, demo, heading, NEW_PASSWORD, shot, signedIn, signIn, user } from '../harness.mjs';

/** PATCH through the page (its cookie and CSRF token). */
async function patch(page, path, body) {
  return page.evaluate(
    async ([p, b]) => {
      const r = await fetch(p, {
        method: 'PATCH',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': localStorage.getItem('guichet.csrf') },
        body: JSON.stringify(b),
      });
      return r.status;
    },
    [path, body],
  );
}

async function french(page) {
  assert.equal(await patch(page, '/bo/api/me', { language: 'fr' }), 200);
}

test('Personal information: edit, language at once, e-mail and mobile apart, landing page', async () => {
  // The administrator: the other files' tests use the other demo users.
  const u = user('admin');
  const page = await signedIn('admin');
  await french(page);
  await page.goto(`${base}/#/me`);
  await page.reload();
  await page.locator('#me-form').waitFor();
  assert.equal(await heading(page), 'Informations personnelles');
  // Every control is labelled.
  for (const label of ['Nom', 'Adresse e-mail', 'Mobile', 'Langue', 'Fuseau horaire', 'Page affichée après la connexion']) {
    assert.equal(await page.getByLabel(label, { exact: true }).count(), 1, label);
  }
  assert.ok((await page.locator('#me-time-zone option').count()) > 10, 'the time zones of the server');
  await shot(page, 'me-edit');

  // The language applies at once, then back.
  await page.locator('#me-language').selectOption('en');
  await page.locator('#me-save').click();
  await page.locator('main h1', { hasText: 'Personal information' }).waitFor();
  assert.equal(await page.locator('html').getAttribute('lang'), 'en');
  assert.equal(await page.locator('#me-status').textContent(), 'Your information was saved.');
  assert.ok((await page.locator('nav .nav-link').allTextContents()).includes('Home'));
  await shot(page, 'me-english');
  await page.locator('#me-language').selectOption('fr');
  await page.locator('#me-save').click();
  await page.locator('main h1', { hasText: 'Informations personnelles' }).waitFor();
  assert.equal(await page.locator('html').getAttribute('lang'), 'fr');

  // E-mail and mobile in one edit: the server's refusal, readable, next to the form.
  const email = await page.locator('#me-email').inputValue();
  await page.locator('#me-email').fill('autre.adresse@maison-guichet.example');
  await page.locator('#me-mobile').fill('06 12 34 56 78');
  await page.locator('#me-save').click();
  await page.locator('#me-error', { hasText: 'ne peuvent pas être modifiés en même temps' }).waitFor();
  // A bad mobile: the field is named and marked.
  await page.locator('#me-email').fill(email);
  await page.locator('#me-mobile').fill('abc');
  await page.locator('#me-save').click();
  await page.locator('#me-error', { hasText: 'Le numéro de mobile n’est pas valide' }).waitFor();
  assert.equal(await page.locator('#me-mobile').getAttribute('aria-invalid'), 'true');
  await page.locator('#me-mobile').fill('06 12 34 56 78');
  await page.locator('#me-save').click();
  await page.locator('#me-status', { hasText: 'enregistrées' }).waitFor();
  assert.match(await page.locator('.details').textContent(), /06 12 34 56 78/);
  // The mobile is optional: emptied, it is removed (regression: the page refused it).
  await page.locator('#me-mobile').fill('');
  await page.locator('#me-save').click();
  await page.locator('#me-status', { hasText: 'enregistrées' }).waitFor();
  assert.doesNotMatch(await page.locator('.details').textContent(), /06 12 34 56 78/);
  assert.equal((await (await page.request.get(`${base}/bo/api/me`)).json()).mobile, '');

  // The landing page: Transactions after the next sign-in, then back to the statistics.
  await page.locator('#me-home').selectOption('transactions');
  await page.locator('#me-home-save').click();
  await page.locator('#me-home-status', { hasText: 'Transactions' }).waitFor();
  await page.locator('#signout').click();
  await page.locator('#signin-form').waitFor();
  assert.equal(await signIn(page, u.login, NEW_PASSWORD), 200);
  await page.waitForURL(/#\/transactions$/);
  await page.goto(`${base}/#/me`);
  await page.locator('#me-home').selectOption('stats');
  await page.locator('#me-home-save').click();
  await page.locator('#me-home-status', { hasText: 'Accueil' }).waitFor();
  const prefs = await (await page.request.get(`${base}/bo/api/me/preferences`)).json();
  assert.equal(prefs.home, 'stats');
  await page.context().close();
});

test('Users: the list, create, edit, send a new password, unlock', async () => {
  const page = await signedIn('admin');
  await french(page); // an earlier test left the administrator in English
  await page.goto(`${base}/#/users`);
  await page.reload();
  await page.locator('#users-table').waitFor();
  assert.equal(await heading(page), 'Utilisateurs');
  const logins = await page.locator('#users-table tbody tr').evaluateAll((trs) => trs.map((tr) => tr.dataset.login));
  for (const u of demo.users) assert.ok(logins.includes(u.login), `${u.login} is listed`);
  const head = await page.locator('#users-table thead').textContent();
  for (const col of ['Utilisateur', 'Profil', 'Niveau', 'Adresse e-mail', 'Mobile', 'Connexions', 'cette semaine', 'au total', 'État']) {
    assert.ok(head.includes(col), col);
  }
  // The administrator's own row counts their sign-ins.
  const admin = page.locator(`#users-table tr[data-login="${user('admin').login}"]`);
  assert.notEqual(await admin.locator('td.num').last().textContent(), '0');
  // The filter narrows the list.
  await page.locator('#users-filter').fill('consultation');
  assert.equal(await page.locator('#users-table tbody tr:visible').count(), 1);
  await page.locator('#users-filter').fill('');
  await shot(page, 'users');

  // Create.
  const login = `e2e.user${Date.now() % 100000}`;
  await page.locator('#users-new').click();
  await page.locator('#user-edit-title', { hasText: 'Créer' }).waitFor();
  await page.locator('#uf-login').fill(login);
  await page.locator('#uf-name').fill('Eva Deux-Essais');
  await page.locator('#uf-email').fill(`${login}@maison-guichet.example`);
  await page.locator('#uf-profile').selectOption('consultation');
  assert.ok((await page.locator('#uf-node option').count()) > 1, 'the nodes of the tree are offered');
  await page.locator('#user-save').click();
  await page.locator('#confirm-dialog', { hasText: login }).waitFor();
  await page.locator('#confirm-dialog-ok').click();
  await page.locator('#user-title', { hasText: login }).waitFor();
  assert.match(await page.locator('#users-status').textContent(), /a été créé/);
  const id = Number((await page.url()).split('/').pop());
  assert.ok(id > 0);

  // The same login again: refused, readable.
  await page.goto(`${base}/#/users/new`);
  await page.locator('#user-edit-title', { hasText: 'Créer' }).waitFor();
  await page.locator('#uf-login').fill(login);
  await page.locator('#uf-name').fill('Doublon');
  await page.locator('#uf-email').fill('doublon@maison-guichet.example');
  await page.locator('#uf-profile').selectOption('consultation');
  await page.locator('#user-save').click();
  await page.locator('#confirm-dialog-ok').click();
  await page.locator('#user-form-error', { hasText: 'déjà utilisé' }).waitFor();
  await shot(page, 'users-create-refused');

  // Edit: a new name, then a new profile (which asks first: it ends the user's session).
  await page.goto(`${base}/#/users/${id}/edit`);
  await page.locator('#user-edit-title', { hasText: 'Modifier' }).waitFor();
  await page.locator('#uf-name').fill('Eva Trois-Essais');
  await page.locator('#user-save').click();
  await page.locator('#users-status', { hasText: 'enregistrées' }).waitFor();
  assert.match(await page.locator('#user-details').textContent(), /Eva Trois-Essais/);
  await page.locator('#user-edit').click();
  await page.locator('#user-edit-title', { hasText: 'Modifier' }).waitFor();
  await page.locator('#uf-profile').selectOption('action');
  await page.locator('#user-save').click();
  await page.locator('#confirm-dialog').waitFor();
  await page.locator('#confirm-dialog-ok').click();
  await page.locator('#users-status', { hasText: 'enregistrées' }).waitFor();
  assert.match(await page.locator('#user-details').textContent(), /Consultation \+ Action/);

  // Send a new password: a confirmation dialog, focus on "Cancel", Escape changes nothing.
  await page.locator('#user-reset').click();
  await page.locator('#confirm-dialog').waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'confirm-dialog-cancel');
  await shot(page, 'users-reset-confirm');
  await page.keyboard.press('Escape');
  await page.locator('#confirm-dialog').waitFor({ state: 'detached' });
  assert.equal(await page.evaluate(() => document.activeElement.id), 'user-reset');
  await page.locator('#user-reset').click();
  await page.locator('#confirm-dialog-ok').click();
  await page.locator('#users-status', { hasText: 'nouveau mot de passe provisoire a été envoyé' }).waitFor();

  // Unlock: three wrong passwords lock the new user; the administrator unlocks them.
  assert.equal(await page.locator('#user-unlock').count(), 0, 'no unlock while not locked');
  for (let i = 0; i < 3; i++) {
    await fetch(`${base}/bo/api/session`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ login, password: `not the password ${i}` }),
    });
  }
  await page.reload();
  await page.locator('#user-unlock').waitFor();
  assert.match(await page.locator('#user-details').textContent(), /Verrouillé/);
  await shot(page, 'users-details-locked');
  await page.locator('#user-unlock').click();
  await page.locator('#confirm-dialog-ok').click();
  await page.locator('#users-status', { hasText: 'déverrouillé' }).waitFor();
  assert.equal(await page.locator('#user-unlock').count(), 0);

  // Locked again, a new password unlocks too (Vision manual §1: a locked user asks for one).
  for (let i = 0; i < 3; i++) {
    await fetch(`${base}/bo/api/session`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ login, password: `still not the password ${i}` }),
    });
  }
  await page.reload();
  await page.locator('#user-unlock').waitFor();
  await page.locator('#user-reset').click();
  await page.locator('#confirm-dialog', { hasText: 'verrouillé est aussi déverrouillé' }).waitFor();
  await page.locator('#confirm-dialog-ok').click();
  await page.locator('#users-status', { hasText: 'aussi déverrouillé' }).waitFor();
  assert.equal(await page.locator('#user-unlock').count(), 0);
  assert.doesNotMatch(await page.locator('#user-details').textContent(), /Verrouillé/);
  await page.context().close();
});

test('a consultation user has no Users menu, and the page sends them to their landing page', async () => {
  const page = await signedIn('consultation');
  const menu = await page.locator('nav .nav-link').allTextContents();
  assert.ok(!menu.includes('Utilisateurs') && !menu.includes('Users'));
  assert.ok(!menu.includes('Suivi des actions') && !menu.includes('Action log'));
  await page.goto(`${base}/#/users`);
  await page.waitForURL((url) => !url.hash.startsWith('#/users'));
  await page.context().close();
});

test('Action log: the sign-ins, a search by action, more pages, and the CSV export', async () => {
  const page = await signedIn('admin');
  await page.goto(`${base}/#/actions`);
  await page.locator('#actions-table').waitFor();
  assert.equal(await heading(page), 'Suivi des actions');
  const actions = await page.locator('#actions-rows tr').evaluateAll((trs) => trs.map((tr) => tr.dataset.action));
  assert.ok(actions.includes('sign_in'), 'the sign-ins are listed');
  assert.ok(actions.includes('user_created'), 'the user changes are listed');
  const rows = await page.locator('#actions-rows tr').count();
  assert.equal(await page.locator('#actions-more').isVisible(), rows === 100);
  // A user change names the user it was done to, and what changed, in the reader's language.
  const change = page.locator('#actions-rows tr[data-action="user_updated"]', {
    hasText: 'Profil : Consultation → Consultation + Action',
  });
  assert.equal(await change.count(), 1);
  assert.match(await change.locator('.target-login').textContent(), /^e2e\.user\d+$/);
  assert.equal(await page.locator('#actions-table thead').getByText('Utilisateur concerné').count(), 1);
  await shot(page, 'actions');

  // Only the sign-ins of the administrator.
  const adminId = await page.evaluate(async () => (await (await fetch('/bo/api/me')).json()).id);
  await page.locator('#actions-user').selectOption(String(adminId));
  await page.locator('#actions-action').selectOption('sign_in');
  await page.locator('#actions-search').click();
  await page.locator('#actions-summary', { hasText: 'affichée' }).waitFor();
  await page.waitForFunction(() =>
    Array.from(document.querySelectorAll('#actions-rows tr')).every((tr) => tr.dataset.action === 'sign_in'),
  );
  const logins = await page.locator('#actions-rows tr .user-login').allTextContents();
  assert.ok(logins.length > 0 && logins.every((l) => l === user('admin').login));

  // The export: the same search as a file, in the layouts of the journals' exports, the
  // spreadsheet's first: labels and names in French, ';', a BOM, the dates as France writes them.
  assert.equal(await page.locator('#actions-export-layout').inputValue(), 'classic');
  const href = await page.locator('#actions-export-csv').getAttribute('href');
  assert.match(href, /^\/bo\/api\/actions\/export\?from=\d{4}-\d{2}-\d{2}&to=\d{4}-\d{2}-\d{2}&user=\d+&action=sign_in&layout=classic&format=csv$/);
  let [download] = await Promise.all([page.waitForEvent('download'), page.locator('#actions-export-csv').click()]);
  assert.match(download.suggestedFilename(), /^actions_\d{4}-\d{2}-\d{2}_\d{4}-\d{2}-\d{2}\.csv$/);
  const sheet = fs.readFileSync(await download.path(), 'utf8');
  assert.ok(sheet.startsWith('\ufeff'), 'a BOM first');
  const sheetRows = sheet.slice(1).split('\r\n').filter(Boolean);
  assert.equal(sheetRows[0], 'Date et heure;Identifiant;Nom;Adresse e-mail;Action;Utilisateur concerné;Détails;Nombre');
  assert.equal(sheetRows.length - 1, logins.length, 'one line per action shown');
  for (const line of sheetRows.slice(1)) assert.match(line, /^\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}:\d{2};[^;]+;.*;Connexion;/);
  // For scripts: the machine's file, its keys and codes, RFC 3339 instants.
  await page.locator('#actions-export-layout').selectOption('machine');
  assert.match(await page.locator('#actions-export-csv').getAttribute('href'), /&layout=machine&format=csv$/);
  [download] = await Promise.all([page.waitForEvent('download'), page.locator('#actions-export-csv').click()]);
  assert.equal(download.suggestedFilename(), 'actions.csv');
  const csv = fs.readFileSync(await download.path(), 'utf8');
  const lines = csv.split('\r\n').filter(Boolean);
  assert.equal(lines[0], 'date,login,name,email,action,target,details,count');
  assert.equal(lines.length - 1, logins.length, 'one line per action shown');
  for (const line of lines.slice(1)) assert.match(line, /^\d{4}-\d{2}-\d{2}T[^,]+,[^,]+,.*,sign_in,/);
  assert.match(await page.locator('#actions-export-txt').getAttribute('href'), /&layout=machine&format=txt$/);

  // A period the wrong way round is refused before asking the server.
  await page.locator('#actions-from').fill('2026-02-01');
  await page.locator('#actions-to').fill('2026-01-01');
  await page.locator('#actions-search').click();
  await page.locator('#actions-error:not([hidden])').waitFor();
  await page.context().close();
});
