// A merchant's whole round trip through the hosted payment page (issue 12's proof; README "The
// hosted payment page", "Notifications"), in Debian's Chromium: this file plays the merchant's
// site, a node http server of its own (another origin) whose shop page has a "Pay" button, its
// form built and signed on the site's server side (HMAC-SHA512 with the shop's key) as a
// merchant's module does. The buyer pays (accepted, refused, 3-D Secure challenge failed) or
// cancels; the site takes the browser's return on the right URL and the server-to-server
// notification, and verifies both signatures (GCH_SIGNATURE over the return's GCH_ fields,
// X-Guichet-Signature over the notification's exact bytes) before trusting either. Then the
// site's notification endpoint fails three times (503, a redirect, no answer) and recovers: one
// success is recorded, and the back office shows every attempt. Last, the same site as an
// E-transactions module would be (Paybox System, docs/PAYBOX.md §5): a PBX_ request signed with
// PBX_HMAC; the return and the notification to PBX_REPONDRE_A carry K, which the site verifies
// as the official kit's testsign.php does (split at the last '&', RSA-SHA1 over the text before
// it as received) with Guichet's public key from the back office.
//
// The notifier waits 30 s after a failed call, doubling, and 15 s for an answer: far too long
// here. This file runs its own guichetd (harness extraServer) with the operator's options
// `--notify-retry-ms 500 --notify-timeout-ms 1000` (README "Notifications"), so the retries
// are the notifier's own, seen within seconds.
import crypto from 'node:crypto';
import http from 'node:http';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { browser, extraServer, newPage, now, parisDay, payWithCard, shot, shown, signedIn } from '../harness.mjs';

const RETRY_MS = 500; // --notify-retry-ms: the first wait after a failed call
const TIMEOUT_MS = 1000; // --notify-timeout-ms: one call's wait for an answer

let gch; // this file's guichetd: { base, demo, sql, readLog, stop }
let shop; // the shop the site sells for: demo.shops[0] of gch's demo
let site; // the merchant's site: { base, orders, answers, stray, close, it }
let admin; // the merchant's administrator in the back office, signed in once

/** GCH_SIGNATURE: the hex HMAC-SHA512, with the shop's key, of the GCH_ fields but the
 * signature as name=value, in the order given, joined by '&' (README "The hosted payment
 * page"); any other field (the site's own parameter on a return URL) is not signed. */
function gchSignature(keyHex, fields) {
  const msg = fields.filter(([k]) => k.startsWith('GCH_') && k !== 'GCH_SIGNATURE')
    .map(([k, v]) => `${k}=${v}`).join('&');
  return crypto.createHmac('sha512', Buffer.from(keyHex, 'hex')).update(msg).digest('hex');
}

/** Whether hex equals want, in constant time (a merchant's server compares so). */
function sameHex(hex, want) {
  return typeof hex === 'string' && hex.length === want.length
    && crypto.timingSafeEqual(Buffer.from(hex), Buffer.from(want));
}

/** Whether K, the last variable of text (a return's query or a notification's body, as
 * received), signs the text before it: the kit's testsign.php, split at the last '&', the
 * signature base64 once percent-decoded, RSA-SHA1 (PKCS#1 v1.5) with Guichet's public key. */
function payboxVerified(publicKey, text) {
  const cut = text.lastIndexOf('&');
  const [name, value] = text.slice(cut + 1).split('=');
  if (publicKey === null || cut < 0 || name !== 'Sign' || !value) return false;
  const sig = Buffer.from(decodeURIComponent(value), 'base64');
  return crypto.verify('sha1', Buffer.from(text.slice(0, cut), 'latin1'), publicKey, sig);
}

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

