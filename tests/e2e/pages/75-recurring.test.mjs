// The installment plans and subscriptions pages (Vision manual §6.1, §7.1; SPEC §9): the
// journals against the API with their filters, the details with every debit made and to
// come, each made debit's link to its transaction and back, Terminate with its confirmation
// (and a reason for a subscription), the columns chooser and the export in the user's
// columns, and no Terminate for the consultation profile. The plans and subscriptions are
// made through the signed merchant API.
import crypto from 'node:crypto';
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { base, dayValue, demo, parisDay, shot, showFilters, signedIn as harnessSignedIn } from '../harness.mjs';

async function signedIn(profile) {
  const page = await harnessSignedIn(profile);
  await page.locator('nav .nav-link').first().waitFor();
  return page;
}

/** POST path of the merchant API (a creation: signed over the body). */
async function merchant(path, fields) {
  const shop = demo.shops[0];
  const body = JSON.stringify({
    currency: 'EUR',
    order_ref: `E2E-${crypto.randomUUID().slice(0, 8)}`,
    email: 'e2e.abonne@example.com',
    card: { number: '4111111111111111', expiry: '1230' },
    ...fields,
  });
  const sig = crypto
    .createHmac('sha512', Buffer.from(shop.hmac_key, 'hex'))
    .update(body)
    .digest('hex');
  const r = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Guichet-Site': shop.site, 'X-Guichet-Rang': shop.rang, 'X-Guichet-Signature': sig },
    body,
  });
  const answer = await r.text();
  assert.equal(r.status, 201, answer);
  return JSON.parse(answer);
}

const plan = (n, ref) =>
  merchant('/api/v1/installment-plans', {
    order_ref: ref,
    installments: Array.from({ length: n }, (_, k) => ({ amount: 2500 + k, date: parisDay(20 * k) })),
  });

const subscription = (ref) =>
  merchant('/api/v1/subscriptions', {
    order_ref: ref,
    initial_amount: 1900,
    amount: 990,
    count: 0,
    every_months: 1,
    day_of_month: 31,
    start: parisDay(1),
  });

async function api(page, path) {
  const r = await page.request.get(`${base}${path}`);
  assert.equal(r.status(), 200, `${path}: ${await r.text()}`);
  return r.json();
}

const rowIds = (page, table) => page.locator(`${table} tbody tr`).evaluateAll((rows) => rows.map((r) => r.dataset.id));

