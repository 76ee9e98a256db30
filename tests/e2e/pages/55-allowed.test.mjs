// The menu, the pages, Home's statistics and the operation buttons follow GET /bo/api/session's
// "allowed" (the server's route table, src/http/routes.c), not profile names: the same action
// user, given an answer with fewer routes, is offered less; given the real one, all again.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { base, now, shot, signedIn } from '../harness.mjs';

const WITHHELD = [
  'GET /bo/api/batches',
  'GET /bo/api/stats',
  'POST /bo/api/transactions/{id}/refund',
  'POST /bo/api/transactions/capture-all',
];

function day(offsetDays) {
  const d = new Date(now());
  d.setUTCDate(d.getUTCDate() + offsetDays);
  return d.toISOString().slice(0, 10);
}

async function menu(page) {
  await page.locator('nav .nav-link').first().waitFor();
  return page.locator('nav .nav-link').evaluateAll((links) => links.map((a) => a.getAttribute('href')));
}

/** The transactions page on one transaction, its details open: the operation buttons' ids. */
async function operations(page, id) {
  await page.goto(`${base}/#/transactions?from=${day(-400)}&to=${day(1)}&id=${id}`);
  await page.locator(`#tx-journal tbody tr[data-id="${id}"]`).waitFor();
  await page.locator(`[data-details="${id}"]`).click();
  await page.locator('#tx-details').waitFor();
  await page.locator('#ops-title').waitFor();
  const ops = await page.locator('.operations button').evaluateAll((bs) => bs.map((b) => b.id));
  const bulk = await page.locator('#tx-capture-all, #tx-send-all').evaluateAll((bs) => bs.map((b) => b.id));
  return { ops, bulk };
}

test('the menu and the buttons come from the session\'s allowed routes', async () => {
  const page = await signedIn('action');
  const full = await menu(page);
  assert.ok(full.includes('#/batches'), 'an action user has Batches');
  const found = await page.request.get(`${base}/bo/api/transactions?from=${day(-400)}&to=${day(1)}&limit=1`);
  const id = (await found.json()).items[0].id;
  const before = await operations(page, id);
  assert.deepEqual(before.ops, ['op-capture', 'op-cancel', 'op-refund', 'op-send', 'op-block-card']);
  assert.deepEqual(before.bulk, ['tx-capture-all', 'tx-send-all']);

  // From now on the server's answer names fewer routes.
  await page.route(`${base}/bo/api/session`, async (route) => {
    if (route.request().method() !== 'GET') return route.continue();
    const response = await route.fetch();
    const json = await response.json();
    assert.ok(Array.isArray(json.allowed), 'GET /bo/api/session lists the allowed routes');
    json.allowed = json.allowed.filter((r) => !WITHHELD.includes(r));
    return route.fulfill({ response, json });
  });
  await page.reload();
  const after = await operations(page, id);
  assert.deepEqual(after.ops, ['op-capture', 'op-cancel', 'op-send', 'op-block-card']);
  assert.deepEqual(after.bulk, ['tx-send-all']);
  assert.deepEqual(await menu(page), full.filter((href) => href !== '#/batches'));
  await shot(page, 'allowed-withheld');
  // Typed in the address bar, the page is not shown either.
  await page.goto(`${base}/#/batches`);
  await page.waitForFunction(() => !location.hash.startsWith('#/batches'));
  // Home without the statistics route: the welcome, no dashboard.
  await page.goto(`${base}/#/home`);
  await page.locator('#home-welcome').waitFor();
  assert.equal(await page.locator('#stats-print').count(), 0);

  await page.unroute(`${base}/bo/api/session`);
  await page.reload();
  assert.deepEqual(await operations(page, id), before);
  assert.deepEqual(await menu(page), full);
  await page.context().close();
});
