// Risk in the back office (Vision manual §4.2.6, §9.2.1, §9.3; README "Risk"): Parameters ›
// Card blocklist (an entry of each kind added by hand, a wrong card number refused by the page
// with nothing sent, a value already blocked refused by the server beside its field, the
// filters and the CSV export, a removal cancelled then confirmed, the consultation profile
// reading without adding or removing, the page in English); a card blocked from a transaction's
// details with a reason and an expiry date, then its next payment refused "card not allowed";
// a contract's anti-fraud filters edited by an administrator, a wrong amount refused, and a
// conflict with a change saved in between.
import crypto from 'node:crypto';
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { base, demo, parisDay, shot, signedIn as harnessSignedIn } from '../harness.mjs';

async function signedIn(profile) {
  const page = await harnessSignedIn(profile);
  await page.locator('nav .nav-link').first().waitFor();
  return page;
}

/** A 16-digit VISA number of this run that passes Luhn (the simulator approves it). */
function cardNumber() {
  const body = `4${String(crypto.randomInt(10 ** 9)).padStart(9, '0')}${String(crypto.randomInt(10 ** 5)).padStart(5, '0')}`;
  for (let check = 0; check < 10; check += 1) {
    const n = `${body}${check}`;
    let sum = 0;
    for (let i = 0; i < n.length; i += 1) {
      let d = Number(n[n.length - 1 - i]);
      if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
      sum += d;
    }
    if (sum % 10 === 0) return n;
  }
  throw new Error('unreachable');
}

/** A payment through the signed merchant API: the answer, whatever its status. */
async function pay(card, fields = {}) {
  const shop = demo.shops[0];
  const body = JSON.stringify({
    amount: 3150,
    currency: 'EUR',
    order_ref: `RISK-${crypto.randomUUID().slice(0, 8)}`,
    card: { number: card, expiry: '1230', cvv: '123' },
    email: 'e2e.risk@example.com',
    ...fields,
  });
  const sig = crypto.createHmac('sha512', Buffer.from(shop.hmac_key, 'hex')).update(body).digest('hex');
  const r = await fetch(`${base}/api/v1/payments`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Guichet-Site': shop.site, 'X-Guichet-Rang': shop.rang, 'X-Guichet-Signature': sig },
    body,
  });
  return { status: r.status, body: await r.json() };
}

async function api(page, path) {
  const r = await page.request.get(`${base}${path}`);
  assert.equal(r.status(), 200, `${path}: ${await r.text()}`);
  return r.json();
}

/** Waits until the blocklist shows the answer of its last search. */
async function listed(page) {
  await page.waitForFunction(() => {
    const t = document.querySelector('#bl-table');
    return t && !t.hasAttribute('aria-busy') && document.querySelector('#bl-count').textContent !== '';
  });
}

const rowOf = (page, text) => page.locator('#bl-rows tr', { hasText: text });

/** Chooses a kind in the add form, types or picks the value, and sends it. */
async function add(page, { kind, value, reason, expires, scope }) {
  await page.locator('#bl-add-kind').selectOption(kind);
  if (kind === 'country') await page.locator('#bl-add-value').selectOption(value);
  else await page.locator('#bl-add-value').fill(value);
  await page.locator('#bl-add-node').selectOption(scope ? { label: scope } : { index: 0 });
  await page.locator('#bl-add-reason').fill(reason || '');
  await page.locator('#bl-add-expires').fill(expires || '');
  await page.locator('#bl-add-submit').click();
}

