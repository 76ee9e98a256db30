// Create production account (Ingenico guide §3.2.9 "Créer compte réel"; docs/ENVIRONMENTS.md):
// under the account, for the brand's administrator of a test session only; the page says what
// is copied and what is not, asks before copying, then lists what must be set again in
// production with a link to each page. A production session is not offered it.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { base, inFrench, NEW_PASSWORD, shot, shown, signedIn, sql, user } from '../harness.mjs';

async function signInToTest(page, login) {
  await page.locator('#signout').click();
  await page.locator('#signin-form').waitFor();
  await page.locator('#signin-env-test').check();
  if (await page.locator('#signin-login').isHidden()) await page.locator('#signin-mode').click();
  await page.locator('#signin-login').fill(login);
  await page.locator('#signin-password').fill(NEW_PASSWORD);
  await page.locator('#signin-form button[type=submit]').click();
  await page.waitForSelector('nav .nav-link');
  await page.locator('#env-banner').waitFor();
}

const copies = () => Number(sql("SELECT count(*) FROM action_log WHERE action = 'production_account_created'"));

test('production account: offered in test only, confirmed, then what to set again', async () => {
  const page = await inFrench(await signedIn('admin'));
  // Production: the account page has no such card, and the page says to sign in to test.
  await page.goto(`${base}/#/account`);
  await shown(page, '#/account');
  assert.equal(await page.locator('#account-production').count(), 0);
  await page.goto(`${base}/#/production-account`);
  await shown(page, '#/production-account');
  await page.locator('#prodacct-only-test').waitFor();
  assert.equal(await page.locator('#prodacct-submit').count(), 0);

  // Test: a setting changed there, to be copied.
  await signInToTest(page, user('admin').login);
  const shop = sql('SELECT min(id) FROM shop WHERE brand_id = -1');
  const status = await page.evaluate(async (id) => (await fetch(`/bo/api/shops/${id}/settings`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': localStorage.getItem('guichet.csrf') },
    body: JSON.stringify({ version: 0, ticket_email: 'recette@boutique.example' }),
  })).status, shop);
  assert.equal(status, 200);
  await page.goto(`${base}/#/account`);
  await shown(page, '#/account');
  await page.locator('#account-production').waitFor();
  await shot(page, 'account-production-link');
  await page.locator('#account-production-link').click();
  await shown(page, '#/production-account');
  await page.locator('#prodacct-plan').waitFor();
  assert.match(await page.locator('#prodacct-intro').textContent(), /GUICHETDEMO\/TEST.*GUICHETDEMO/);
  assert.equal(await page.locator('#prodacct-copied li').count(), 6);
  assert.match(await page.locator('#prodacct-copied li[data-item=shop_settings]').textContent(), /1 dans le compte de test/);
  assert.equal(await page.locator('#prodacct-not-copied li').count(), 10);
  assert.match(await page.locator('#prodacct-not-copied li[data-item=vat_number]').textContent(), /Numéro de TVA/);
  await shot(page, 'production-account-plan');

  // Cancelled: nothing copied.
  const before = copies();
  await page.locator('#prodacct-submit').click();
  await page.locator('#confirm-dialog').waitFor();
  await shot(page, 'production-account-confirm');
  await page.locator('#confirm-dialog-cancel').click();
  assert.equal(copies(), before);

  // Confirmed: copied, and the list of what to set again, with links.
  await page.locator('#prodacct-submit').click();
  await page.locator('#confirm-dialog-ok').click();
  await page.locator('#prodacct-result').waitFor();
  assert.match(await page.locator('#prodacct-done').textContent(), /copiée dans le compte de production GUICHETDEMO/);
  assert.match(await page.locator('#prodacct-written li[data-item=shop_settings]').textContent(), /1 élément/);
  assert.equal(await page.locator('#prodacct-again li').count(), 10);
  assert.equal(await page.locator('#prodacct-again li[data-item=payment_methods] a').getAttribute('href'), '#/contracts');
  assert.equal(await page.locator('#prodacct-again li[data-item=users] a').getAttribute('href'), '#/users');
  assert.equal(await page.locator('#prodacct-again li[data-item=billing] a').count(), 0);
  await shot(page, 'production-account-done');
  assert.equal(copies(), before + 1);
  const prod = sql(`SELECT ticket_email FROM shop_settings WHERE brand_id = 1 AND shop_id = (SELECT twin_id FROM node WHERE id = ${shop})`);
  assert.equal(prod, 'recette@boutique.example');

  // In English too.
  const en = await page.evaluate(async () => (await fetch('/bo/api/me', {
    method: 'PATCH',
    headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': localStorage.getItem('guichet.csrf') },
    body: JSON.stringify({ language: 'en' }),
  })).status);
  assert.equal(en, 200);
  await page.reload();
  await page.locator('#prodacct-plan').waitFor();
  assert.equal((await page.locator('#prodacct-title').textContent()).trim(), 'Create production account');
  await shot(page, 'production-account-plan-en');
  await inFrench(page);
  await page.context().close();
});