test('installment plans: the journal and its filters, the details, a debit\'s transaction, terminate', async () => {
  const tag = crypto.randomUUID().slice(0, 6).toUpperCase();
  const three = await plan(3, `PNF3-${tag}`);
  const four = await plan(4, `PNF4-${tag}`);
  const page = await signedIn('action');
  await page.locator('nav .nav-link', { hasText: 'Paiements N fois' }).click();
  await page.locator('#pl-title').waitFor();
  await page.locator('#pl-period').selectOption('13m');
  await page.locator('#pl-submit').click();
  await page.waitForFunction(() => /ligne|Aucun/.test(document.querySelector('#pl-count').textContent));
  const from = await dayValue(page.locator('#pl-from'));
  const to = await dayValue(page.locator('#pl-to'));
  const all = await api(page, `/bo/api/installment-plans?from=${from}&to=${to}&limit=50`);
  assert.deepEqual(await rowIds(page, '#pl-journal'), all.items.map((p) => p.id));
  assert.ok((await rowIds(page, '#pl-journal')).includes(three.id));
  await shot(page, 'installment-plans');

  // The filters: an order reference with a wildcard and the type (3 installments).
  await showFilters(page, 'pl');
  await page.locator('#pl-order-ref').fill(`%-${tag}`);
  await page.locator('#pl-type').selectOption('3');
  await page.locator('#pl-submit').click();
  await page.waitForFunction((id) => [...document.querySelectorAll('#pl-journal tbody tr')].map((r) => r.dataset.id).join() === id, three.id);
  assert.match(page.url(), /order_ref=%25-/);
  // A bad expiry is said before asking the server.
  await showFilters(page, 'pl');
  await page.locator('#pl-card-expiry').fill('1399');
  await page.locator('#pl-submit').click();
  await page.locator('#pl-error', { hasText: 'MMAA' }).waitFor();
  await showFilters(page, 'pl');
  await page.locator('#pl-card-expiry').fill('');
  await page.locator('#pl-type').selectOption('4');
  await page.locator('#pl-submit').click();
  await page.waitForFunction((id) => [...document.querySelectorAll('#pl-journal tbody tr')].map((r) => r.dataset.id).join() === id, four.id);
  await shot(page, 'installment-plans-filtered');

  // The details: every installment, the first made (a link to its transaction).
  await page.locator(`[data-details="${four.id}"]`).click();
  await page.locator('#rc-title', { hasText: four.id }).waitFor();
  await page.locator('#rc-debits tbody tr').nth(3).waitFor();
  assert.equal(await page.locator('#rc-debits tbody tr').count(), 4);
  assert.equal(await page.locator('#rc-status').getAttribute('data-status'), 'in_progress');
  assert.deepEqual(
    await page.locator('#rc-debits tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.status)),
    ['accepted', 'planned', 'planned', 'planned'],
  );
  assert.equal(await page.locator('#rc-remaining').textContent(), '3');
  await shot(page, 'installment-plan-details');
  const paymentId = four.installments[0].payment_id;
  await page.locator(`#rc-debits [data-payment="${paymentId}"]`).click();
  await page.locator('#tx-details').waitFor();
  await page.locator('#d-recurring-link', { hasText: `Paiement N fois n° ${four.id}, échéance 1` }).waitFor();
  await shot(page, 'installment-debit-transaction');
  await page.locator('#d-recurring-link').click();
  await page.locator('#rc-title', { hasText: four.id }).waitFor();

  // Terminate, confirmed first; cancelling changes nothing.
  await page.locator('#rc-terminate').click();
  await page.locator('#rc-confirm').waitFor();
  assert.equal(await page.locator('#rc-reason').count(), 0, 'a plan takes no reason');
  await page.locator('#rc-confirm-cancel').click();
  assert.equal((await api(page, `/bo/api/installment-plans/${four.id}`)).status, 'in_progress');
  await page.locator('#rc-terminate').click();
  await shot(page, 'installment-plan-terminate-confirm');
  await page.locator('#rc-confirm-confirm').click();
  await page.locator('#rc-notice', { hasText: 'résilié' }).waitFor();
  assert.equal(await page.locator('#rc-status').getAttribute('data-status'), 'terminated');
  assert.ok(await page.locator('#rc-terminate').isDisabled());
  assert.deepEqual(
    await page.locator('#rc-debits tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.status)),
    ['accepted', 'cancelled', 'cancelled', 'cancelled'],
  );
  assert.equal(await page.locator('#rc-ended-by').textContent(), 'demo.action');
  await shot(page, 'installment-plan-terminated');
  await page.context().close();
});

test('subscriptions: details with the debits to come, terminate with a reason', async () => {
  const tag = crypto.randomUUID().slice(0, 6).toUpperCase();
  const sub = await subscription(`ABO-${tag}`);
  const page = await signedIn('admin');
  await page.locator('nav .nav-link', { hasText: 'Abonnements' }).click();
  await page.locator('#sub-title').waitFor();
  await showFilters(page, 'sub');
  await page.locator('#sub-order-ref').fill(`ABO-${tag}`);
  await page.locator('#sub-submit').click();
  await page.waitForFunction((id) => [...document.querySelectorAll('#sub-journal tbody tr')].map((r) => r.dataset.id).join() === id, sub.id);
  assert.equal(await page.locator(`#sub-journal tr[data-id="${sub.id}"] td[data-col="remaining"]`).textContent(), 'Illimité');
  await shot(page, 'subscriptions');
  await page.locator(`[data-details="${sub.id}"]`).click();
  await page.locator('#rc-title', { hasText: sub.id }).waitFor();
  await page.locator('#rc-debits tbody tr').first().waitFor();
  // The initial payment made, then the monthly debits to come on the 31st (or the month's last day).
  const statuses = await page.locator('#rc-debits tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.status));
  assert.equal(statuses[0], 'accepted');
  assert.ok(statuses.slice(1).length >= 3 && statuses.slice(1).every((s) => s === 'planned'));
  assert.equal(await page.locator('#rc-day').textContent(), '31');
  await shot(page, 'subscription-details');
  await page.locator('#rc-terminate').click();
  await page.locator('#rc-reason').fill('Le client a déménagé');
  await shot(page, 'subscription-terminate-reason');
  await page.locator('#rc-confirm-confirm').click();
  await page.locator('#rc-notice').waitFor();
  assert.equal(await page.locator('#rc-end-reason').textContent(), 'Le client a déménagé');
  const d = await api(page, `/bo/api/subscriptions/${sub.id}`);
  assert.equal(d.status, 'terminated');
  assert.equal(d.end_reason, 'Le client a déménagé');
  await shot(page, 'subscription-terminated');
  // The action log has it.
  const log = await api(page, `/bo/api/actions?from=${parisDay(-1)}&to=${parisDay(1)}`);
  assert.ok(log.items.some((a) => a.action === 'subscription_terminated' && a.details.includes(sub.id)));
  await page.context().close();
});

test('consultation: no Terminate; the columns chosen and the export in them', async () => {
  const tag = crypto.randomUUID().slice(0, 6).toUpperCase();
  const sub = await subscription(`COL-${tag}`);
  const page = await signedIn('consultation');
  await page.goto(`${base}/#/subscriptions/${sub.id}`);
  await page.locator('#rc-title', { hasText: sub.id }).waitFor();
  await page.locator('#rc-debits').waitFor();
  assert.equal(await page.locator('#rc-terminate').count(), 0);
  await page.goto(`${base}/#/subscriptions?from=${parisDay(-1)}&to=${parisDay()}&order_ref=COL-${tag}`);
  await page.locator(`#sub-journal tr[data-id="${sub.id}"]`).waitFor();
  await page.locator('#sub-columns').click();
  await page.locator('#columns-dialog').waitFor();
  for (const key of await page.locator('#columns-subscriptions input:checked').evaluateAll((l) => l.map((i) => i.value))) {
    if (!['id', 'next_date', 'every_months'].includes(key)) await page.locator(`#columns-subscriptions input[value="${key}"]`).uncheck();
  }
  await page.locator('#columns-subscriptions input[value="initial_amount"]').check();
  await shot(page, 'subscriptions-columns');
  await page.locator('#columns-save').click();
  await page.locator('#columns-dialog').waitFor({ state: 'detached' });
  const heads = await page.locator('#sub-journal thead th[data-col]').evaluateAll((l) => l.map((th) => th.dataset.col));
  assert.deepEqual(heads, ['id', 'next_date', 'every_months', 'initial_amount']);
  // A spreadsheet's file by default: the labels, the amounts in euros, the dates as written.
  const d = await api(page, `/bo/api/subscriptions/${sub.id}`);
  const sheet = await page.request.get(`${base}${await page.locator('#sub-export-csv').getAttribute('href')}`);
  const bytes = await sheet.body(); // text() would drop the BOM
  assert.equal(bytes.subarray(0, 3).toString('hex'), 'efbbbf');
  const sheetLines = bytes.subarray(3).toString('utf8').trim().split('\r\n');
  assert.equal(sheetLines[0], 'Numéro;Prochain débit;Tous les X mois;Montant initial');
  assert.deepEqual(sheetLines.slice(1), [`${sub.id};${d.next_date.split('-').reverse().join('/')};1;19,00`]);
  // For scripts: the keys and minor units.
  await page.locator('#sub-export-layout').selectOption('machine');
  const href = await page.locator('#sub-export-csv').getAttribute('href');
  assert.match(href, /^\/bo\/api\/subscriptions\/export\?.*layout=machine.*format=csv/);
  const r = await page.request.get(`${base}${href}`);
  assert.equal(r.status(), 200);
  const lines = (await r.text()).trim().split('\r\n');
  assert.equal(lines[0], 'id,next_date,every_months,initial_amount');
  assert.match(d.next_date, /-(28|29|30|31)$/); // the 31st, or the month's last day
  assert.deepEqual(lines.slice(1), [`${sub.id},${d.next_date},1,1900`]);
  await shot(page, 'subscriptions-chosen-columns');
  await page.context().close();
});
