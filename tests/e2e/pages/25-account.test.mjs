// The account page (Ingenico guide 3.2.2; SPEC §14): the brand's account id and its retention
// of payment data, which a brand administrator changes, a shorter one only once confirmed.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { base, heading, NEW_PASSWORD, shot, signedIn, sql } from '../harness.mjs';

async function retention(page) {
  const r = await page.request.get(`${base}/bo/api/account`);
  assert.equal(r.status(), 200);
  return (await r.json()).retention_days;
}

test('account: the retention of payment data, shortened only once confirmed', async () => {
  const page = await signedIn('admin');
  await page.locator('nav .nav-link', { hasText: 'Compte' }).click();
  await page.locator('#account-title').waitFor();
  assert.equal(await heading(page), 'Compte');
  assert.equal(await page.locator('#account-pspid').textContent(), 'GUICHETDEMO');
  const before = await retention(page);
  assert.equal(await page.locator('#account-retention').inputValue(), String(before));
  await shot(page, 'account');

  // Out of range: said, nothing sent.
  await page.locator('#account-retention').fill('44');
  await page.locator('#account-save').click();
  await page.locator('#account-error').waitFor();
  assert.match(await page.locator('#account-error').textContent(), /45 à 540/);
  assert.equal(await retention(page), before);

  // Shorter: asked first; "Cancel" changes nothing, "Shorten" saves.
  await page.locator('#account-retention').fill('400');
  await page.locator('#account-save').click();
  await page.locator('#confirm-dialog').waitFor();
  await shot(page, 'account-confirm');
  await page.locator('#confirm-dialog-cancel').click();
  assert.equal(await retention(page), before);
  await page.locator('#account-save').click();
  await page.locator('#confirm-dialog-ok').click();
  await page.locator('#account-done:not([hidden])').waitFor();
  assert.equal(await retention(page), 400);

  // Longer: no question.
  await page.locator('#account-retention').fill(String(before));
  await page.locator('#account-save').click();
  await page.locator('#account-done', { hasText: String(before) }).waitFor();
  assert.equal(await retention(page), before);
  await page.context().close();
});

test('account: two-step sign-in required of every user, set up at the next page', async () => {
  const page = await signedIn('admin');
  const csrf = await page.evaluate(() => localStorage.getItem('guichet.csrf'));
  await page.goto(`${base}/#/account`);
  await page.locator('#account-sf-required').waitFor();
  assert.equal(await page.locator('#account-sf-required').isChecked(), false);
  await page.locator('#account-sf-required').check();
  await page.locator('#account-sf-save').click();
  await page.locator('#account-sf-done:not([hidden])').waitFor();
  // Saved (the page's own session is held from its next request on: read beside the server).
  assert.equal(sql("SELECT second_factor_required FROM brand WHERE pspid = 'GUICHETDEMO'"), '1');

  // The administrator has no second factor: the next page is the set-up step, and nothing else.
  await page.goto(`${base}/#/transactions`);
  await page.locator('#sf-setup-title').waitFor();
  assert.equal(await heading(page), 'Activez la validation en deux étapes');
  assert.equal(await page.locator('nav .nav-link').count(), 0);
  await shot(page, 'second-factor-setup');
  const held = await page.request.get(`${base}/bo/api/transactions?from=2026-01-01&to=2026-01-31`);
  assert.equal(held.status(), 403);
  assert.equal((await held.json()).error, 'set_up_second_factor');

  // The e-mailed code, turned on with the password: the step is over, on to the landing page.
  await page.locator('#me-sf-use-email').click();
  await page.locator('#me-sf-email-password').fill(NEW_PASSWORD);
  await page.locator('#me-sf-email-form-submit').click();
  await page.waitForSelector('nav .nav-link');
  assert.notEqual(await heading(page), 'Activez la validation en deux étapes');

  // Put back as it was for the other files: not required, no second factor.
  await page.goto(`${base}/#/account`);
  await page.locator('#account-sf-required').uncheck();
  await page.locator('#account-sf-save').click();
  await page.locator('#account-sf-done:not([hidden])').waitFor();
  assert.equal(sql("SELECT second_factor_required FROM brand WHERE pspid = 'GUICHETDEMO'"), '0');
  const off = await page.request.post(`${base}/bo/api/me/second-factor/disable`, {
    headers: { 'X-CSRF-Token': csrf },
    data: { password: NEW_PASSWORD },
  });
  assert.equal(off.status(), 200, await off.text());
  await page.context().close();
});