test('blocklist: add each kind, a wrong card number refused, filters and export, remove', async () => {
  const page = await signedIn('action');
  const posts = [];
  page.on('request', (r) => {
    if (r.method() === 'POST' && r.url().endsWith('/bo/api/blocklist')) posts.push(r.postDataJSON());
  });
  await page.locator('nav .nav-link', { hasText: 'Cartes bloquées' }).click();
  await page.locator('#bl-title').waitFor();
  await listed(page);
  await shot(page, 'blocklist');
  // Every control of the add form has its label.
  for (const label of ['Type de blocage', 'Numéro de carte', 'Portée', 'Motif (facultatif)', 'Fin du blocage (facultatif)']) {
    assert.equal(await page.getByLabel(label, { exact: true }).count(), 1, label);
  }

  // A wrong check digit: said beside the field, focused, nothing sent.
  const card = cardNumber();
  const wrong = `${card.slice(0, 15)}${(Number(card[15]) + 1) % 10}`;
  await add(page, { kind: 'card', value: wrong });
  await page.locator('#bl-add-value-error', { hasText: 'clé de Luhn' }).waitFor();
  assert.equal(await page.locator('#bl-add-value').getAttribute('aria-invalid'), 'true');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'bl-add-value');
  assert.match(await page.locator('#bl-add-value').getAttribute('aria-describedby'), /bl-add-value-error/);
  await shot(page, 'blocklist-bad-card');
  // A BIN of 3 digits, the same.
  await add(page, { kind: 'bin', value: '497' });
  await page.locator('#bl-add-value-error', { hasText: '6 ou 8 chiffres' }).waitFor();
  assert.equal(posts.length, 0, 'nothing was sent');

  // One of each kind. The card is kept masked; its number is never shown.
  const masked = `${card.slice(0, 6)}`;
  const expires = parisDay(30);
  await add(page, { kind: 'card', value: `${card.slice(0, 4)} ${card.slice(4, 8)} ${card.slice(8, 12)} ${card.slice(12)}`, reason: 'Rétrofacturation e2e', expires });
  await page.locator('#bl-done', { hasText: 'Blocage ajouté' }).waitFor();
  assert.equal(posts.at(-1).value, card, 'the digits alone are sent');
  const cardRow = rowOf(page, 'Rétrofacturation e2e');
  await cardRow.waitFor();
  assert.match(await cardRow.textContent(), new RegExp(`Carte.*${masked}`));
  assert.ok(!(await page.locator('#bl-rows').textContent()).includes(card), 'the full number is never shown');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'bl-add-value', 'ready for the next one');
  const bin = `52${String(crypto.randomInt(10 ** 6)).padStart(6, '0')}`;
  await add(page, { kind: 'bin', value: bin, reason: 'BIN e2e' });
  await rowOf(page, bin).waitFor();
  const email = `Fraude.${crypto.randomUUID().slice(0, 6)}@Example.com`;
  await add(page, { kind: 'email', value: email });
  await rowOf(page, email.toLowerCase()).waitFor();
  // A country, for one shop only.
  const shop = demo.shops[0];
  const shopLabel = await page.locator('#bl-add-node option', { hasText: `(${shop.site}/${shop.rang})` }).textContent();
  await add(page, { kind: 'country', value: 'VU', reason: 'Pays e2e', scope: shopLabel });
  const countryRow = rowOf(page, 'Pays e2e');
  await countryRow.waitFor();
  assert.match(await countryRow.textContent(), /Vanuatu \(VU\).*Magasin/);
  await shot(page, 'blocklist-added');
  const byApi = await api(page, '/bo/api/blocklist?limit=50');
  for (const v of [bin, email.toLowerCase(), 'VU']) assert.ok(byApi.items.some((e) => e.value === v), v);
  assert.equal(byApi.items.find((e) => e.value === 'VU').node_level, 'shop');
  const cardEntry = byApi.items.find((e) => e.kind === 'card' && e.reason === 'Rétrofacturation e2e');
  assert.equal(cardEntry.expires_at, expires);
  assert.ok(!cardEntry.value.includes(card.slice(6, 12)), 'the API keeps the number masked');

  // The same e-mail again: the server's refusal, beside the field.
  await add(page, { kind: 'email', value: email });
  await page.locator('#bl-add-value-error', { hasText: 'déjà bloquée' }).waitFor();
  assert.equal(await page.locator('#bl-add-value').getAttribute('aria-invalid'), 'true');
  await shot(page, 'blocklist-already-blocked');

  // Filters: one kind, then a text; the export holds the same search.
  await page.locator('#bl-kind').selectOption('email');
  await page.locator('#bl-submit').click();
  await listed(page);
  const kinds = await page.locator('#bl-rows tr').evaluateAll((rows) => rows.map((r) => r.dataset.kind));
  assert.ok(kinds.length >= 1 && kinds.every((k) => k === 'email'), kinds.join());
  assert.match(await page.evaluate(() => location.hash), /kind=email/);
  await page.locator('#bl-kind').selectOption('');
  await page.locator('#bl-q').fill(bin);
  await page.locator('#bl-submit').click();
  await listed(page);
  assert.equal(await page.locator('#bl-rows tr').count(), 1);
  const href = await page.locator('#bl-export-csv').getAttribute('href');
  assert.match(href, /^\/bo\/api\/blocklist\/export\?.*format=csv/);
  const file = await page.request.get(`${base}${href}`);
  assert.equal(file.status(), 200);
  const csv = await file.text();
  assert.ok(csv.includes(bin), csv);
  assert.ok(!csv.includes(email.toLowerCase()), 'the export is the search');
  await shot(page, 'blocklist-filtered');

  // Remove: cancelled first, then confirmed; the entry is gone from the API too.
  await page.locator('#bl-q').fill('');
  await page.locator('#bl-submit').click();
  await listed(page);
  const emailRow = rowOf(page, email.toLowerCase());
  await emailRow.locator('[data-remove]').click();
  await page.locator('#confirm-dialog').waitFor();
  assert.match(await page.locator('#confirm-dialog-text').textContent(), /de nouveau acceptés/);
  await shot(page, 'blocklist-remove-confirm');
  await page.locator('#confirm-dialog-cancel').click();
  await page.locator('#confirm-dialog').waitFor({ state: 'detached' });
  assert.equal(await emailRow.count(), 1);
  await emailRow.locator('[data-remove]').click();
  await page.locator('#confirm-dialog-ok').click();
  await page.locator('#bl-done', { hasText: 'retiré' }).waitFor();
  assert.equal(await emailRow.count(), 0);
  const after = await api(page, '/bo/api/blocklist?kind=email&limit=50');
  assert.ok(!after.items.some((e) => e.value === email.toLowerCase()));
  await shot(page, 'blocklist-removed');

  // The same page in English.
  const csrf = await page.evaluate(() => localStorage.getItem('guichet.csrf'));
  const lang = async (language) => {
    const r = await page.request.patch(`${base}/bo/api/me`, { headers: { 'X-CSRF-Token': csrf }, data: { language } });
    assert.equal(r.status(), 200, await r.text());
  };
  await lang('en');
  try {
    await page.reload();
    await page.locator('#bl-title', { hasText: 'Parameters › Card blocklist' }).waitFor();
    await listed(page);
    await page.locator('#bl-add-kind').selectOption('country');
    assert.ok(await page.locator('#bl-add-value option', { hasText: 'North Korea (KP)' }).count() === 1);
    await shot(page, 'blocklist-english');
  } finally {
    await lang('fr');
  }
  await page.context().close();
});

