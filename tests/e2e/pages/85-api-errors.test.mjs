// The merchant API's error log page (README "API error log"; Ingenico guide 3.2.10): real
// refused calls of the signed merchant API (a wrong signature, a bad field, an unknown alias)
// shown with their route, status, code, the API's message and what to fix; the filters, a
// period refused before asking the server, the CSV export of the same search, the codes'
// reference, the page in English; the menu entry for the profiles that search. The log is
// written once a second: the test polls the API for the rows, never sleeps a fixed time.
import crypto from 'node:crypto';
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { base, demo, parisDay, shot, signedIn as harnessSignedIn } from '../harness.mjs';

async function signedIn(profile) {
  const page = await harnessSignedIn(profile);
  await page.locator('nav .nav-link').first().waitFor();
  return page;
}

/** POST path of the merchant API with body, signed (a wrong signature with bad: true). */
async function merchant(path, fields, { bad = false } = {}) {
  const shop = demo.shops[0];
  const body = JSON.stringify(fields);
  const sig = bad
    ? '00'.repeat(64)
    : crypto.createHmac('sha512', Buffer.from(shop.hmac_key, 'hex')).update(body).digest('hex');
  const r = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Guichet-Site': shop.site, 'X-Guichet-Rang': shop.rang, 'X-Guichet-Signature': sig },
    body,
  });
  return { status: r.status, body: await r.json() };
}

const payment = (extra) => ({
  amount: 1234,
  currency: 'EUR',
  order_ref: `E2E-ERR-${crypto.randomUUID().slice(0, 8)}`,
  email: 'e2e.erreur@example.com',
  card: { number: '4111111111111111', expiry: '1230', cvv: '123' },
  capture: 'auto',
  ...extra,
});

/** The codes of the log's rows as the API lists them to page's user, once they include all
 * of want (the log is written once a second). */
