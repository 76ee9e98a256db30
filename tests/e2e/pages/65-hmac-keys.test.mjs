// Parameters › HMAC key (SPEC §11; Vision manual §9.1.3): the HMAC manager generates a key
// with a weak then a strong passphrase (the button follows the server's meter), sees it once,
// follows the activation link of the mail in a signed-out browser, and sees the status change
// (then "used" after a signed payment). Home's banner warns of an expired key (SPEC §12).
import crypto from 'node:crypto';
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { base, browser, demo, heading, mailsTo, newPage, now, shot, signedIn, sql } from '../harness.mjs';

const WEAK = 'qwertyuiopasdfghjk';
const STRONG = 'Une Clé Pour Tester 42!';

async function statusOf(page, keyId) {
  return page.locator(`#hmac-keys tr[data-key="${keyId}"]`).getAttribute('data-status');
}

test('the HMAC manager generates a key, activates it by the mailed link, and it gets used', async () => {
  const page = await signedIn('hmac');
  const links = await page.locator('nav .nav-link').evaluateAll((a) => a.map((x) => x.getAttribute('href')));
  assert.ok(links.includes('#/hmac-keys'), 'the menu has Parameters › HMAC key');
  await page.goto(`${base}/#/hmac-keys`);
  await page.locator('#hmac-form').waitFor();
  assert.equal(await heading(page), 'Clé d’authentification HMAC');
  const shop = demo.shops[2];
  const shopId = Number(sql(`SELECT id FROM shop WHERE site = '${shop.site}' AND rang = '${shop.rang}' AND env = 'production'`));
  assert.ok(await page.locator(`#hmac-keys tr[data-shop="${shopId}"]`).count() >= 1);
  await page.locator('#hmac-shop').selectOption(String(shopId));

  // Weak: the meter says so and the button stays disabled.
  const generate = page.locator('#hmac-generate');
  assert.equal(await generate.isDisabled(), true);
  await page.locator('#hmac-passphrase').fill(WEAK);
  await page.waitForFunction(() => /18/.test(document.querySelector('#hmac-quality').textContent));
  assert.equal(await generate.isDisabled(), true);
  assert.ok(Number(await page.locator('#hmac-meter').evaluate((m) => m.value)) < 90);
  // The show toggle.
  assert.equal(await page.locator('#hmac-passphrase').getAttribute('type'), 'password');
  await page.locator('#hmac-show').click();
  assert.equal(await page.locator('#hmac-passphrase').getAttribute('type'), 'text');
  await shot(page, 'hmac-weak');

  // Strong: enabled; generated; the key shown once with its warnings.
  await page.locator('#hmac-passphrase').fill(STRONG);
  await page.waitForFunction(() => !document.querySelector('#hmac-generate').disabled);
  const made = page.waitForResponse((r) => r.url() === `${base}/bo/api/hmac-keys` && r.request().method() === 'POST');
  await generate.click();
  const answer = await (await made).json();
  await page.locator('#hmac-key').waitFor();
  const key = await page.locator('#hmac-key').inputValue();
  assert.match(key, /^[0-9a-f]{128}$/);
  assert.equal(key, answer.key);
  assert.ok((await page.locator('#hmac-once').textContent()).includes('ne sera plus jamais affichée'));
  const me = await (await page.request.get(`${base}/bo/api/me`)).json();
  assert.ok((await page.locator('#hmac-mailed').textContent()).includes(me.email));
  assert.equal(await page.locator('#hmac-passphrase').inputValue(), '');
  await page.locator(`#hmac-keys tr[data-key="${answer.id}"]`).waitFor();
  assert.equal(await statusOf(page, answer.id), 'created');
  await shot(page, 'hmac-generated');

  // The mail holds the link, not the key.
  const mails = await mailsTo(me.email, { count: 1 });
  const mail = mails.reverse().find((m) => m.body.includes('hmac-activate'));
  assert.ok(mail, 'the activation mail');
  assert.ok(!mail.body.includes(key), 'the key is never mailed');
  const link = mail.body.match(/(https?:\/\/\S+#\/hmac-activate\?token=[0-9a-f]{64})/)[1];
  assert.ok(link.startsWith(base));

  // Followed in another browser, signed out.
  const other = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const visitor = await newPage(other);
  await visitor.goto(link);
  await visitor.locator('#hmac-activate-result').waitFor();
  assert.match(await visitor.locator('#hmac-activate-result').textContent(), /Votre clé est activée/);
  await shot(visitor, 'hmac-activated');
  // Twice: refused, and said so.
  await visitor.goto(`${base}/#/`);
  await visitor.goto(link);
  await visitor.locator('#hmac-activate-result.error').waitFor();
  await other.close();

  await page.reload();
  await page.locator(`#hmac-keys tr[data-key="${answer.id}"]`).waitFor();
  assert.equal(await statusOf(page, answer.id), 'activated');

  // The merchant API takes the new key at once; its first payment makes it "used".
  const body = JSON.stringify({
    amount: 4200, currency: 'EUR', order_ref: `E2E-HMAC-${Date.now()}`,
    card: { number: '4111111111111111', expiry: '1230', cvv: '123' }, email: 'buyer@example.com', capture: 'auto',
  });
  const sign = (k) => crypto.createHmac('sha512', Buffer.from(k, 'hex')).update(body).digest('hex');
  const pay = (k) => fetch(`${base}/api/v1/payments`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Guichet-Site': shop.site, 'X-Guichet-Rang': shop.rang, 'X-Guichet-Signature': sign(k) },
    body,
  });
  assert.equal((await pay(shop.hmac_key)).status, 401, 'the old key no longer works');
  assert.equal((await pay(key)).status, 201);
  shop.hmac_key = key; // for any later test
  for (let i = 0; i < 50 && (await statusOf(page, answer.id)) !== 'used'; i++) {
    await new Promise((r) => setTimeout(r, 100));
    await page.reload();
    await page.locator(`#hmac-keys tr[data-key="${answer.id}"]`).waitFor();
  }
  assert.equal(await statusOf(page, answer.id), 'used');
  await page.context().close();
});

test('Home and the HMAC manager\'s landing page warn of an expired key', async () => {
  const shop = demo.shops[1];
  sql(`UPDATE hmac_key SET expires_at = ${(now() - 86400000) * 1000} WHERE status IN ('activated', 'used') ` +
      `AND shop_id = (SELECT id FROM shop WHERE site = '${shop.site}' AND rang = '${shop.rang}' AND env = 'production')`);
  for (const profile of ['consultation', 'hmac']) {
    const page = await signedIn(profile);
    const notice = page.locator('#notices .notice-hmac_key_expired');
    await notice.waitFor();
    const text = await notice.textContent();
    assert.ok(text.includes(shop.site) && text.includes('a expiré'), text);
    await shot(page, `hmac-notice-${profile}`);
    await page.context().close();
  }
});