test('production account: a new one under another account id, its administrator and SITE/RANG asked', async () => {
  const page = await inFrench(await signedIn('admin'));
  await signInToTest(page, user('admin').login);
  await page.goto(`${base}/#/production-account`);
  await shown(page, '#/production-account');
  await page.locator('#prodacct-plan').waitFor();
  // The brand's own production account by default; the new one's fields once chosen.
  assert.equal(await page.locator('#prodacct-target-own').isChecked(), true);
  assert.equal(await page.locator('#prodacct-new').isHidden(), true);
  await page.locator('#prodacct-target-new').check();
  await page.locator('#prodacct-new').waitFor();
  const shops = sql('SELECT id FROM shop WHERE brand_id = -1 ORDER BY id').split('\n').map(Number);
  assert.equal(await page.locator('#prodacct-shops tbody tr').count(), shops.length);

  // Nothing filled: every missing field flagged at once, nothing asked or sent.
  const brands = () => Number(sql('SELECT count(*) FROM brand'));
  const before = brands();
  await page.locator('#prodacct-submit').click();
  assert.equal(await page.locator('#prodacct-account-id').getAttribute('aria-invalid'), 'true');
  assert.equal(await page.locator('#prodacct-admin-login').getAttribute('aria-invalid'), 'true');
  assert.equal(await page.locator('#confirm-dialog').count(), 0);

  // Filled, one SITE and RANG production has: the server names the shop, nothing made.
  await page.locator('#prodacct-account-id').fill('COMPTENEUF');
  await page.locator('#prodacct-admin-login').fill('compteneuf.admin');
  await page.locator('#prodacct-admin-email').fill('compteneuf@example.com');
  const [psite, prang] = sql('SELECT site, rang FROM shop WHERE brand_id = 1 ORDER BY id LIMIT 1').split('|');
  for (const [i, id] of shops.entries()) {
    await page.locator(`#prodacct-site-${id}`).fill(i === 0 ? psite : String(8700000 + i));
    await page.locator(`#prodacct-rang-${id}`).fill(i === 0 ? prang : '01');
  }
  await page.locator('#prodacct-submit').click();
  await page.locator('#confirm-dialog-ok').click();
  await page.locator('#prodacct-error').waitFor();
  assert.match(await page.locator('#prodacct-error').textContent(), /SITE et le RANG d’une autre boutique/);
  assert.equal(await page.locator(`#prodacct-shops tr[data-shop="${shops[0]}"]`).getAttribute('class'), 'row--invalid');
  assert.equal(brands(), before);
  await shot(page, 'production-account-new-refused');

  // Corrected: made, its administrator told.
  await page.locator(`#prodacct-site-${shops[0]}`).fill('8700000');
  await page.locator(`#prodacct-rang-${shops[0]}`).fill('01');
  await page.locator('#prodacct-submit').click();
  assert.match(await page.locator('#confirm-dialog').textContent(), /COMPTENEUF/);
  await page.locator('#confirm-dialog-ok').click();
  await page.locator('#prodacct-result').waitFor();
  assert.match(await page.locator('#prodacct-done').textContent(), /COMPTENEUF a été créé.*compteneuf\.admin.*compteneuf@example\.com/);
  assert.equal(brands(), before + 2); // the account and its test environment
  // What is left to set is the new account's, without links into this session's pages.
  assert.match(await page.locator('#prodacct-result').textContent(), /l’administrateur du compte COMPTENEUF/);
  assert.equal(await page.locator('#prodacct-again li').count(), 10);
  assert.equal(await page.locator('#prodacct-again a').count(), 0);
  assert.equal(sql("SELECT count(*) FROM shop s JOIN brand b ON b.id = s.brand_id WHERE b.pspid = 'COMPTENEUF' AND s.site LIKE '870000%'"), String(shops.length));
  await shot(page, 'production-account-new-done');
  await page.context().close();
});