/**
 * The merchant's site. GET /shop?amount=N&lang=L makes an order (its reference chosen here) and
 * answers the cart with the signed form to Guichet's /pay; GET /return/<kind>?order=REF… takes
 * the buyer back; POST /notify takes Guichet's notification. Each order keeps what reached it:
 * returns [{ kind, fields, verified }] and notes [{ at, headers, raw, body, verified }].
 * answers.get(ref), when set, is how the notification endpoint answers that order's calls, one
 * entry a call (a status, or 'silent': no answer, the notifier gives up waiting), 200 after.
 * The Paybox System shop: GET /paybox-shop?amount=N makes an order paid through the PBX_ form,
 * GET /paybox/<kind>?… takes the buyer back and POST /paybox/ipn the notification, each kept in
 * the order (returns; ipns [{ headers, raw, fields, verified }]) with K verified by
 * it.payboxKey, Guichet's public key, which the test sets.
 */
async function merchantSite() {
  const orders = new Map();
  const answers = new Map();
  const it = { payboxKey: null };
  const stray = []; // requests to any other path: a followed redirect would land here
  let base;
  let count = 0;

  function cart(res, amount, lang) {
    count += 1;
    const ref = `E2E-SHOP-${count}-${crypto.randomBytes(3).toString('hex')}`;
    orders.set(ref, { ref, amount, returns: [], notes: [] });
    const back = (kind) => `${base}/return/${kind}?order=${ref}`; // the site's own parameter, not signed
    const fields = [
      ['GCH_SITE', shop.site], ['GCH_RANG', shop.rang], ['GCH_AMOUNT', String(amount)],
      ['GCH_CURRENCY', 'EUR'], ['GCH_ORDER_REF', ref], ['GCH_EMAIL', 'acheteur.e2e@example.com'],
      ['GCH_LANG', lang], ['GCH_CAPTURE', 'auto'],
      ['GCH_URL_ACCEPTED', back('accepted')], ['GCH_URL_REFUSED', back('refused')],
      ['GCH_URL_CANCELLED', back('cancelled')], ['GCH_TIME', String(Math.floor(now() / 1000))],
    ];
    fields.push(['GCH_SIGNATURE', gchSignature(shop.hmac_key, fields)]);
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><title>Boutique test</title></head>
<body><h1>Boutique test</h1><p>Commande <span id="order-ref">${esc(ref)}</span> :
<span id="order-amount">${(amount / 100).toFixed(2)} EUR</span></p>
<form method="post" action="${esc(gch.base)}/pay">${
  fields.map(([k, v]) => `<input type="hidden" name="${k}" value="${esc(v)}">`).join('')
}<button id="pay">Payer</button></form></body></html>`);
  }

  // The official kit's fields in its order (the URLs and options after them), PBX_HMAC over
  // them in upper-case hex; the notification by POST (PBX_RUF1), as the PrestaShop and Magento
  // modules ask.
  function payboxCart(res, amount) {
    count += 1;
    const ref = `E2E-PBX-${count}-${crypto.randomBytes(3).toString('hex')}`;
    orders.set(ref, { ref, amount, returns: [], notes: [], ipns: [] });
    const fields = [
      ['PBX_SITE', shop.site], ['PBX_RANG', shop.rang], ['PBX_IDENTIFIANT', '110647233'],
      ['PBX_TOTAL', String(amount)], ['PBX_DEVISE', '978'], ['PBX_CMD', ref],
      ['PBX_PORTEUR', 'acheteur.e2e@example.com'], ['PBX_RETOUR', 'Mt:M;Ref:R;Auto:A;Erreur:E;Appel:T;Trans:S;Sign:K'],
      ['PBX_HASH', 'SHA512'], ['PBX_TIME', new Date(now()).toISOString()],
      ['PBX_EFFECTUE', `${base}/paybox/accepted`], ['PBX_REFUSE', `${base}/paybox/refused`],
      ['PBX_ANNULE', `${base}/paybox/cancelled`], ['PBX_REPONDRE_A', `${base}/paybox/ipn`],
      ['PBX_RUF1', 'POST'], ['PBX_LANGUE', 'FRA'],
    ];
    const msg = fields.map(([k, v]) => `${k}=${v}`).join('&');
    fields.push(['PBX_HMAC', crypto.createHmac('sha512', Buffer.from(shop.hmac_key, 'hex')).update(msg).digest('hex').toUpperCase()]);
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Boutique E-transactions</title></head>
<body><h1>Boutique E-transactions</h1><p>Commande <span id="order-ref">${esc(ref)}</span></p>
<form method="post" action="${esc(gch.base)}/cgi/MYchoix_pagepaiement.cgi">${
  fields.map(([k, v]) => `<input type="hidden" name="${k}" value="${esc(v)}">`).join('')
}<button id="pay">Payer</button></form></body></html>`);
  }

  function takePaybox(text) {
    const fields = Object.fromEntries(new URLSearchParams(text));
    return { order: orders.get(fields.Ref), fields, verified: payboxVerified(it.payboxKey, text) };
  }

  function takeReturn(res, u, kind) {
    const order = orders.get(u.searchParams.get('order'));
    const fields = [...u.searchParams.entries()];
    const got = Object.fromEntries(fields.filter(([k]) => k.startsWith('GCH_')));
    const verified = sameHex(got.GCH_SIGNATURE, gchSignature(shop.hmac_key, fields))
      && order !== undefined && got.GCH_ORDER_REF === order.ref;
    if (order) order.returns.push({ kind, fields: got, verified });
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html><head><meta charset="utf-8"><title>Retour</title></head><body>
<p id="result" data-verified="${verified}">${verified ? esc(got.GCH_STATUS) : 'signature invalide'}</p></body></html>`);
  }

  function takeNotification(req, res, raw) {
    const sig = req.headers['x-guichet-signature'];
    const want = crypto.createHmac('sha512', Buffer.from(shop.hmac_key, 'hex')).update(raw).digest('hex');
    let body = null;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      // kept null: the test fails on it
    }
    const verified = sameHex(sig, want) && req.headers['x-guichet-site'] === shop.site
      && req.headers['x-guichet-rang'] === shop.rang;
    const order = body && orders.get(body.order_ref);
    if (order) {
      order.notes.push({ at: Date.now(), headers: req.headers, raw, body, verified });
    } else {
      stray.push({ method: req.method, url: req.url, raw });
    }
    const planned = (order && answers.get(order.ref)) || [];
    const answer = planned.length ? planned.shift() : 200;
    if (answer === 'silent') return; // the notifier times out and closes the connection
    const headers = { 'Content-Type': 'text/plain; charset=utf-8' };
    if (answer >= 300 && answer < 400) headers.Location = `${base}/elsewhere`;
    res.writeHead(answer, headers);
    res.end(answer === 200 ? 'OK' : `indisponible (${answer})`);
  }

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const u = new URL(req.url, 'http://site');
      const kind = u.pathname.match(/^\/return\/(accepted|refused|cancelled)$/);
      const pbx = u.pathname.match(/^\/paybox\/(accepted|refused|cancelled)$/);
      if (req.method === 'GET' && u.pathname === '/shop') {
        cart(res, Number(u.searchParams.get('amount')), u.searchParams.get('lang') || 'fr');
      } else if (req.method === 'GET' && u.pathname === '/paybox-shop') {
        payboxCart(res, Number(u.searchParams.get('amount')));
      } else if (req.method === 'GET' && pbx) {
        const { order, fields, verified } = takePaybox(u.search.slice(1));
        if (order) order.returns.push({ kind: pbx[1], fields, verified });
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
        res.end(`<!doctype html><html><head><meta charset="utf-8"><title>Retour</title></head><body>
<p id="result" data-verified="${verified}">${verified ? esc(fields.Erreur) : 'signature invalide'}</p></body></html>`);
      } else if (req.method === 'POST' && u.pathname === '/paybox/ipn') {
        const raw = Buffer.concat(chunks);
        const got = takePaybox(raw.toString('latin1'));
        if (got.order) got.order.ipns.push({ headers: req.headers, raw, fields: got.fields, verified: got.verified });
        else stray.push({ method: req.method, url: req.url, raw });
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end('OK');
      } else if (req.method === 'GET' && kind) {
        takeReturn(res, u, kind[1]);
      } else if (req.method === 'POST' && u.pathname === '/notify') {
        takeNotification(req, res, Buffer.concat(chunks));
      } else if (u.pathname === '/favicon.ico') { // the browser's own request
        res.writeHead(204);
        res.end();
      } else {
        stray.push({ method: req.method, url: req.url, raw: Buffer.concat(chunks) });
        res.writeHead(404);
        res.end();
      }
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${server.address().port}`;
  const close = () => new Promise((r) => {
    server.close(r);
    server.closeAllConnections();
  });
  return { base, orders, answers, stray, close, it };
}

