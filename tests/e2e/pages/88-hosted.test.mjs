// The hosted payment page (issue 12) in a real browser: a merchant test site served by this
// test (node's http server, another origin) sends the buyer to Guichet with a signed form; the
// buyer pays (accepted, refused, 3-D Secure challenge failed) or cancels; the browser lands
// back on the merchant's return URL, whose signature the merchant site verifies. The page runs
// under its own CSP (no script; form-action the merchant's origin): a violation would be a
// console error, which fails the run.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';

import { base, browser, demo, newPage, now, payWithCard, shot, showFilters, signedIn, sql } from '../harness.mjs';

let site;
let shopBase;
const returns = []; // what the merchant site received: { path, fields, verified }

function sign(keyHex, fields) {
  const msg = fields.filter(([k]) => k.startsWith('GCH_') && k !== 'GCH_SIGNATURE')
    .map(([k, v]) => `${k}=${v}`).join('&');
  return crypto.createHmac('sha512', Buffer.from(keyHex, 'hex')).update(msg).digest('hex');
}

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

function checkoutPage(ref, lang) {
  const shop = demo.shops[0];
  const fields = [
    ['GCH_SITE', shop.site], ['GCH_RANG', shop.rang], ['GCH_AMOUNT', '4990'],
    ['GCH_CURRENCY', 'EUR'], ['GCH_ORDER_REF', ref], ['GCH_EMAIL', 'buyer@example.com'],
    ['GCH_LANG', lang], ['GCH_URL_ACCEPTED', `${shopBase}/return/accepted`],
    ['GCH_URL_REFUSED', `${shopBase}/return/refused`],
    ['GCH_URL_CANCELLED', `${shopBase}/return/cancelled`],
    ['GCH_TIME', String(Math.floor(now() / 1000))],
  ];
  fields.push(['GCH_SIGNATURE', sign(shop.hmac_key, fields)]);
  return `<!doctype html><html><body><h1>Boutique test</h1><form method="post" action="${base}/pay">${
    fields.map(([k, v]) => `<input type="hidden" name="${k}" value="${esc(v)}">`).join('')
  }<button id="go">Payer</button></form></body></html>`;
}

