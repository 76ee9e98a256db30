// Parameters › Payment page (README "The hosted payment page", Templates) in a real browser: an
// administrator sets a shop's colours and texts (a colour whose contrast is too low is
// refused, the live preview showing why), uploads its logo (an SVG refused), and the buyer
// sent by a merchant test site sees them on the hosted page, under the page's strict CSP (a
// violation would be a console error, which fails the run); a consultation user only reads the
// template; the reset gives Guichet's page back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import zlib from 'node:zlib';

import { base, browser, demo, inFrench, newPage, now, shot, shown, signedIn, sql } from '../harness.mjs';

const SHOP = 2; // demo.shops[SHOP]: a shop the other hosted page tests leave alone
let site;
let shopBase;

function sign(keyHex, fields) {
  const msg = fields.filter(([k]) => k.startsWith('GCH_') && k !== 'GCH_SIGNATURE')
    .map(([k, v]) => `${k}=${v}`).join('&');
  return crypto.createHmac('sha512', Buffer.from(keyHex, 'hex')).update(msg).digest('hex');
}

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

/** A PNG of width x height pixels of one colour. */
function png(width, height, [r, g, b]) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const byte of buf) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (kind, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(kind, 'latin1'), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, sum]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: width }, () => [r, g, b]).flat())]);
  const raw = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0)),
  ]);
}

function checkoutPage(ref, lang) {
  const shop = demo.shops[SHOP];
  const fields = [
    ['GCH_SITE', shop.site], ['GCH_RANG', shop.rang], ['GCH_AMOUNT', '1500'],
    ['GCH_CURRENCY', 'EUR'], ['GCH_ORDER_REF', ref], ['GCH_EMAIL', 'buyer@example.com'],
    ['GCH_LANG', lang], ['GCH_URL_ACCEPTED', `${shopBase}/return/accepted`],
    ['GCH_URL_REFUSED', `${shopBase}/return/refused`],
    ['GCH_URL_CANCELLED', `${shopBase}/return/cancelled`],
    ['GCH_TIME', String(Math.floor(now() / 1000))],
  ];
  fields.push(['GCH_SIGNATURE', sign(shop.hmac_key, fields)]);
  return `<!doctype html><html><body><form method="post" action="${base}/pay">${
    fields.map(([k, v]) => `<input type="hidden" name="${k}" value="${esc(v)}">`).join('')
  }<button id="go">Payer</button></form></body></html>`;
}

before(async () => {
  site = http.createServer((req, res) => {
    const u = new URL(req.url, 'http://x');
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(u.pathname === '/checkout'
      ? checkoutPage(u.searchParams.get('ref'), u.searchParams.get('lang') || 'fr')
      : '<!doctype html><p id="result">back</p>');
  });
  await new Promise((resolve) => site.listen(0, '127.0.0.1', resolve));
  shopBase = `http://127.0.0.1:${site.address().port}`;
});

after(() => site.close());

function shopId() {
  const s = demo.shops[SHOP];
  return Number(sql(`SELECT id FROM shop WHERE site = '${s.site}' AND rang = '${s.rang}' AND env = 'production'`));
}

const french = inFrench;

/** The buyer's card form, reached from the merchant's site; and the page's CSP. */
async function buyer(lang) {
  const context = await browser.newContext({ viewport: { width: 375, height: 740 } }); // a phone
  const page = await newPage(context);
  await page.goto(`${shopBase}/checkout?ref=E2E-THEME-${Date.now()}&lang=${lang}`);
  const answer = page.waitForResponse((r) => r.url() === `${base}/pay`);
  await page.locator('#go').click();
  const csp = (await answer).headers()['content-security-policy'];
  await page.locator('#cc-number').waitFor();
  return { page, csp };
}

const rgb = (page, selector, prop) => page.locator(selector).first().evaluate((el, p) => getComputedStyle(el)[p], prop);

