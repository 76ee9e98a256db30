// The batches page (Vision manual §5) and the contracts page (§9.2): the batch journal as
// the API answers it (the demo comes with the batches of its history), the link from a batch
// to its transactions under the batch's header (its number, contract, bank date, count and
// totals) with the way back, the contracts list, a contract's details in tabs, and the link
// from a contract to its batches.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { base, dayValue, now, shot, showFilters, signedIn as harnessSignedIn } from '../harness.mjs';

/** signedIn(), then waits for the landing page: the harness returns as soon as a heading shows,
 * which the sign-in page has too, and the landing redirect would then undo a navigation. */
async function signedIn(profile) {
  const page = await harnessSignedIn(profile);
  await page.locator('nav .nav-link').first().waitFor();
  return page;
}

function day(offsetDays = 0, months = 0) {
  const d = new Date(now());
  d.setUTCDate(d.getUTCDate() + offsetDays);
  d.setUTCMonth(d.getUTCMonth() + months);
  return d.toISOString().slice(0, 10);
}

async function api(page, path) {
  const r = await page.request.get(`${base}${path}`);
  return { status: r.status(), body: r.status() === 200 ? await r.json() : await r.text() };
}

test('batches: the journal is what the API answers, and a batch links to its transactions', async () => {
  const page = await signedIn('consultation');
  await page.locator('nav .nav-link', { hasText: 'Remises' }).click();
  await page.locator('#b-title').waitFor();
  await page.locator('#b-period').selectOption('13m');
  await page.locator('#b-submit').click();
  await page.waitForFunction(() => /ligne|Aucun/.test(document.querySelector('#b-count').textContent));
  const from = await dayValue(page.locator('#b-from'));
  const to = await dayValue(page.locator('#b-to'));
  const { status, body } = await api(page, `/bo/api/batches?from=${from}&to=${to}&limit=50`);
  assert.equal(status, 200);
  const ids = await page.locator('#b-journal tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.id));
  assert.deepEqual(ids, body.items.map((b) => String(b.id)));
  await shot(page, 'batches');
  // The demo's history comes with its batches.
  assert.ok(body.items.length > 0, 'the demo has batches');
  // A batch's "Transactions" link: the transactions page searching its number and contract,
  // under its header.
  const first = body.items[0];
  await page.locator(`[data-batch="${first.id}"]`).click();
  await page.locator('#tx-title').waitFor();
  assert.equal(await page.locator('#tx-batch').inputValue(), String(first.number));
  assert.equal(await page.locator('#tx-contract').inputValue(), first.contract);
  await page.locator('#tx-batch-title').waitFor();
  assert.equal(await page.locator('#tx-batch-number').textContent(), String(first.number));
  assert.match(await page.locator('#tx-batch-contract').textContent(), new RegExp(`${first.contract} / ${first.rang}`));
  assert.equal((await page.locator('#tx-batch-count').textContent()).replace(/\s/g, ''), String(first.transaction_count));
  await page.locator('#tx-count', { hasText: /ligne/ }).waitFor();
  const rows = await page.locator('#tx-journal tbody tr').count();
  assert.equal(rows, Math.min(first.transaction_count, 50));
  // The hash names the batch itself too; the API finds the same transactions.
  const hash = new URLSearchParams((await page.evaluate(() => window.location.hash)).split('?')[1]);
  assert.equal(hash.get('batch_id'), String(first.id));
  const txns = await api(page, `/bo/api/transactions?from=${hash.get('from')}&to=${hash.get('to')}&batch=${first.number}&contract=${first.contract}&limit=500`);
  assert.equal(txns.status, 200);
  assert.equal(txns.body.items.length, first.transaction_count);
  assert.ok(txns.body.items.every((t) => t.batch_number === first.number && t.batch_id === first.id));
  await shot(page, 'batch-transactions');
  // A transaction's details show the same number, linked.
  await page.locator('#tx-journal [data-details]').first().click();
  await page.locator('#tx-d-batch').waitFor();
  assert.equal(await page.locator('#tx-d-batch').textContent(), String(first.number));
  await shot(page, 'batch-transaction-details');
  await page.locator('#details-close').click();
  // The way back: the batches page on that batch's day and contract.
  await page.locator('#tx-batch-back').click();
  await page.locator('#b-title').waitFor();
  await page.locator(`#b-journal tbody tr[data-id="${first.id}"]`).waitFor();
  assert.equal(await page.locator('#b-contract').inputValue(), first.contract);
  await shot(page, 'batch-back');
  // A bad rang is caught before asking the server.
  await page.goto(`${base}/#/batches`);
  await showFilters(page, 'b');
  await page.locator('#b-rang').fill('12');
  await page.locator('#b-submit').click();
  await page.locator('#b-error', { hasText: '3 chiffres' }).waitFor();
  await page.context().close();
});

test('contracts: the list, a contract in tabs, and its batches', async () => {
  const page = await signedIn('consultation');
  await page.locator('nav .nav-link', { hasText: 'Contrats' }).click();
  await page.locator('#c-title').waitFor();
  const { status, body } = await api(page, '/bo/api/contracts');
  if (status === 404) {
    await page.locator('#c-missing').waitFor();
    await shot(page, 'contracts-missing');
    await page.context().close();
    return;
  }
  assert.equal(status, 200);
  await page.locator('#c-list tbody tr').first().waitFor();
  assert.equal(await page.locator('#c-list tbody tr').count(), body.items.length);
  const first = body.items[0];
  const row = page.locator(`#c-list tbody tr[data-id="${first.id}"]`);
  assert.match(await row.textContent(), new RegExp(`${first.number}.*${first.rang}.*${first.payment_method}`));
  assert.match(await row.textContent(), first.active ? /Actif/ : /Inactif/);
  await shot(page, 'contracts');
  // The same contracts as a file: one line each after the header; for a spreadsheet by
  // default (the labels, ';' in French), or for scripts (the keys).
  for (const [layout, head] of [['classic', /^Magasin.Site.Rang.Moyen de paiement.Numéro de contrat/], ['machine', /^shop.site.rang.payment_method.number/]]) {
    await page.locator('#c-export-layout').selectOption(layout);
    for (const format of ['csv', 'txt']) {
      const link = page.locator(`#c-export-${format}`);
      assert.equal(await link.isVisible(), true);
      const href = await link.getAttribute('href');
      assert.match(href, new RegExp(`^/bo/api/contracts/export\\?.*layout=${layout}.*format=${format}`));
      const file = await page.request.get(`${base}${href}`);
      assert.equal(file.status(), 200);
      const bytes = await file.body(); // text() would drop the BOM
      assert.equal(bytes.subarray(0, 3).toString('hex') === 'efbbbf', layout === 'classic');
      const lines = bytes.toString('utf8').replace(/^\ufeff/, '').trim().split(/\r?\n/);
      assert.equal(lines.length, body.items.length + 1);
      assert.match(lines[0], head);
      if (layout === 'classic' && format === 'csv') assert.match(lines[0], /;État;/);
    }
  }

  await row.locator('[data-details]').click();
  await page.locator('#c-details').waitFor();
  assert.equal(await page.locator('#cd-number').textContent(), first.number);
  const tabs = await page.locator('#c-details [role=tab]').allTextContents();
  assert.deepEqual(tabs, ['Général', 'Offres et 3-D Secure', 'Télécollecte', 'Filtres anti-fraude']);
  await shot(page, 'contract-details');
  await page.locator('#c-tab-offers').click();
  await page.locator('#cd-tds').waitFor();
  await page.keyboard.press('ArrowRight');
  await page.locator('#cd-last-batch').waitFor();
  await page.keyboard.press('ArrowRight');
  // The demo's contracts have no anti-fraud filter on (87-risk edits them).
  const filters = (await api(page, `/bo/api/contracts/${first.id}`)).body.fraud_filters;
  assert.equal(filters.max_amount, null);
  assert.deepEqual(filters.blocked_card_countries, []);
  await page.locator('#cd-fraud-none', { hasText: 'Aucun filtre anti-fraude' }).waitFor();
  await page.locator('#ff-v-max-amount', { hasText: 'Pas de limite' }).waitFor();
  await shot(page, 'contract-fraud');

  // The contract's batches: the batches page searching it.
  await page.locator('#c-details-batches').click();
  await page.locator('#b-title').waitFor();
  assert.equal(await page.locator('#b-contract').inputValue(), first.number);
  await page.waitForFunction(() => /ligne|Aucun/.test(document.querySelector('#b-count').textContent));
  assert.equal(await page.locator('#c-details').count(), 0, 'the dialog closed with the navigation');
  await shot(page, 'contract-batches');
  await page.context().close();
});