before(async () => {
  site = http.createServer((req, res) => {
    const u = new URL(req.url, 'http://x');
    if (u.pathname === '/checkout') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(checkoutPage(u.searchParams.get('ref'), u.searchParams.get('lang') || 'fr'));
      return;
    }
    if (!u.pathname.startsWith('/return/')) {
      res.writeHead(404);
      res.end();
      return;
    }
    const fields = [...u.searchParams.entries()];
    const got = Object.fromEntries(fields);
    const verified = typeof got.GCH_SIGNATURE === 'string' && crypto.timingSafeEqual(
      Buffer.from(got.GCH_SIGNATURE), Buffer.from(sign(demo.shops[0].hmac_key, fields)),
    );
    returns.push({ path: u.pathname, fields: got, verified });
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><p id="result">${verified ? 'ok' : 'forged'} ${esc(got.GCH_STATUS)}</p>`);
  });
  await new Promise((resolve) => site.listen(0, '127.0.0.1', resolve));
  shopBase = `http://127.0.0.1:${site.address().port}`;
});

after(() => site.close());

async function buyer(ref, lang = 'fr') {
  const context = await browser.newContext();
  const page = await newPage(context);
  await page.goto(`${shopBase}/checkout?ref=${ref}&lang=${lang}`);
  await page.locator('#go').click();
  await page.locator('#cc-number').waitFor();
  return page;
}

const pay = payWithCard;

async function landed(page, path) {
  await page.waitForURL((u) => u.toString().startsWith(`${shopBase}${path}`));
  await page.locator('#result').waitFor();
  const last = returns[returns.length - 1];
  assert.equal(last.path, path);
  assert.equal(last.verified, true, 'the merchant verified the return\'s signature');
  assert.ok(!page.url().includes('4111') && !page.url().includes('card'));
  return last.fields;
}

const status = (ref) => sql(`SELECT status || '/' || origin FROM txn WHERE order_ref = '${ref}'`);

test('a buyer pays on the hosted page and goes back to the shop, accepted', async () => {
  const ref = `E2E-OK-${Date.now()}`;
  const page = await buyer(ref);
  assert.equal(await page.locator('h1').textContent(), demo.shops[0].name);
  assert.match(await page.locator('#amount').textContent(), /^49,90 EUR$/);
  for (const [id, token] of [['cc-number', 'cc-number'], ['cc-exp', 'cc-exp'], ['cc-csc', 'cc-csc'], ['cc-name', 'cc-name']]) {
    assert.equal(await page.locator(`#${id}`).getAttribute('autocomplete'), token);
  }
  await page.setViewportSize({ width: 375, height: 740 }); // a phone
  await shot(page, 'hosted-card-form-phone');
  // A mistyped number: the form again, saying so to the eye and to a screen reader.
  await pay(page, '4111111111111112');
  await page.locator('#card-error[role="alert"]').waitFor();
  assert.equal(await page.locator('#cc-number').getAttribute('aria-describedby'), 'card-error');
  assert.equal(status(ref), '');
  await shot(page, 'hosted-card-mistyped');
  await pay(page, '4111111111111111');
  const f = await landed(page, '/return/accepted');
  assert.equal(f.GCH_STATUS, 'accepted');
  assert.equal(f.GCH_ORDER_REF, ref);
  assert.equal(status(ref), '0/1');
  await page.context().close();
});

test('a refused card goes back to the refused URL', async () => {
  const ref = `E2E-KO-${Date.now()}`;
  const page = await buyer(ref, 'en');
  await pay(page, '4000000000000002');
  const f = await landed(page, '/return/refused');
  assert.equal(f.GCH_STATUS, 'refused');
  assert.equal(status(ref), '1/1');
  await page.context().close();
});

test('a failed 3-D Secure challenge is refused, 3ds_failed', async () => {
  const ref = `E2E-3DS-${Date.now()}`;
  const page = await buyer(ref);
  await pay(page, '4000000000003220');
  await page.getByLabel('Code de confirmation').fill('0000');
  await shot(page, 'hosted-3ds-challenge');
  await page.locator('button[value="confirm"]').click();
  const f = await landed(page, '/return/refused');
  assert.equal(f.GCH_REFUSAL, '3ds_failed');
  assert.equal(status(ref), '1/1');
  assert.equal(sql(`SELECT tds_auth FROM txn WHERE order_ref = '${ref}'`), '2'); // N
  await page.context().close();
});

test('a buyer who cancels goes back to the cancelled URL, nothing recorded', async () => {
  const ref = `E2E-CANCEL-${Date.now()}`;
  const page = await buyer(ref);
  await page.locator('button[value="cancel"]').click();
  const f = await landed(page, '/return/cancelled');
  assert.equal(f.GCH_STATUS, 'cancelled');
  assert.equal(status(ref), '');
  await page.context().close();
});

test('the journal filters on the origin, and shows it', async () => {
  const page = await signedIn('action');
  await page.locator('nav .nav-link', { hasText: 'Transactions' }).click();
  await page.locator('#tx-title').waitFor();
  assert.equal(await page.getByLabel('Origine', { exact: true }).count(), 1);
  await showFilters(page, 'tx');
  await page.locator('#tx-origin').selectOption('hosted_page');
  const answer = page.waitForResponse((r) => r.url().includes('/bo/api/transactions?') && r.url().includes('origin=hosted_page'));
  await page.locator('#tx-submit').click();
  const body = await (await answer).json();
  const refs = body.items.map((i) => i.order_ref);
  assert.ok(refs.some((r) => r.startsWith('E2E-OK-')), 'the hosted payment is found');
  assert.ok(body.items.every((i) => i.order_ref.startsWith('E2E-')), 'only the hosted page\'s');
  await shot(page, 'hosted-origin-filter');
});
