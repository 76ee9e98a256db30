// Accounts (issue 17; README "Users", "Sign-in"): every missing field flagged at once beside
// it, required fields marked; a user deactivated (kept, refused at sign-in) and reactivated;
// the warning before the third failed sign-in; the entry operator's landing page.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { base, browser, heading, inFrench, mailsTo, newPage, shot, signedIn, signIn, user } from '../harness.mjs';

/** The shown error lines of a form's fields, by the control's id. */
async function fieldErrors(page) {
  return page
    .locator('.field-error:not([hidden])')
    .evaluateAll((ps) => Object.fromEntries(ps.map((p) => [p.id.replace(/-error$/, ''), p.textContent])));
}

test('Users: every missing field at once, required fields marked, then the server’s own errors', async () => {
  const page = await inFrench(await signedIn('admin')); // run.mjs left it in English
  await page.goto(`${base}/#/users/new`);
  await page.locator('#user-edit-title', { hasText: 'Créer' }).waitFor();
  // The marks and their legend.
  assert.match(await page.locator('.form-legend').textContent(), /Champ obligatoire/);
  for (const id of ['uf-login', 'uf-name', 'uf-email', 'uf-profile']) {
    assert.equal(await page.locator(`label[for=${id}] + .required-mark`).count(), 1, id);
    assert.equal(await page.locator(`#${id}`).getAttribute('aria-required'), 'true', id);
  }
  assert.equal(await page.locator('label[for=uf-mobile] + .required-mark').count(), 0);
  assert.equal(await page.getByLabel('Nom', { exact: true }).count(), 1); // the mark is no part of the name
  // Nothing filled: the four at once, beside each, and the first one focused.
  await page.locator('#user-save').click();
  await page.locator('#user-form-error', { hasText: '4 champs à corriger' }).waitFor();
  const errors = await fieldErrors(page);
  assert.deepEqual(Object.keys(errors).sort(), ['uf-email', 'uf-login', 'uf-name', 'uf-profile']);
  assert.match(errors['uf-name'], /Renseignez ce champ : Nom/);
  for (const id of Object.keys(errors)) assert.equal(await page.locator(`#${id}`).getAttribute('aria-invalid'), 'true');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'uf-login');
  await shot(page, 'accounts-required-at-once');
  // Two wrong values: the server answers both (its "errors"), each beside its field.
  await page.locator('#uf-login').fill('Pas Bon');
  await page.locator('#uf-name').fill('Léa Deux-Erreurs');
  await page.locator('#uf-email').fill('lea-sans-arobase');
  await page.locator('#uf-profile').selectOption('consultation');
  await page.locator('#user-save').click();
  await page.locator('#confirm-dialog-ok').click();
  await page.locator('#user-form-error', { hasText: '2 champs à corriger' }).waitFor();
  const server = await fieldErrors(page);
  assert.deepEqual(Object.keys(server).sort(), ['uf-email', 'uf-login']);
  assert.match(server['uf-email'], /adresse e-mail n’est pas valide/);
  assert.match(server['uf-login'], /3 à 64 caractères/);
  assert.equal(await page.locator('#uf-name').getAttribute('aria-invalid'), null);
  await shot(page, 'accounts-server-errors');

  // Personal information: both required fields at once.
  await page.goto(`${base}/#/me`);
  await page.locator('#me-form').waitFor();
  await page.locator('#me-name').fill('');
  await page.locator('#me-email').fill('');
  await page.locator('#me-form button[type=submit]').click();
  await page.locator('#me-form .error', { hasText: '2 champs à corriger' }).waitFor();
  assert.deepEqual(Object.keys(await fieldErrors(page)).sort(), ['me-email', 'me-name']);
  await shot(page, 'accounts-me-required');
  await page.context().close();
});

