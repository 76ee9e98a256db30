// The tabs of one browser share the session (docs/WEB.md "Navigation"): a new tab opens signed
// in and may change things; a sign-out in one tab sends the others to the sign-in page without
// a reload; a sign-in in one takes the others out of the sign-in page. Nobody is asked to sign
// in again, nor counted as another device, for opening a tab.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { base, heading, inFrench, NEW_PASSWORD, newPage, shot, signedIn, signIn, user } from '../harness.mjs';

const patchPrefs = (page) =>
  page.evaluate(async () => {
    const r = await fetch('/bo/api/me/preferences', {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': localStorage.getItem('guichet.csrf') },
      body: '{}',
    });
    return r.status;
  });

test('a second tab works in the same session, and signing out or in is seen by both', async () => {
  const first = await inFrench(await signedIn('action'));
  const context = first.context();

  // A new tab, straight to a page: no sign-in asked, and changes go through.
  const second = await newPage(context);
  await second.goto(`${base}/#/transactions`);
  await second.locator('nav .nav-link').first().waitFor();
  await second.locator('main h1').waitFor();
  assert.equal(await heading(second), 'Transactions');
  assert.equal(await patchPrefs(second), 200);
  assert.equal(await second.locator('#signin-form').count(), 0);
  await shot(second, 'second-tab-signed-in');

  // Sign-out in the first tab: the second is on the sign-in page at once, saying why.
  await first.locator('#signout').click();
  await first.locator('#signin-form').waitFor();
  await second.locator('#signin-form').waitFor();
  await second.locator('#signin-notice', { hasText: 'dans un autre onglet de ce navigateur' }).waitFor();
  assert.equal(await second.evaluate(() => localStorage.getItem('guichet.csrf')), null);
  await shot(second, 'second-tab-signed-out');

  // Sign-in in the second tab: the first leaves its sign-in page for the landing page.
  assert.equal(await signIn(second, user('action').login, NEW_PASSWORD), 200);
  await second.locator('nav .nav-link').first().waitFor();
  await first.locator('nav .nav-link').first().waitFor();
  await first.locator('main h1').waitFor();
  assert.equal(await first.locator('#signin-form').count(), 0);
  assert.equal(await patchPrefs(first), 200);
  await context.close();
});
