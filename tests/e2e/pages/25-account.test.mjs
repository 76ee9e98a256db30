// The account page (Ingenico guide 3.2.2; SPEC §14): the brand's account id and its retention
// of payment data, which a brand administrator changes, a shorter one only once confirmed.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { base, heading, shot, signedIn } from '../harness.mjs';

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
