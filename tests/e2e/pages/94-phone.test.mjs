// The back office on a phone (390×844): every page of the administrator's menu and the top
// bar's fits the screen's width (what is wider, a table, scrolls in its own box), the menu and
// the tree fold behind a "Menu" button, a dialog takes the whole screen, the Home chart fits.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { base, browser, shot, shown, signedIn } from '../harness.mjs';

const PHONE = { width: 390, height: 844 };

/** What sticks out of the screen's width: the page's own width, and the first few elements
 * whose right edge passes it without a scrolling box of their own around them. */
async function overflow(page) {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const scrolls = (el) => {
      for (let p = el.parentElement; p; p = p.parentElement) {
        const o = getComputedStyle(p).overflowX;
        if (o === 'auto' || o === 'scroll' || o === 'hidden') return p !== document.body && p !== document.documentElement;
      }
      return false;
    };
    const out = [];
    for (const el of document.querySelectorAll('body *')) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.right <= width + 1 || scrolls(el)) continue;
      out.push(`${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}.${[...el.classList].join('.')} right=${Math.round(r.right)}`);
      if (out.length >= 5) break;
    }
    return { scrollWidth: document.documentElement.scrollWidth, width, out };
  });
}

async function fits(page, what) {
  const o = await overflow(page);
  assert.ok(o.scrollWidth <= o.width + 1 && o.out.length === 0, `${what} is wider than the phone: ${JSON.stringify(o)}`);
}

test('the sign-in page fits a phone', async () => {
  const context = await browser.newContext({ viewport: PHONE });
  const page = await context.newPage();
  await page.goto(`${base}/`);
  await page.locator('#signin-form').waitFor();
  await fits(page, 'the sign-in page');
  await shot(page, 'phone-signin');
  await context.close();
});

test('every page fits a phone; the menu folds behind a button', async () => {
  const page = await signedIn('admin');
  await page.setViewportSize(PHONE);
  await page.goto(`${base}/#/home`);
  await shown(page, '#/home');

  // The menu and the tree are folded; the button unfolds them, a page chosen folds them again.
  const toggle = page.locator('#menu-toggle');
  assert.ok(await toggle.isVisible());
  assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
  assert.ok(await page.locator('nav.sidenav').isHidden());
  await toggle.click();
  assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
  assert.ok(await page.locator('nav.sidenav').isVisible());
  await fits(page, 'the open menu');
  await shot(page, 'phone-menu');
  const hrefs = await page.locator('nav .nav-link').evaluateAll((links) => links.map((a) => a.getAttribute('href')));
  assert.ok(hrefs.length >= 15, `the administrator's menu: ${hrefs}`);
  await page.locator('nav .nav-link[href="#/transactions"]').click();
  await page.locator('#tx-title').waitFor();
  assert.ok(await page.locator('nav.sidenav').isHidden(), 'the menu folds once a page is chosen');

  // Every page, each one's overflow said (not only the first page's).
  const wide = [];
  for (const href of [...hrefs, '#/store', '#/contact']) {
    await page.goto(`${base}/${href}`);
    await page.waitForFunction((h) => location.hash.startsWith(h.split('?')[0]), href);
    await page.locator('main h1').first().waitFor();
    await page.waitForFunction(() => !document.querySelector('[aria-busy="true"]'));
    await shot(page, `phone-${href.slice(2).replace(/\W+/g, '-')}`);
    const o = await overflow(page);
    if (o.scrollWidth > o.width + 1 || o.out.length) wide.push(`${href}: ${JSON.stringify(o)}`);
  }
  assert.deepEqual(wide, [], 'pages wider than the phone');
  await page.context().close();
});

test('the HMAC manager’s page fits a phone', async () => {
  const page = await signedIn('hmac');
  await page.setViewportSize(PHONE);
  await page.goto(`${base}/#/hmac-keys`);
  await page.locator('main h1').first().waitFor();
  await page.waitForFunction(() => !document.querySelector('[aria-busy="true"]'));
  await fits(page, '#/hmac-keys');
  await shot(page, 'phone-hmac-keys');
  await page.context().close();
});

test('on a phone a dialog takes the whole screen, and the Home chart fits', async () => {
  const page = await signedIn('action');
  await page.setViewportSize(PHONE);
  await page.goto(`${base}/#/home`);
  await shown(page, '#/home');
  const canvas = page.locator('#stats-results canvas').first();
  await canvas.waitFor();
  const box = await canvas.boundingBox();
  assert.ok(box.x >= 0 && box.x + box.width <= PHONE.width, `the chart: ${JSON.stringify(box)}`);
  await fits(page, 'Home');

  await page.goto(`${base}/#/transactions`);
  await page.locator('#tx-journal tbody tr').first().waitFor();
  await page.locator('#tx-journal tbody tr [data-details]').first().click();
  const dialog = page.locator('#tx-details');
  await dialog.waitFor();
  const d = await dialog.boundingBox();
  assert.ok(d.x <= 1 && d.width >= PHONE.width - 2 && d.width <= PHONE.width + 1, `the dialog: ${JSON.stringify(d)}`);
  assert.ok(d.y <= 1 && d.height >= PHONE.height - 2 && d.height <= PHONE.height + 1, `the dialog: ${JSON.stringify(d)}`);
  // Its close button is in sight.
  const close = await page.locator('#details-close').boundingBox();
  assert.ok(close && close.y + close.height <= PHONE.height, 'the close button is on screen');
  await shot(page, 'phone-transaction-details');
  await page.context().close();
});