async function until(what, fn, ms = 15000) {
  const end = Date.now() + ms;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

before(async () => {
  gch = await extraServer(['--notify-retry-ms', String(RETRY_MS), '--notify-timeout-ms', String(TIMEOUT_MS)]);
  [shop] = gch.demo.shops;
  site = await merchantSite();
});

after(async () => {
  if (admin) await admin.context().close().catch(() => {}); // the browser may be closed first
  if (site) await site.close();
  if (gch) await gch.stop();
});

/** A buyer on the shop page clicks Pay: the page of Guichet's card form, and the order. */
async function checkout(amount, lang = 'fr') {
  const context = await browser.newContext();
  const page = await newPage(context);
  await page.goto(`${site.base}/shop?amount=${amount}&lang=${lang}`);
  const order = site.orders.get(await page.locator('#order-ref').textContent());
  assert.ok(order, 'the site made the order');
  await page.locator('#pay').click();
  await page.locator('#cc-number').waitFor();
  assert.ok(page.url().startsWith(`${gch.base}/pay`), page.url());
  return { page, order };
}

const card = payWithCard;

/** The browser back on the site at /return/kind, the return verified: its GCH_ fields. */
async function returned(page, order, kind) {
  await page.waitForURL((u) => u.toString().startsWith(`${site.base}/return/${kind}?order=${order.ref}&`));
  await page.locator('#result[data-verified="true"]').waitFor();
  assert.equal(order.returns.length, 1, 'one return');
  const [r] = order.returns;
  assert.equal(r.kind, kind);
  assert.equal(r.verified, true, 'the site verified GCH_SIGNATURE');
  assert.equal(r.fields.GCH_ORDER_REF, order.ref);
  assert.ok(!/card|cvv|4111|4000/i.test(page.url()), 'no card in the return URL');
  return r.fields;
}

/** The return of a decision: its fields in README's order, the amount and time the order's. */
function decided(f, order, status, refusal) {
  assert.deepEqual(Object.keys(f), [
    'GCH_ID', 'GCH_ORDER_REF', 'GCH_AMOUNT', 'GCH_CURRENCY', 'GCH_STATUS', 'GCH_REFUSAL', 'GCH_TIME', 'GCH_SIGNATURE',
  ]);
  assert.match(f.GCH_ID, /^[1-9][0-9]*$/);
  assert.equal(f.GCH_AMOUNT, String(order.amount));
  assert.equal(f.GCH_CURRENCY, 'EUR');
  assert.equal(f.GCH_STATUS, status);
  assert.equal(f.GCH_REFUSAL, refusal);
  assert.ok(Math.abs(Number(f.GCH_TIME) - now() / 1000) < 60, `GCH_TIME ${f.GCH_TIME} is the decision's`);
}

/** The order's one notification, verified, telling what the return told: its body. */
async function notified(order, f, status, refusal) {
  await until(`${order.ref}'s notification`, () => order.notes.length > 0);
  const [n] = order.notes;
  assert.equal(n.verified, true, 'the site verified X-Guichet-Signature over the exact body');
  assert.match(n.headers['content-type'], /^application\/json/);
  const b = n.body;
  assert.equal(b.id, f.GCH_ID);
  assert.equal(b.order_ref, order.ref);
  assert.equal(b.amount, order.amount);
  assert.equal(b.currency, 'EUR');
  assert.equal(b.status, status);
  assert.equal(b.refusal_reason, refusal || null); // null when accepted
  assert.equal(b.origin, 'hosted_page');
  assert.match(b.card_masked, /\*/);
  // Never a card number nor an e-mail (README "Notifications").
  const text = n.raw.toString('utf8');
  assert.ok(!/\d{13,19}/.test(text) && !text.includes('@'), text);
  return b;
}

let cancelledRef;
const decisions = []; // the orders of (1) to (3), for the last checks

test('the shop\'s notification URL is the merchant site\'s, set in Parameters › General configuration', async () => {
  admin = await signedIn('admin', gch);
  const page = admin;
  const shopId = gch.sql(`SELECT id FROM shop WHERE site = '${shop.site}' AND rang = '${shop.rang}' AND env = 'production'`);
  await page.locator('nav .nav-link', { hasText: /^(Configuration générale|General configuration)$/ }).click();
  await page.locator('#settings-form').waitFor();
  await page.locator('#settings-shop').selectOption(shopId);
  await shown(page, `#/settings/${shopId}`);
  await page.locator(`#settings-rang:text("${shop.rang}")`).waitFor();
  await page.locator('#settings-url_notify').fill(`${site.base}/notify`);
  await page.locator('#settings-save').click();
  await page.locator('#settings-done:not([hidden])').waitFor();
  assert.equal(gch.sql(`SELECT url_notify FROM shop_settings WHERE shop_id = ${shopId}`), `${site.base}/notify`);
});

test('(1) an accepted card: the site gets the signed return on its accepted URL and the signed notification', async () => {
  const { page, order } = await checkout(4990);
  assert.equal(await page.locator('h1').textContent(), shop.name);
  await shot(page, 'merchant-card-form');
  await card(page, '4111111111111111');
  const f = await returned(page, order, 'accepted');
  decided(f, order, 'accepted', '');
  await shot(page, 'merchant-return-accepted');
  await notified(order, f, 'accepted', '');
  assert.equal(gch.sql(`SELECT status || '/' || order_ref FROM txn WHERE id = ${f.GCH_ID}`), `0/${order.ref}`);
  decisions.push(order);

  // The site's check is a real one: the same return with another status is refused.
  const forged = new URL(page.url());
  forged.searchParams.set('GCH_STATUS', 'refused');
  await page.goto(forged.toString());
  await page.locator('#result[data-verified="false"]').waitFor();
  assert.equal(order.returns[1].verified, false);
  await page.context().close();
});

test('(2) a refused card: the refused URL and a refused notification', async () => {
  const { page, order } = await checkout(1250, 'en');
  await card(page, '4000000000000002');
  const f = await returned(page, order, 'refused');
  decided(f, order, 'refused', 'acquirer_refused');
  await notified(order, f, 'refused', 'acquirer_refused');
  decisions.push(order);
  await page.context().close();
});

test('(3) a 3-D Secure challenge failed: refused 3ds_failed, authentication N in the notification', async () => {
  const { page, order } = await checkout(8800);
  await card(page, '4000000000003220');
  await page.getByLabel('Code de confirmation').fill('0000');
  await shot(page, 'merchant-3ds-challenge');
  await page.locator('button[value="confirm"]').click();
  const f = await returned(page, order, 'refused');
  decided(f, order, 'refused', '3ds_failed');
  const b = await notified(order, f, 'refused', '3ds_failed');
  assert.equal(b.three_d_secure.authenticated, 'N');
  decisions.push(order);
  await page.context().close();
});

test('(4) the buyer cancels on the card page: the cancelled URL, signed, nothing recorded', async () => {
  const { page, order } = await checkout(2000);
  await page.locator('button[value="cancel"]').click();
  const f = await returned(page, order, 'cancelled');
  assert.deepEqual(f, { GCH_ORDER_REF: order.ref, GCH_STATUS: 'cancelled', GCH_SIGNATURE: f.GCH_SIGNATURE });
  assert.equal(gch.sql(`SELECT count(*) FROM txn WHERE order_ref = '${order.ref}'`), '0');
  cancelledRef = order.ref;
  await page.context().close();
});

test('the notification server fails three times then recovers: one success recorded, every attempt shown', async () => {
  const { page, order } = await checkout(15900);
  // 503, a redirect (not followed, not a success), no answer within the timeout, then 200.
  site.answers.set(order.ref, [503, 302, 'silent', 200]);
  await card(page, '5555555555554444');
  const f = await returned(page, order, 'accepted');
  decided(f, order, 'accepted', '');
  await page.context().close();

  await until('the fourth call', () => order.notes.length === 4);
  await until('the delivery recorded', () => gch.sql(`SELECT state FROM notify_outbox WHERE txn_id = ${f.GCH_ID}`) === '1');
  // Every call the same signed bytes, the notification's own (written with the decision).
  for (const n of order.notes) {
    assert.equal(n.verified, true);
    assert.deepEqual(n.raw, order.notes[0].raw);
  }
  assert.equal(order.notes[0].body.id, f.GCH_ID);
  assert.equal(order.notes[0].body.status, 'accepted');
  // The notifier's waits: RETRY_MS, then doubled, each at least 75 % of it (±25 % of jitter),
  // the third after the timeout.
  for (let i = 1; i < 4; i++) {
    const gap = order.notes[i].at - order.notes[i - 1].at;
    const least = 0.75 * RETRY_MS * 2 ** (i - 1) + (i === 3 ? TIMEOUT_MS : 0) - 50;
    assert.ok(gap >= least, `wait ${i}: ${gap} ms, at least ${least}`);
  }

  const [nid, state, attempts] = gch.sql(
    `SELECT id, state, attempts FROM notify_outbox WHERE txn_id = ${f.GCH_ID}`,
  ).split('|');
  assert.deepEqual([state, attempts], ['1', '4']);
  assert.equal(
    gch.sql(`SELECT group_concat(http_status, ',') FROM (SELECT http_status FROM notify_attempt WHERE notify_id = ${nid} ORDER BY id)`),
    '503,302,0,200',
  );
  assert.equal(gch.sql(`SELECT count(*) FROM notify_attempt WHERE notify_id = ${nid} AND http_status BETWEEN 200 AND 299`), '1');
  assert.notEqual(gch.sql(`SELECT error FROM notify_attempt WHERE notify_id = ${nid} AND http_status = 0`), '');

  // Delivered is delivered: still four calls a second later (four rounds of the notifier).
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(order.notes.length, 4);
  assert.equal(gch.sql(`SELECT count(*) FROM notify_attempt WHERE notify_id = ${nid}`), '4');
  assert.deepEqual(site.stray, [], 'the redirect was not followed, nothing else called');

  // The merchant sees every attempt in the transaction's Notifications tab.
  const bo = admin;
  await bo.goto(`${gch.base}/#/transactions?from=${parisDay(-1)}&to=${parisDay(1)}&id=${f.GCH_ID}`);
  await bo.locator(`[data-details="${f.GCH_ID}"]`).click();
  await bo.locator('#tx-details').waitFor();
  await bo.locator('#tx-tab-notifications').click();
  const block = bo.locator('#tx-notifications section.notify');
  await block.first().waitFor();
  assert.equal(await block.count(), 1);
  assert.match(await block.locator('h3').textContent(), /^(Remise|Delivered) — POST http:\/\/127\.0\.0\.1:\d+\/notify$/);
  assert.match(await block.textContent(), /4 (tentative|attempt)\(s\)/);
  const rows = block.locator('tbody tr');
  assert.equal(await rows.count(), 4);
  const statuses = await rows.locator('td:nth-child(3)').allTextContents();
  assert.deepEqual([statuses[0], statuses[1], statuses[3]], ['503', '302', '200']);
  assert.match(statuses[2], /^(Pas de réponse|No answer)$/);
  assert.notEqual((await rows.nth(2).locator('td:nth-child(4)').textContent()).trim(), '', 'libcurl\'s error shown');
  assert.match(await rows.nth(3).locator('td:nth-child(5)').textContent(), /^OK$/);
  assert.match(await rows.nth(0).locator('td:nth-child(5)').textContent(), /indisponible \(503\)/);
  await shot(bo, 'merchant-notification-attempts');
});

test('Paybox System: a PBX_ request pays; its return and its notification carry K, verified with Guichet\'s public key', async () => {
  const pem = await admin.request.get(`${gch.base}/bo/api/paybox-public-key`);
  assert.equal(pem.status(), 200);
  site.it.payboxKey = crypto.createPublicKey(await pem.text());

  const context = await browser.newContext();
  const page = await newPage(context);
  await page.goto(`${site.base}/paybox-shop?amount=3450`);
  const order = site.orders.get(await page.locator('#order-ref').textContent());
  await page.locator('#pay').click();
  await page.locator('#cc-number').waitFor();
  assert.match(await page.locator('#amount').textContent(), /^34,50 EUR$/);
  await card(page, '4111111111111111');
  await page.waitForURL((u) => u.toString().startsWith(`${site.base}/paybox/accepted?`));
  await page.locator('#result[data-verified="true"]').waitFor();
  await shot(page, 'merchant-paybox-return');
  const query = new URL(page.url()).search.slice(1);
  await context.close();

  assert.equal(order.returns.length, 1);
  const f = order.returns[0].fields;
  assert.deepEqual(Object.keys(f), ['Mt', 'Ref', 'Auto', 'Erreur', 'Appel', 'Trans', 'Sign']);
  assert.deepEqual([f.Mt, f.Ref, f.Erreur], ['3450', order.ref, '00000']);
  assert.match(f.Auto, /^\S{6}$/);
  assert.equal(f.Appel, f.Trans);
  assert.equal(gch.sql(`SELECT status || '/' || order_ref FROM txn WHERE id = ${Number(f.Trans)}`), `0/${order.ref}`);
  // The check is a real one: other bytes do not verify.
  assert.equal(payboxVerified(site.it.payboxKey, query.replace('Mt=3450', 'Mt=3451')), false);

  // PBX_REPONDRE_A, by POST: the same signed variables, the same bytes as the return's.
  await until('the Paybox notification', () => order.ipns.length > 0);
  const [ipn] = order.ipns;
  assert.equal(ipn.verified, true, 'the site verified K of the notification');
  assert.match(ipn.headers['content-type'], /^application\/x-www-form-urlencoded/);
  assert.equal(ipn.raw.toString('latin1'), query);
  assert.equal(order.notes.length, 0, 'no Guichet JSON notification beside it');
});

test('each decision was notified exactly once, the cancelled order never', async () => {
  for (const order of decisions) {
    assert.equal(order.notes.length, 1, order.ref);
    const id = order.returns[0].fields.GCH_ID;
    assert.equal(gch.sql(`SELECT state || '/' || attempts FROM notify_outbox WHERE txn_id = ${id}`), '1/1');
  }
  assert.equal(site.orders.get(cancelledRef).notes.length, 0);
  assert.equal(gch.sql("SELECT count(*) FROM notify_outbox WHERE body LIKE '%E2E-SHOP-%'"), String(decisions.length + 1));
});

test('this file\'s server stops cleanly, and no card number reached its log', async () => {
  await admin.context().close(); // its page would call a stopped server
  admin = null;
  const exit = await gch.stop();
  assert.deepEqual(exit, { code: 0, signal: null }, gch.readLog());
  const log = gch.readLog();
  for (const number of ['4111111111111111', '4000000000000002', '4000000000003220', '5555555555554444']) {
    assert.ok(!log.includes(number), `${number} in the log`);
  }
});
