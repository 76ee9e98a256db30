// A transaction's notifications to the merchant's server (README "Notifications"): the test
// plays the merchant's server (a node http server that fails once, then answers 200) and
// sets it as a shop's notification URL; a payment through the merchant API is notified, the
// Notifications tab of its details shows the call, its signed body and both attempts, the
// administrator sends it again (a third call, same bytes), and a consultation user sees the
// log without the button. The signature is checked here with node's crypto.
import crypto from 'node:crypto';
import http from 'node:http';
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { base, demo, parisDay, shot, signedIn, sql } from '../harness.mjs';

const SHOP = 2; // a shop of its own: the other files' payments notify nothing

function merchantServer() {
  const got = [];
  let failures = 1;
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      got.push({ headers: req.headers, body: Buffer.concat(chunks) });
      const status = failures-- > 0 ? 503 : 200;
      res.writeHead(status, { 'Content-Type': 'text/plain' });
      res.end(status === 200 ? 'enregistré' : 'indisponible');
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, got })));
}

async function pay(shop) {
  const body = JSON.stringify({
    amount: 2590, currency: 'EUR', order_ref: `E2E-NOTIF-${crypto.randomUUID().slice(0, 8)}`,
    email: 'e2e.notif@example.com', card: { number: '4111111111111111', expiry: '1230', cvv: '123' },
    capture: 'auto',
  });
  const sig = crypto.createHmac('sha512', Buffer.from(shop.hmac_key, 'hex')).update(body).digest('hex');
  const r = await fetch(`${base}/api/v1/payments`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Guichet-Site': shop.site, 'X-Guichet-Rang': shop.rang, 'X-Guichet-Signature': sig },
    body,
  });
  assert.equal(r.status, 201);
  return r.json();
}

async function waitFor(fn, ms = 15000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail('timed out');
}

test('the Notifications tab shows every attempt, and an administrator sends one again', async () => {
  const { server, got } = await merchantServer();
  const url = `http://127.0.0.1:${server.address().port}/notification`;
  const shop = demo.shops[SHOP];
  const shopId = Number(sql(`SELECT id FROM shop WHERE site = '${shop.site}' AND rang = '${shop.rang}' AND env = 'production'`));
  const admin = await signedIn('admin');
  const csrf = await admin.evaluate(() => localStorage.getItem('guichet.csrf'));
  const current = await (await admin.request.get(`${base}/bo/api/shops/${shopId}/settings`)).json();
  const put = await admin.request.put(`${base}/bo/api/shops/${shopId}/settings`, {
    headers: { 'X-CSRF-Token': csrf }, data: { version: current.version, url_notify: url },
  });
  assert.equal(put.status(), 200, await put.text());

  const p = await pay(shop);
  // The first call fails (503); the next one, after the notifier's delay (30 s by default,
  // ±25 %), is delivered: the row is made due at once rather than waited for.
  await waitFor(() => got.length === 1);
  sql(`UPDATE notify_outbox SET next_at = 0 WHERE txn_id = ${p.id} AND state = 0`);
  await waitFor(() => got.length === 2);
  await waitFor(() => sql(`SELECT state FROM notify_outbox WHERE txn_id = ${p.id}`) === '1');
  const want = crypto.createHmac('sha512', Buffer.from(shop.hmac_key, 'hex')).update(got[1].body).digest('hex');
  assert.equal(got[1].headers['x-guichet-signature'], want);
  assert.equal(JSON.parse(got[1].body).id, p.id);

  await admin.goto(`${base}/#/transactions?from=${parisDay(-1)}&to=${parisDay(1)}&id=${p.id}`);
  await admin.locator(`[data-details="${p.id}"]`).click();
  await admin.locator('#tx-details').waitFor();
  await admin.locator('#tx-tab-notifications').click();
  const block = admin.locator('#tx-notifications section.notify');
  await block.first().waitFor();
  assert.equal(await block.count(), 1);
  assert.match(await block.locator('h3').textContent(), /notification$/);
  assert.equal(await block.locator('tbody tr').count(), 2);
  assert.deepEqual(await block.locator('tbody tr td:nth-child(3)').allTextContents(), ['503', '200']);
  await shot(admin, 'transaction-notifications');

  await block.locator('button', { hasText: /Renvoyer|Send again/ }).click();
  await admin.locator('#notify-notice:not([hidden])').waitFor();
  await waitFor(() => got.length === 3);
  assert.deepEqual(got[2].body, got[1].body);
  await waitFor(() => sql(`SELECT state || '/' || attempts FROM notify_outbox WHERE txn_id = ${p.id}`) === '1/3');
  assert.equal(sql("SELECT count(*) FROM action_log WHERE action = 'notification_resent'"), '1');

  const reader = await signedIn('consultation');
  await reader.goto(`${base}/#/transactions?from=${parisDay(-1)}&to=${parisDay(1)}&id=${p.id}`);
  await reader.locator(`[data-details="${p.id}"]`).click();
  await reader.locator('#tx-tab-notifications').click();
  await reader.locator('#tx-notifications section.notify tbody tr').nth(2).waitFor();
  assert.equal(await reader.locator('#tx-notifications button').count(), 0);
  server.close();
});
