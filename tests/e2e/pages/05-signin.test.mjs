// The sign-in page's second form (SPEC §3; Ingenico guide 3.2.1): account id (PSPID) + user
// id + password, a discreet switch away from the login form, the same next steps after, and
// the form kept in this browser for the next time.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { base, browser, heading, NEW_PASSWORD, newPage, shot, signIn, user } from '../harness.mjs';

// The demo brand's account id (`guichetd demo` without --pspid; README "guichetd").
const PSPID = 'GUICHETDEMO';

async function signInWithAccount(page, pspid, userId, password) {
  await page.locator('#signin-pspid').fill(pspid);
  await page.locator('#signin-user-id').fill(userId);
  await page.locator('#signin-password').fill(password);
  const answer = page.waitForResponse(
    (r) => r.url() === `${base}/bo/api/session` && r.request().method() === 'POST',
  );
  await page.locator('#signin-form button[type=submit]').click();
  const r = await answer;
  return { status: r.status(), body: r.request().postDataJSON() };
}

test('the account-id form: PSPID + user id + password, then the same first-sign-in steps', async () => {
  const u = user('hmac'); // first sign-in here: 50-profiles signs in with NEW_PASSWORD after
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await newPage(context);
  await page.goto(`${base}/#/signin`);
  await page.locator('#signin-form').waitFor();

  // The login form comes first; the switch is a quiet link under it.
  assert.ok(await page.locator('#signin-login').isVisible());
  assert.ok(await page.locator('#signin-pspid').isHidden());
  assert.equal(await page.locator('#signin-mode').textContent(), 'Se connecter avec un compte (PSPID) et un utilisateur');
  await page.locator('#signin-mode').click();
  assert.ok(await page.locator('#signin-login').isHidden());
  assert.equal(await page.getByLabel('Compte (PSPID)').count(), 1);
  assert.equal(await page.getByLabel('Utilisateur (USERID)').count(), 1);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'signin-pspid');
  assert.match(await page.locator('#signin-intro').textContent(), /PSPID/);
  await shot(page, 'signin-account-form');

  // An empty user id is caught before asking the server.
  await page.locator('#signin-pspid').fill(PSPID);
  await page.locator('#signin-password').fill(u.password);
  await page.locator('#signin-form button[type=submit]').click();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'signin-user-id');

  // Another account's id with this user: refused like a wrong password.
  let r = await signInWithAccount(page, 'OTHERBRAND', u.login, u.password);
  assert.equal(r.status, 401);
  assert.deepEqual(Object.keys(r.body).sort(), ['device', 'password', 'pspid', 'user_id']);
  await page.locator('#signin-error', { hasText: 'Identifiant ou mot de passe incorrect.' }).waitFor();

  r = await signInWithAccount(page, PSPID, u.login, u.password);
  assert.equal(r.status, 200);
  await page.locator('#password-form').waitFor();
  assert.equal(await heading(page), 'Modifier son mot de passe');
  await page.locator('#password-old').fill(u.password);
  await page.locator('#password-new').fill(NEW_PASSWORD);
  await page.locator('#password-confirm').fill(NEW_PASSWORD);
  await page.locator('#password-submit').click();
  await page.locator('#terms-accept').click();
  await page.locator('nav .nav-link').first().waitFor(); // the landing page of the profile
  assert.deepEqual(await page.locator('nav .nav-link').allTextContents(), [
    'Accueil', 'Clé HMAC', 'Informations personnelles',
  ]);

  // Signed out, this browser shows the account-id form again, the switch leads back.
  await page.locator('#signout').click();
  await page.locator('#signin-notice', { hasText: 'Vous êtes déconnecté.' }).waitFor();
  assert.ok(await page.locator('#signin-pspid').isVisible());
  assert.equal(await page.locator('#signin-mode').textContent(), 'Se connecter avec un identifiant');
  r = await signInWithAccount(page, PSPID, u.login, NEW_PASSWORD);
  assert.equal(r.status, 200);
  await page.locator('#signout').waitFor();
  await page.locator('#signout').click();
  await page.locator('#signin-notice').waitFor();

  // English too.
  await page.locator('#signin-language').selectOption('en');
  await page.locator('#signin-title', { hasText: 'Sign in to the back office' }).waitFor();
  assert.equal(await page.getByLabel('Account (PSPID)').count(), 1);
  assert.equal(await page.locator('#signin-mode').textContent(), 'Sign in with a login');
  await page.locator('#signin-language').selectOption('fr');
  await page.locator('#signin-title', { hasText: 'Connexion au back office' }).waitFor();

  // The harness's signIn() switches back to the login form by itself.
  assert.equal(await signIn(page, u.login, NEW_PASSWORD), 200);
  await page.locator('#signout').waitFor();
  await context.close();
});