test('blocklist: the consultation profile reads it, without adding or removing', async () => {
  const page = await signedIn('consultation');
  await page.locator('nav .nav-link', { hasText: 'Cartes bloquées' }).click();
  await page.locator('#bl-title').waitFor();
  await listed(page);
  assert.equal(await page.locator('#bl-add').count(), 0);
  assert.equal(await page.locator('[data-remove]').count(), 0);
  assert.ok((await page.locator('#bl-rows tr').count()) > 0, 'the entries are listed');
  await shot(page, 'blocklist-consultation');
  await page.context().close();
});

test('transaction details: block the card with a reason and an expiry, its next payment refused', async () => {
  const card = cardNumber();
  const first = await pay(card);
  assert.equal(first.status, 201, JSON.stringify(first.body));
  assert.equal(first.body.status, 'accepted');
  const page = await signedIn('action');
  await page.goto(`${base}/#/transactions?from=${parisDay(-1)}&to=${parisDay(1)}&id=${first.body.id}`);
  await page.locator(`[data-details="${first.body.id}"]`).click();
  await page.locator('#tx-details').waitFor();
  await page.locator('#op-block-card').click();
  await page.locator('#op-dialog').waitFor();
  assert.equal(await page.getByLabel('Motif (facultatif)').count(), 1);
  assert.equal(await page.getByLabel('Fin du blocage (facultatif)').count(), 1);
  // A day already past is said in the dialog, on its field.
  await page.locator('#op-block-reason').fill('Litige e2e');
  await page.locator('#op-block-expires').fill(parisDay(-2));
  await page.locator('#op-dialog-confirm').click();
  await page.locator('#op-dialog [role=alert]', { hasText: 'aujourd’hui ou plus tard' }).waitFor();
  assert.equal(await page.locator('#op-block-expires').getAttribute('aria-invalid'), 'true');
  const until = parisDay(10);
  await page.locator('#op-block-expires').fill(until);
  await shot(page, 'block-card-dialog');
  await page.locator('#op-dialog-confirm').click();
  await page.locator('#details-notice', { hasText: 'Carte ajoutée' }).waitFor();
  await shot(page, 'block-card-done');

  // The entry, with its reason, its expiry and its transaction.
  await page.locator('#details-blocklist').click();
  await page.locator('#bl-title').waitFor();
  await listed(page);
  const row = rowOf(page, 'Litige e2e');
  await row.waitFor();
  assert.match(await row.textContent(), new RegExp(`${card.slice(0, 6)}.*${card.slice(-4)}`));
  const [y, m, d] = until.split('-');
  assert.match(await row.textContent(), new RegExp(`${d}/${m}/${y}`));
  assert.equal(await row.locator('a', { hasText: String(first.body.id) }).count(), 1);
  await shot(page, 'blocklist-from-transaction');

  // The card's next payment is refused "card not allowed", and the journal says so.
  const second = await pay(card);
  assert.equal(second.body.status, 'refused', JSON.stringify(second.body));
  assert.equal(second.body.refusal_reason, 'card_not_allowed');
  await page.goto(`${base}/#/transactions?from=${parisDay(-1)}&to=${parisDay(1)}&id=${second.body.id}`);
  await page.locator(`[data-details="${second.body.id}"]`).click();
  await page.locator('#d-refusal', { hasText: 'Carte non autorisée' }).waitFor();
  await page.context().close();
});