test('Users: deactivate a user (kept, listed as such, refused at sign-in), then reactivate', async () => {
  const page = await inFrench(await signedIn('admin'));
  const login = `e2e.inactif${Date.now() % 100000}`;
  const email = `${login}@maison-guichet.example`;
  await page.goto(`${base}/#/users/new`);
  await page.locator('#uf-login').fill(login);
  await page.locator('#uf-name').fill('Inès Active');
  await page.locator('#uf-email').fill(email);
  await page.locator('#uf-profile').selectOption('consultation');
  await page.locator('#user-save').click();
  await page.locator('#confirm-dialog-ok').click();
  await page.locator('#user-title', { hasText: login }).waitFor();
  const [mail] = await mailsTo(email);
  const temporary = mail.body.match(/Mot de passe provisoire : (\S+)/)[1];

  // No deactivation of oneself: the administrator's own page has no button.
  // Deactivate, after a confirmation that says what it does.
  await page.locator('#user-deactivate').click();
  await page.locator('#confirm-dialog', { hasText: 'ne pourra plus se connecter' }).waitFor();
  await shot(page, 'accounts-deactivate-confirm');
  await page.locator('#confirm-dialog-ok').click();
  await page.locator('#users-status', { hasText: 'est désactivé' }).waitFor();
  assert.match(await page.locator('#user-details').textContent(), /Désactivé/);
  assert.equal(await page.locator('#user-deactivate').count(), 0);
  await page.locator('#user-reactivate').waitFor();
  await shot(page, 'accounts-deactivated');

  // Listed as deactivated; the list shows the active ones, the deactivated, or all.
  await page.goto(`${base}/#/users`);
  await page.locator('#users-table').waitFor();
  const row = page.locator(`#users-table tr[data-login="${login}"]`);
  assert.match(await row.textContent(), /Désactivé/);
  await page.locator('#users-show').selectOption('inactive');
  assert.deepEqual(
    await page.locator('#users-table tbody tr:visible').evaluateAll((trs) => trs.map((tr) => tr.dataset.login)),
    [login],
  );
  await shot(page, 'accounts-list-inactive');
  await page.locator('#users-show').selectOption('active');
  assert.equal(await row.isVisible(), false);
  assert.equal(await page.locator(`#users-table tr[data-login="${user('admin').login}"]`).isVisible(), true);

  // Its sign-in: the right password is told the account is deactivated.
  const other = await newPage(await browser.newContext());
  assert.equal(await signIn(other, login, temporary), 403);
  await other.locator('#signin-error', { hasText: 'Ce compte est désactivé' }).waitFor();
  await shot(other, 'accounts-signin-deactivated');

  // The action log names both changes.
  await page.goto(`${base}/#/actions`);
  await page.locator('#actions-table').waitFor();
  assert.match(await page.locator('#actions-table').textContent(), /Utilisateur : désactivation/);

  // Reactivated: the sign-in goes on to the password change.
  await page.goto(`${base}/#/users`);
  await page.locator(`#users-table tr[data-login="${login}"] a`).click();
  await page.locator('#user-reactivate').click();
  await page.locator('#confirm-dialog-ok').click();
  await page.locator('#users-status', { hasText: 'est réactivé' }).waitFor();
  assert.equal(await signIn(other, login, temporary), 200);
  await other.locator('#password-old').waitFor();
  await other.context().close();
  await page.context().close();
});

test('Sign-in: the lockout rule after a failure, the last attempt before the third', async () => {
  // An unknown login: the server answers it as a wrong password, and the page warns the
  // same (it counts its own refusals; no login is found by the answers).
  const page = await newPage(await browser.newContext());
  assert.equal(await signIn(page, 'personne.inconnue', 'Pas le bon 2026'), 401);
  await page.locator('#signin-error', { hasText: 'après 3 échecs de suite' }).waitFor();
  assert.equal(await signIn(page, 'personne.inconnue', 'Pas le bon 2026'), 401);
  // signIn() reloads the page: the count lives in the page, so the second refusal here is
  // the first again; two in a row on one page give the last warning.
  await page.locator('#signin-password').fill('Pas le bon 2027');
  const answer = page.waitForResponse((r) => r.url() === `${base}/bo/api/session`);
  await page.locator('#signin-form button[type=submit]').click();
  assert.equal((await answer).status(), 401);
  await page.locator('#signin-error', { hasText: 'Il ne vous reste au plus qu’un essai' }).waitFor();
  assert.match(await heading(page), /^Connexion/);
  await shot(page, 'accounts-signin-last-attempt');
  await page.context().close();
});

test('the entry operator lands on manual entry, or on the landing page they chose', async () => {
  // run.mjs locked the entry user on purpose: an administrator unlocks it first.
  const admin = await signedIn('admin');
  const entry = (await (await admin.request.get(`${base}/bo/api/users`)).json()).items.find((u) => u.login === user('entry').login);
  const unlocked = await admin.request.post(`${base}/bo/api/users/${entry.id}/unlock`, {
    headers: { 'X-CSRF-Token': await admin.evaluate(() => localStorage.getItem('guichet.csrf')) },
  });
  assert.equal(unlocked.status(), 200);
  await admin.context().close();
  let page = await signedIn('entry');
  await page.waitForFunction(() => location.hash === '#/virtual-terminal');
  const set = (home) =>
    page.evaluate(async (h) => {
      const r = await fetch('/bo/api/me/preferences', {
        method: 'PATCH',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': localStorage.getItem('guichet.csrf') },
        body: JSON.stringify({ home: h }),
      });
      return r.status;
    }, home);
  assert.equal(await set('me'), 200);
  await page.context().close();
  page = await signedIn('entry');
  await page.waitForFunction(() => location.hash === '#/me');
  await shot(page, 'accounts-entry-chosen-landing');
  assert.equal(await set(null), 200);
  await page.context().close();
});
