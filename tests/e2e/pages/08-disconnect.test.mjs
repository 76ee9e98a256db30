// Disconnect and resume (SPEC §3 "disconnected"; README "Disconnect and resume"): "Suspendre la
// session" beside sign-out keeps the session on the server for this browser, which shows until
// when it can be resumed; another device is told it is disconnected; a new tab of this browser
// (its CSRF token gone with the old one) resumes it from the sign-in page and goes on working;
// a refused resume forgets the key and says why.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { base, browser, heading, inFrench, NEW_PASSWORD, newPage, shot, signedIn, signIn, user } from '../harness.mjs';

const stored = (page) => page.evaluate(() => JSON.parse(localStorage.getItem('guichet.resume') || 'null'));
const status = (page, method, path, csrf = true) =>
  page.evaluate(
    async ([m, p, c]) => {
      const headers = { 'Content-Type': 'application/json' };
      if (c) headers['X-CSRF-Token'] = localStorage.getItem('guichet.csrf');
      const r = await fetch(p, { method: m, headers, body: m === 'GET' ? undefined : '{}' });
      return [r.status, (await r.json()).error || null];
    },
    [method, path, csrf],
  );

test('disconnect keeps the session for this browser, which resumes it in a new tab', async () => {
  const page = await inFrench(await signedIn('action'));
  const context = page.context();
  assert.equal(await page.locator('#disconnect').textContent(), 'Suspendre la session');
  assert.equal(await page.locator('#signout').textContent(), 'Se déconnecter');
  await page.locator('#disconnect').click();
  await page.locator('#disconnected-title').waitFor();
  assert.equal(await heading(page), 'Session suspendue');
  const offer = await page.locator('#resume-offer-text').textContent();
  assert.match(offer, /peut être reprise sur cet appareil jusqu’au \d\d\/\d\d\/\d{4} \d\d:\d\d:\d\d/);
  const kept = await stored(page);
  assert.match(kept.key, /^[A-Za-z0-9_-]{43}$/);
  assert.ok(Date.parse(kept.until) > Date.now());
  assert.equal(await page.evaluate(() => localStorage.getItem('guichet.csrf')), null);
  await shot(page, 'disconnected');
  // The server keeps it disconnected: nothing answers but the resume.
  assert.deepEqual(await status(page, 'GET', '/bo/api/session'), [401, 'session_disconnected']);

  // Another device is told the session is disconnected there, and may leave it be.
  const other = await newPage(await browser.newContext());
  assert.equal(await signIn(other, user('action').login, NEW_PASSWORD), 409);
  await other.locator('#elsewhere-text', { hasText: 'suspendue sur l’appareil' }).waitFor();
  await shot(other, 'signin-session-disconnected-elsewhere');
  await other.locator('#elsewhere-cancel').click();
  await other.context().close();

  // A new tab of this browser: the sign-in page offers the resume first.
  await page.close();
  const tab = await newPage(context);
  await tab.goto(`${base}/#/signin`);
  await tab.locator('#resume-session').waitFor();
  assert.equal(await tab.locator('#resume-session').textContent(), 'Reprendre ma session');
  assert.ok(await tab.locator('#signin-form').isVisible(), 'signing in otherwise stays possible');
  await shot(tab, 'signin-resume-offer');
  await tab.locator('#resume-session').click();
  await tab.locator('nav .nav-link').first().waitFor();
  await tab.locator('main h1').waitFor();
  assert.equal(await stored(tab), null, 'the key is forgotten once used');
  // Connected again, with a CSRF token for this tab: changes go through.
  assert.deepEqual(await status(tab, 'PATCH', '/bo/api/me/preferences'), [200, null]);
  await shot(tab, 'resumed');

  // A refused resume (here a key not the session's) forgets the key and shows the sign-in
  // page with the server's reason.
  await tab.locator('#disconnect').click();
  await tab.locator('#disconnected-title').waitFor();
  await tab.evaluate(() => {
    const v = JSON.parse(localStorage.getItem('guichet.resume'));
    v.key = 'A'.repeat(43);
    localStorage.setItem('guichet.resume', JSON.stringify(v));
  });
  await tab.locator('#resume-session').click();
  await tab.locator('#signin-notice', { hasText: 'clé de reprise refusée' }).waitFor();
  assert.equal(await tab.locator('#resume-session').count(), 0);
  assert.equal(await stored(tab), null);
  await shot(tab, 'resume-refused');
  // Signing in again (taking the disconnected session over) works as ever.
  assert.equal(await signIn(tab, user('action').login, NEW_PASSWORD), 409);
  await tab.locator('#elsewhere-takeover').click();
  await tab.locator('nav .nav-link').first().waitFor();
  await context.close();
});

test('English: "Disconnect" beside "Sign out", and the page that follows', async () => {
  const page = await signedIn('action');
  await page.evaluate(async () => {
    await fetch('/bo/api/me', {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': localStorage.getItem('guichet.csrf') },
      body: JSON.stringify({ language: 'en' }),
    });
  });
  await page.reload();
  await page.locator('#disconnect').waitFor();
  assert.equal(await page.locator('#disconnect').textContent(), 'Disconnect');
  assert.equal(await page.locator('#signout').textContent(), 'Sign out');
  await page.locator('#disconnect').click();
  await page.locator('#disconnected-title').waitFor();
  assert.equal(await heading(page), 'Session disconnected');
  assert.match(await page.locator('#resume-offer-text').textContent(), /can be resumed on this device until/);
  await page.locator('#resume-session').click();
  await page.locator('nav .nav-link').first().waitFor();
  await inFrench(page);
  await page.context().close();
});