test('an administrator sets a shop\'s payment page and the buyer sees it', async () => {
  const shop = shopId();
  const page = await french(await signedIn('admin'));
  await page.locator('nav .nav-link', { hasText: 'Page de paiement' }).click();
  await page.locator('#page-theme-shop').selectOption(String(shop));
  await shown(page, `#/page-theme/${shop}`);
  await page.locator('#theme-form').waitFor();
  // Every control has its label.
  for (const label of ['Couleur principale (boutons)', 'Couleur de fond', 'Titre (français)', 'Texte d’aide (anglais)', 'Envoyer un logo']) {
    assert.equal(await page.getByLabel(label, { exact: true }).count(), 1, label);
  }

  // A yellow under white labels: the preview warns, the server refuses, nothing is written.
  await page.locator('#theme-primary_color').fill('#ffd700');
  await page.locator('#theme-contrast:not([hidden])', { hasText: 'boutons' }).waitFor();
  await page.locator('#theme-save').click();
  await page.locator('#theme-error:not([hidden])').waitFor();
  assert.equal(await page.locator('#theme-primary_color').getAttribute('aria-invalid'), 'true');
  await shot(page, 'page-theme-contrast-refused');
  assert.equal(sql(`SELECT count(*) FROM page_theme WHERE shop_id = ${shop}`), '0');

  await page.locator('#theme-primary_color').fill('#7a1f5c');
  await page.locator('#theme-background_color').fill('#fdf6e3');
  await page.locator('#theme-title_fr').fill('Bienvenue chez <Maison> & Cie');
  await page.locator('#theme-title_en').fill('Welcome to Maison & Co');
  await page.locator('#theme-footer_fr').fill('Une question ? Appelez le 01 23 45 67 89.');
  await page.locator('#theme-footer_en').fill('A question? Call +33 1 23 45 67 89.');
  // The live preview follows, before anything is saved.
  assert.equal(await page.locator('#theme-preview-heading').textContent(), 'Bienvenue chez <Maison> & Cie');
  assert.equal(await rgb(page, '#theme-preview-pay', 'backgroundColor'), 'rgb(122, 31, 92)');
  assert.equal(await rgb(page, '#theme-preview', 'backgroundColor'), 'rgb(253, 246, 227)');
  assert.equal(await page.locator('#theme-contrast').isHidden(), true);
  await page.locator('#theme-save').click();
  await page.locator('#theme-done', { hasText: 'Page de paiement enregistrée.' }).waitFor();
  assert.equal(sql(`SELECT primary_color || ' ' || background_color || ' ' || version FROM page_theme WHERE shop_id = ${shop}`),
    '#7a1f5c #fdf6e3 1');

  // The logo: an SVG refused, a PNG taken and shown in the preview.
  await page.locator('#theme-logo-file').setInputFiles({ name: 'logo.svg', mimeType: 'image/svg+xml', buffer: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>') });
  await page.locator('#theme-logo-error:not([hidden])', { hasText: 'PNG ou JPEG' }).waitFor();
  const logo = png(120, 40, [122, 31, 92]);
  await page.locator('#theme-logo-file').setInputFiles({ name: 'logo.png', mimeType: 'image/png', buffer: logo });
  await page.locator('#theme-logo-state', { hasText: `Logo actuel : image/png, ${logo.length} octets.` }).waitFor();
  await page.waitForFunction(() => document.querySelector('#theme-preview-logo').naturalWidth === 120);
  assert.equal(sql(`SELECT length(logo) || ' ' || version FROM page_theme WHERE shop_id = ${shop}`), `${logo.length} 2`);
  await shot(page, 'page-theme');
  // Both changes are in the action log.
  assert.equal(sql(`SELECT group_concat(action, ' ') FROM (SELECT action FROM action_log WHERE action LIKE 'page_theme%' ORDER BY id)`),
    'page_theme_changed page_theme_logo_changed');

  // The buyer, in French then in English.
  for (const [lang, title, footer] of [['fr', 'Bienvenue chez <Maison> & Cie', 'Une question ?'], ['en', 'Welcome to Maison & Co', 'A question?']]) {
    const { page: pay, csp } = await buyer(lang);
    assert.match(csp, /^default-src 'none'; style-src 'self'; img-src 'self'; /);
    assert.ok(!csp.includes('unsafe-inline'));
    assert.equal(await pay.locator('.pay-heading').textContent(), title);
    assert.ok((await pay.locator('.pay-footer').textContent()).startsWith(footer));
    const img = pay.locator('img.pay-logo');
    assert.equal(await img.getAttribute('alt'), demo.shops[SHOP].name);
    await pay.waitForFunction(() => document.querySelector('img.pay-logo').naturalWidth === 120);
    assert.equal(await rgb(pay, 'button[value="pay"]', 'backgroundColor'), 'rgb(122, 31, 92)');
    assert.equal(await rgb(pay, 'main.pay', 'backgroundColor'), 'rgb(253, 246, 227)');
    // The help text is shown last, below the form.
    const [formBottom, footerTop] = await pay.evaluate(() => [
      document.querySelector('.pay-form').getBoundingClientRect().bottom,
      document.querySelector('.pay-footer').getBoundingClientRect().top,
    ]);
    assert.ok(footerTop >= formBottom, 'the help text below the form');
    await shot(pay, `page-theme-hosted-${lang}`);
    await pay.context().close();
  }
  await page.context().close();
});

test('a consultation user reads the template, and cannot change it', async () => {
  const shop = shopId();
  const page = await french(await signedIn('consultation'));
  await page.goto(`${base}/#/page-theme/${shop}`);
  await page.locator('#theme-read-only').waitFor();
  assert.equal(await page.locator('#theme-primary_color').inputValue(), '#7a1f5c');
  assert.equal(await page.locator('#theme-primary_color').isDisabled(), true);
  assert.equal(await page.locator('#theme-save').count(), 0);
  assert.equal(await page.locator('#theme-logo-file').count(), 0);
  await page.context().close();
});

test('the reset gives Guichet\'s page back', async () => {
  const shop = shopId();
  const page = await french(await signedIn('admin'));
  await page.goto(`${base}/#/page-theme/${shop}`);
  await page.locator('#theme-form').waitFor();
  await page.locator('#theme-reset').click();
  await page.locator('#confirm-dialog-ok').click();
  await page.locator('#theme-done', { hasText: 'de nouveau celle de Guichet' }).waitFor();
  assert.equal(await page.locator('#theme-primary_color').inputValue(), '');
  assert.equal(await page.locator('#theme-logo-state').textContent(), 'Aucun logo.');
  assert.equal(sql(`SELECT primary_color || '|' || title_fr || '|' || coalesce(length(logo), 0) FROM page_theme WHERE shop_id = ${shop}`), '||0');
  const { page: pay } = await buyer('fr');
  assert.equal(await pay.locator('.pay-brand, .pay-footer, link[href^="/pay/theme/"]').count(), 0);
  await pay.context().close();
  await page.context().close();
});
