// The test and production environments (issue 15; SPEC §16.1; docs/ENVIRONMENTS.md): the
// sign-in form's choice, and a test session said on every page by a banner and the top bar's
// colour; production's pages have neither.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { base, inFrench, NEW_PASSWORD, parisDay, shot, signedIn, user } from '../harness.mjs';

const topbarColour = (page) => page.locator('.topbar').evaluate((el) => getComputedStyle(el).backgroundColor);

test('environments: signed in to production by default, to test when chosen, the banner on every test page', async () => {
  const page = await inFrench(await signedIn('consultation'));
  // Production: no banner, the usual colour.
  assert.equal(await page.locator('html').getAttribute('data-environment'), 'production');
  assert.equal(await page.locator('#env-banner').count(), 0);
  const production = await topbarColour(page);

  // Signed out, the form offers the environment, production chosen.
  await page.locator('#signout').click();
  await page.locator('#signin-form').waitFor();
  assert.equal(await page.locator('html').getAttribute('data-environment'), null);
  await page.locator('#signin-environment').waitFor();
  assert.equal(await page.locator('#signin-env-production').isChecked(), true);
  assert.equal(await page.locator('#signin-env-test').isChecked(), false);
  assert.equal((await page.locator('#signin-environment legend').textContent()).trim(), 'Environnement');
  await page.locator('#signin-env-test').check();
  if (await page.locator('#signin-login').isHidden()) await page.locator('#signin-mode').click();
  await page.locator('#signin-login').fill(user('consultation').login);
  await page.locator('#signin-password').fill(NEW_PASSWORD);
  await shot(page, 'signin-environment-test');
  const answer = page.waitForResponse((r) => r.url() === `${base}/bo/api/session` && r.request().method() === 'POST');
  await page.locator('#signin-form button[type=submit]').click();
  const r = await answer;
  assert.equal(r.status(), 200);
  assert.equal((await r.json()).environment, 'test');
  assert.equal(JSON.parse(r.request().postData()).environment, 'test');
  await page.waitForSelector('nav .nav-link');

  // Every page says it: the banner and another colour.
  await page.locator('#env-banner').waitFor();
  assert.match(await page.locator('#env-banner').textContent(), /Environnement de TEST/);
  assert.equal(await page.locator('html').getAttribute('data-environment'), 'test');
  assert.notEqual(await topbarColour(page), production);
  await shot(page, 'home-environment-test');
  await page.goto(`${base}/#/transactions?from=${parisDay(-30)}&to=${parisDay(0)}`);
  await page.locator('#main h1').waitFor();
  await page.locator('#env-banner').waitFor();
  await shot(page, 'transactions-environment-test');

  // The choice is kept for this browser's next sign-in.
  await page.locator('#signout').click();
  await page.locator('#signin-form').waitFor();
  assert.equal(await page.locator('#signin-env-test').isChecked(), true);
  assert.equal(await page.locator('#env-banner').count(), 0);
  await page.context().close();
});