test('contract: an administrator edits the anti-fraud filters; a conflict shows the values in force', async () => {
  const page = await signedIn('admin');
  await page.locator('nav .nav-link', { hasText: 'Contrats' }).click();
  await page.locator('#c-list tbody tr').first().waitFor();
  const id = await page.locator('#c-list tbody tr').first().getAttribute('data-id');
  await page.locator(`[data-details="${id}"]`).click();
  await page.locator('#c-details').waitFor();
  await page.locator('#c-tab-fraud').click();
  await page.locator('#ff-edit').waitFor();
  await shot(page, 'fraud-filters');
  await page.locator('#ff-edit').click();
  await page.locator('#ff-form').waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'ff-max-amount');

  // A wrong amount: said beside the field, nothing saved.
  await page.locator('#ff-max-amount').fill('-5');
  await page.locator('#ff-save').click();
  await page.locator('#ff-max-amount-error', { hasText: 'montant positif' }).waitFor();
  assert.equal(await page.locator('#ff-max-amount').getAttribute('aria-invalid'), 'true');

  await page.locator('#ff-max-amount').fill('1 500,50');
  await page.locator('#ff-max-per-card-day').fill('3');
  for (const [list, codes] of [['blocked_card_countries', ['RU', 'BY']], ['blocked_customer_countries', ['KP']]]) {
    for (const code of codes) {
      await page.locator(`#ff-${list}-pick`).selectOption(code);
      await page.locator(`#ff-${list}-add`).click();
    }
  }
  // Remove one again, from the keyboard.
  await page.locator('#ff-blocked_card_countries [data-remove="BY"]').focus();
  await page.keyboard.press('Enter');
  assert.equal(await page.locator('#ff-blocked_card_countries li').count(), 1);
  await page.locator('#ff-country-mismatch').check();
  await shot(page, 'fraud-filters-edit');
  const put = page.waitForRequest((r) => r.method() === 'PUT' && r.url().endsWith(`/bo/api/contracts/${id}/fraud-filters`));
  await page.locator('#ff-save').click();
  const sent = (await put).postDataJSON();
  assert.equal(sent.max_amount, 150050, 'minor units');
  assert.equal(sent.max_per_card_day, 3);
  assert.deepEqual(sent.blocked_card_countries, ['RU']);
  assert.deepEqual(sent.blocked_customer_countries, ['KP']);
  assert.equal(sent.country_mismatch, true);
  await page.locator('#ff-saved').waitFor();
  assert.match((await page.locator('#ff-v-max-amount').textContent()).replace(/\s/g, ' '), /1 500,50 €/);
  assert.match(await page.locator('#ff-v-card-countries').textContent(), /\(RU\)/);
  const saved = (await api(page, `/bo/api/contracts/${id}`)).fraud_filters;
  assert.equal(saved.max_amount, 150050);
  await shot(page, 'fraud-filters-saved');

  // Someone else saves while this form is open: the save is refused, the values in force shown.
  await page.locator('#ff-edit').click();
  await page.locator('#ff-max-per-card-day').fill('5');
  const csrf = await page.evaluate(() => localStorage.getItem('guichet.csrf'));
  const other = await page.request.put(`${base}/bo/api/contracts/${id}/fraud-filters`, {
    headers: { 'X-CSRF-Token': csrf },
    data: { ...saved, max_per_card_day: 9 },
  });
  assert.equal(other.status(), 200, await other.text());
  await page.locator('#ff-save').click();
  await page.locator('#ff-conflict', { hasText: 'Quelqu’un d’autre' }).waitFor();
  assert.equal((await page.locator('#ff-v-max-per-card-day').textContent()).trim(), '9');
  await shot(page, 'fraud-filters-conflict');

  // Put back as they were, for whatever runs after.
  const now = (await api(page, `/bo/api/contracts/${id}`)).fraud_filters;
  const reset = await page.request.put(`${base}/bo/api/contracts/${id}/fraud-filters`, {
    headers: { 'X-CSRF-Token': csrf },
    data: { max_amount: null, max_per_card_day: null, blocked_card_countries: [], blocked_customer_countries: [], country_mismatch: false, version: now.version },
  });
  assert.equal(reset.status(), 200, await reset.text());
  await page.context().close();
});