async function logged(page, want) {
  const deadline = Date.now() + 15000;
  for (;;) {
    const r = await page.request.get(`${base}/bo/api/api-errors?limit=500`);
    assert.equal(r.status(), 200, await r.text());
    const codes = (await r.json()).items.map((i) => i.code);
    if (want.every((c) => codes.includes(c)) || Date.now() > deadline) return codes;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

test('API error log: refused calls with their fix, filters, export, codes, English', async () => {
  const refusals = [
    await merchant('/api/v1/payments', payment(), { bad: true }),
    await merchant('/api/v1/payments', payment({ amount: 'douze' })),
    await merchant('/api/v1/payments', { ...payment(), card: undefined, alias: `al_${'0'.repeat(32)}` }),
  ];
  assert.deepEqual(refusals.map((r) => r.status), [401, 400, 422]);
  const page = await signedIn('consultation');
  // (Other files' tests may have made refusals of their own before: a set.)
  const codes = new Set(await logged(page, ['bad_signature', 'invalid_field', 'unknown_alias']));
  for (const c of ['bad_signature', 'invalid_field', 'unknown_alias']) assert.ok(codes.has(c), c);

  await page.locator('nav .nav-link', { hasText: 'Journal des erreurs API' }).click();
  await page.locator('#apierr-title').waitFor();
  await page.waitForFunction(() => document.querySelector('.apierr-results').dataset.state === 'loaded');
  const sig = page.locator('#apierr-rows tr[data-code="bad_signature"]', { hasText: 'POST /api/v1/payments' }).first();
  await sig.waitFor();
  assert.match(await sig.textContent(), /POST \/api\/v1\/payments/);
  assert.match(await sig.textContent(), /401/);
  assert.match(await sig.textContent(), /does not match the body/); // the API's message
  assert.match(await sig.locator('.apierr-help').textContent(), /^À corriger : .*HMAC-SHA512/);
  const field = page.locator('#apierr-rows tr[data-code="invalid_field"]', { hasText: 'Champ : amount' }).first();
  assert.match(await field.textContent(), /400/);
  // Nothing of the requests' bodies.
  const text = await page.locator('#apierr-table').textContent();
  assert.ok(!text.includes('4111111111111111') && !text.includes('E2E-ERR-') && !text.includes('douze'));
  await shot(page, 'api-errors');

  // The filters: a code, a route, a status.
  await page.locator('#apierr-code').selectOption('unknown_alias');
  await page.locator('#apierr-search').click();
  await page.waitForFunction(() =>
    [...document.querySelectorAll('#apierr-rows tr')].every((r) => r.dataset.code === 'unknown_alias'));
  assert.ok((await page.locator('#apierr-rows tr').count()) >= 1);
  assert.match(await page.locator('#apierr-rows tr').first().textContent(), /422/);
  // The export link is the same search as CSV: for a spreadsheet by default, or for scripts.
  const sheet = await page.request.get(`${base}${await page.locator('#apierr-export').getAttribute('href')}`);
  const sheetBytes = await sheet.body();
  assert.equal(sheetBytes.subarray(0, 3).toString('hex'), 'efbbbf');
  assert.match(sheetBytes.subarray(3).toString('utf8'), /^Heure;Boutique;Site;Rang;/);
  await page.locator('#apierr-export-layout').selectOption('machine');
  const href = await page.locator('#apierr-export').getAttribute('href');
  assert.match(href, /^\/bo\/api\/api-errors\/export\?format=csv&layout=machine&code=unknown_alias/);
  const csv = await page.request.get(`${base}${href}`);
  assert.equal(csv.status(), 200);
  const lines = (await csv.text()).trim().split('\r\n');
  assert.equal(lines[0], 'at,shop,site,rang,method,path,http_status,code,field,message,count');
  assert.ok(lines.length >= 2 && lines.slice(1).every((l) => l.includes(',unknown_alias,')));
  await page.locator('#apierr-code').selectOption('');
  await page.locator('#apierr-status').selectOption('401');
  await page.locator('#apierr-path').fill('/payments');
  await page.locator('#apierr-search').click();
  await page.waitForFunction(() => {
    const rows = [...document.querySelectorAll('#apierr-rows tr')];
    return rows.length > 0 && rows.every((r) => r.dataset.code !== 'invalid_field' && r.dataset.code !== 'unknown_alias');
  });
  for (const route of await page.locator('#apierr-rows tr .apierr-route').allTextContents()) {
    assert.match(route, /\/payments/);
  }
  for (const status of await page.locator('#apierr-rows tr .badge').allTextContents()) assert.equal(status, '401');
  // A period outside the 3 days kept is refused on the page, and the server says why too.
  await page.locator('#apierr-from').fill(parisDay(-5));
  await page.locator('#apierr-search').click();
  await page.locator('#apierr-error', { hasText: 'date de début' }).waitFor();
  assert.equal(await page.locator('#apierr-from').getAttribute('aria-invalid'), 'true');
  const refused = await page.request.get(`${base}/bo/api/api-errors?from=${parisDay(-5)}`);
  assert.equal(refused.status(), 400);
  assert.equal((await refused.json()).field, 'from');
  await page.locator('#apierr-reset').click();
  await page.waitForFunction(() => document.querySelector('#apierr-rows tr[data-code="invalid_field"]'));

  // The codes' reference: what each code means and what to fix.
  await page.locator('#apierr-codes summary').click();
  assert.match(await page.locator('#apierr-code-unknown_alias + dd').textContent(), /POST \/api\/v1\/aliases/);
  await shot(page, 'api-errors-codes');
  await page.context().close();

  // In English, for a user who chose it.
  const en = await signedIn('action');
  const headers = { 'X-CSRF-Token': await en.evaluate(() => localStorage.getItem('guichet.csrf')) };
  let r = await en.request.patch(`${base}/bo/api/me`, { headers, data: { language: 'en' } });
  assert.equal(r.status(), 200, await r.text());
  try {
    await en.goto(`${base}/#/api-errors`);
    await en.reload();
    await en.locator('#apierr-title', { hasText: 'The merchant API’s error log' }).waitFor();
    const help = en.locator('#apierr-rows tr[data-code="bad_signature"] .apierr-help').first();
    assert.match(await help.textContent(), /^To fix: /);
    assert.equal(await en.locator('nav .nav-link[href="#/api-errors"]').textContent(), 'API error log');
  } finally {
    r = await en.request.patch(`${base}/bo/api/me`, { headers, data: { language: 'fr' } });
    assert.equal(r.status(), 200, await r.text());
    await en.context().close();
  }
});

test('API error log: no menu entry for the entry operator or the HMAC manager', async () => {
  for (const profile of ['entry', 'hmac']) {
    const page = await signedIn(profile);
    const links = await page.locator('nav .nav-link').evaluateAll((a) => a.map((x) => x.getAttribute('href')));
    assert.ok(!links.includes('#/api-errors'), `${profile}'s menu`);
    await page.context().close();
  }
});
