// Each profile signs in (first-login steps included) and finds only what it may do (SPEC §3):
// the menu, the pages it may open, the operations it may run.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { base, shot, signedIn, user } from '../harness.mjs';

async function menu(page) {
  return page.locator('nav .nav-link').evaluateAll((links) => links.map((a) => a.getAttribute('href')));
}

const EXPECTED = {
  consultation: ['#/home', '#/transactions', '#/batches', '#/installment-plans', '#/subscriptions', '#/contracts', '#/api-errors', '#/settings', '#/options', '#/page-theme', '#/blocklist', '#/me'],
  action: ['#/home', '#/transactions', '#/batches', '#/installment-plans', '#/subscriptions', '#/contracts', '#/api-errors', '#/virtual-terminal', '#/settings', '#/options', '#/page-theme', '#/blocklist', '#/me'],
  admin: ['#/home', '#/transactions', '#/batches', '#/installment-plans', '#/subscriptions', '#/contracts', '#/api-errors', '#/virtual-terminal', '#/settings', '#/options', '#/page-theme', '#/blocklist', '#/me', '#/users', '#/actions', '#/mails', '#/account'],
  // The entry operator: the virtual terminal is their Home (SPEC §3: manual entry only).
  entry: ['#/virtual-terminal', '#/me'],
  hmac: ['#/home', '#/hmac-keys', '#/me'],
};

test('every profile sees its own menu and nothing more', async () => {
  // run.mjs locked the entry user on purpose: an administrator unlocks it first.
  const admin = await signedIn('admin');
  const csrf = await admin.evaluate(() => localStorage.getItem('guichet.csrf'));
  const users = await (await admin.request.get(`${base}/bo/api/users`)).json();
  const entry = users.items.find((u) => u.login === user('entry').login);
  const r = await admin.request.post(`${base}/bo/api/users/${entry.id}/unlock`, { headers: { 'X-CSRF-Token': csrf } });
  assert.equal(r.status(), 200, await r.text());
  await admin.context().close();

  for (const [profile, want] of Object.entries(EXPECTED)) {
    const page = await signedIn(profile);
    const got = await menu(page);
    assert.deepEqual([...got].sort(), [...want].sort(), `${profile}'s menu`);
    // The default landing page is the first page the profile may open: the statistics, the
    // HMAC keys for the HMAC manager, the virtual terminal for the entry operator, else
    // Personal information (GET /bo/api/me/preferences).
    const landing = want.includes('#/transactions')
      ? '#/home'
      : want.includes('#/hmac-keys')
        ? '#/hmac-keys'
        : want.includes('#/virtual-terminal')
          ? '#/virtual-terminal'
          : '#/me';
    await page.waitForFunction((hash) => location.hash === hash, landing);
    await shot(page, `profile-${profile}`);
    if (!want.includes('#/transactions')) {
      // A page outside the profile is not shown, even typed in the address bar; the API
      // refuses it too.
      await page.goto(`${base}/#/transactions`);
      await page.waitForFunction(() => !location.hash.startsWith('#/transactions'));
      const api = await page.request.get(`${base}/bo/api/transactions?from=2026-01-01&to=2026-01-31`);
      assert.equal(api.status(), 403, `${profile} may not search`);
    }
    await page.context().close();
  }
});
